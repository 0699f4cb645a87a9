using CityBrain.Hub.Audit;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using Spectre.Console;

namespace CityBrain.Host.Cli;

internal static class AuditCommand
{
    /// <summary>Exit 0 when the whole log is intact; 1 naming the first record altered, removed or inserted.</summary>
    public static async Task<int> VerifyAsync(HostSettings settings, CancellationToken cancellationToken)
    {
        await using var app = CityBrainHost.Create(settings);
        await CityBrainHost.PrepareAsync(app, cancellationToken);
        var store = app.Services.GetRequiredService<IOperationalStore>();
        var keyring = app.Services.GetRequiredService<HubKeyring>();

        AuditVerification result = null!;
        await AnsiConsole.Progress().AutoClear(true).StartAsync(async progress =>
        {
            var task = progress.AddTask("Verifying the audit chain", maxValue: double.MaxValue);
            task.IsIndeterminate = true;
            result = await AuditVerifier.VerifyAsync(store, keyring, new Progress<long>(n => task.Description = $"Verifying the audit chain: {n:N0} records"), cancellationToken);
        });
        if (result.FirstProblem is { } problem)
        {
            AnsiConsole.MarkupLine($"[red]The audit log is NOT intact[/]: record [bold]{problem.Seq}[/] was {Markup.Escape(problem.Kind.ToString().ToLowerInvariant())}: {Markup.Escape(problem.Message)}");
            AnsiConsole.MarkupLine($"Checked {result.RecordsChecked:N0} records and {result.CheckpointsChecked:N0} checkpoints before it.");
            return 1;
        }
        AnsiConsole.MarkupLine($"[green]The audit log is intact[/]: {result.RecordsChecked:N0} records, {result.CheckpointsChecked:N0} signed checkpoints.");
        return 0;
    }
}

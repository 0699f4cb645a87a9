using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Spectre.Console;
using CityBrain.Kernel.Storage;

namespace CityBrain.Host.Cli;

internal static class ServeCommand
{
    public static async Task<int> RunAsync(HostSettings settings, CancellationToken cancellationToken)
    {
        await using var app = CityBrainHost.Create(settings);
        await AnsiConsole.Status().StartAsync("Preparing the store…", _ => CityBrainHost.PrepareAsync(app, cancellationToken));
        await app.StartAsync(cancellationToken);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var url = addresses.FirstOrDefault() ?? settings.Urls;
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        table.AddRow("[bold]CityBrain[/] is ready", $"[link]{url}[/]");
        table.AddRow("API reference", $"{url}/api-reference");
        table.AddRow("OpenAPI", $"{url}/openapi/v1.json");
        table.AddRow("Store", Markup.Escape(app.Services.GetRequiredService<IOperationalStore>().Description));
        table.AddRow("Data folder", Markup.Escape(settings.DataDirectory));
        table.AddRow("Token", "dotnet run --project src/CityBrain.Host -- token --as admin");
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"Open [bold]{url}[/] — Ctrl+C stops.");

        await app.WaitForShutdownAsync(cancellationToken);
        return 0;
    }
}

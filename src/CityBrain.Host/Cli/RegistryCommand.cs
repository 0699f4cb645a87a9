using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using Spectre.Console;

namespace CityBrain.Host.Cli;

internal static class RegistryCommand
{
    public static async Task<int> ApplyAsync(HostSettings settings, FileInfo file, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            await Console.Error.WriteLineAsync($"citybrain registry apply: {file.FullName} does not exist");
            return 2;
        }
        await using var app = CityBrainHost.Create(settings);
        await CityBrainHost.PrepareAsync(app, cancellationToken);
        try
        {
            var manifest = RegistryFile.Read(file.FullName);
            var result = await app.Services.GetRequiredService<IRegistryAdmin>().ApplyAsync(manifest, new Caller("citybrain-cli", HubRoles.Admin, null, null, null), cancellationToken);
            AnsiConsole.MarkupLine($"Applied [bold]{Markup.Escape(file.Name)}[/]: {result.Units} units, {result.Systems} systems, {result.Interfaces} interfaces, {result.Datasets} datasets.");
            foreach (var (system, secret) in result.ClientSecrets)
            {
                AnsiConsole.MarkupLine($"Client secret of [bold]{Markup.Escape(system)}[/] (shown once): {Markup.Escape(secret)}");
            }
            return 0;
        }
        catch (ProblemException e)
        {
            await Console.Error.WriteLineAsync($"citybrain registry apply: {e.Message}");
            return 1;
        }
    }
}

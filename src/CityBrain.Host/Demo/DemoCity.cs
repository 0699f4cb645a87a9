using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Host.Cli;
using CityBrain.SyntheticCity.Departments;
using CityBrain.SyntheticCity.Generation;
using Spectre.Console;

namespace CityBrain.Host.Demo;

/// <summary>What `serve` does with the demo city: how big to generate it on first start, and whether to at all.</summary>
/// <param name="Enabled">False for a real city's install: the hub starts without demo departments.</param>
/// <param name="Residents">Residents generated on first start.</param>
/// <param name="Seed">The generator's seed.</param>
internal sealed record DemoCitySettings(bool Enabled, int Residents, long Seed);

/// <summary>
/// The demo city behind `serve`: generated into DATA/city on first start (with progress), its eight department
/// systems started on loopback ports of their own and registered with the hub, which is the only way to reach them.
/// </summary>
internal sealed class DemoCity : IAsyncDisposable
{
    private readonly DepartmentCluster _departments;

    private DemoCity(DepartmentCluster departments, string directory)
    {
        _departments = departments;
        Directory = directory;
    }

    /// <summary>The generated city folder (docs/synthetic-city.md).</summary>
    public string Directory { get; }

    public IReadOnlyDictionary<string, Uri> Departments => _departments.BaseUrls;

    public static string CityDirectory(string dataDirectory) => Path.Combine(dataDirectory, "city");

    /// <summary>Generates the city when the data folder has none, starts its departments and registers them (the hub's store must be prepared).</summary>
    public static async Task<DemoCity> StartAsync(IServiceProvider services, string dataDirectory, DemoCitySettings settings, CancellationToken cancellationToken)
    {
        var city = CityDirectory(dataDirectory);
        if (!File.Exists(Path.Combine(city, "city.json")))
        {
            await GenerateAsync(city, settings, cancellationToken);
        }

        AnsiConsole.MarkupLine("Starting the department systems…");
        var departments = await DepartmentCluster.StartAsync(city, dataDirectory, new ConsoleProgress(), cancellationToken);
        try
        {
            // Ports are new on every start, so the departments' systems are registered again each time.
            await services.GetRequiredService<IRegistryAdmin>().ApplyAsync(departments.Registry,
                new Caller("citybrain", HubRoles.Admin, DemoSeed.DataBureauCode, null, null), cancellationToken);
        }
        catch
        {
            await departments.DisposeAsync();
            throw;
        }
        return new DemoCity(departments, city);
    }

    public ValueTask DisposeAsync() => _departments.DisposeAsync();

    private static async Task GenerateAsync(string city, DemoCitySettings settings, CancellationToken cancellationToken)
    {
        // Written beside and moved into place when whole: a start killed half-way generates again, never serves half a city.
        var partial = city + ".partial";
        if (System.IO.Directory.Exists(partial))
        {
            System.IO.Directory.Delete(partial, recursive: true);
        }
        if (System.IO.Directory.Exists(city))
        {
            throw new InvalidOperationException($"{city} exists but holds no city.json: move it away or remove it, and start again");
        }
        AnsiConsole.MarkupLine($"No city in the data folder yet: generating a demo Hangzhou of {settings.Residents:N0} residents (seed {settings.Seed})…");
        await GenerationProgressBar.GenerateAsync(new CityGenerationOptions { Residents = settings.Residents, Seed = settings.Seed, OutputDirectory = partial }, cancellationToken);
        System.IO.Directory.Move(partial, city);
    }

    private sealed class ConsoleProgress : IProgress<string>
    {
        public void Report(string value) => AnsiConsole.MarkupLine($"  {Markup.Escape(value)}");
    }
}

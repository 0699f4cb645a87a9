using CityBrain.SyntheticCity.Generation;

[assembly: AssemblyFixture(typeof(CityBrain.Scenarios.Policy.Tests.DemoCity))]

namespace CityBrain.Scenarios.Policy.Tests;

/// <summary>
/// One small demo city for the assembly, laid out as a data folder (DATA/city), generated with the dirt turned up
/// (3 % of each kind, a fifth of the dead still alive somewhere) so that every planted fault meets the policies.
/// </summary>
public sealed class DemoCity : IAsyncLifetime
{
    public const int Residents = 4_000;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "citybrain-policy-tests-" + Environment.ProcessId);

    public string CityDirectory => Path.Combine(DataDirectory, "city");

    public async ValueTask InitializeAsync()
    {
        if (Directory.Exists(DataDirectory))
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        await CityGenerator.GenerateAsync(new CityGenerationOptions
        {
            Residents = Residents,
            Seed = 11,
            OutputDirectory = CityDirectory,
            Dirt = new DirtRates { BadCheckDigit = 0.03, Duplicate = 0.03, ImpossibleValue = 0.03, MissingField = 0.03, DistrictMismatch = 0.03, StaleDeath = 0.2 },
        }, null, CancellationToken.None);
    }

    /// <summary>Rows of a truth or department file (header left out), split on commas (the files used here hold no quoted commas).</summary>
    public IEnumerable<string[]> Rows(string path) => File.ReadLines(Path.Combine(CityDirectory, path)).Skip(1).Select(l => l.Split(','));

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
        return ValueTask.CompletedTask;
    }
}

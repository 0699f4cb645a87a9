using CityBrain.SyntheticCity.Generation;

[assembly: AssemblyFixture(typeof(CityBrain.Scenarios.Policy.Tests.DemoCity))]

namespace CityBrain.Scenarios.Policy.Tests;

/// <summary>
/// One small demo city for the assembly, laid out as a data folder (DATA/city), generated with the dirt turned up
/// (3 % of each kind, a fifth of the dead still alive somewhere) and 3 % of local households moved out of the city
/// (half of them still listed by civil affairs), so that every planted fault meets the policies.
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
            MovedOutShare = 0.03,
            MovedOutLag = 0.5,
            Dirt = new DirtRates { BadCheckDigit = 0.03, Duplicate = 0.03, ImpossibleValue = 0.03, MissingField = 0.03, DistrictMismatch = 0.03, StaleDeath = 0.2 },
        }, null, CancellationToken.None);
    }

    /// <summary>Rows of a truth or department file (header left out), split on commas (the files used here hold no quoted commas).</summary>
    public IEnumerable<string[]> Rows(string path) => File.ReadLines(Path.Combine(CityDirectory, path)).Skip(1).Select(l => l.Split(','));

    /// <summary>The planted leavers (truth/moved_out.csv): ID, the day the registration moved out, the datasets still listing them.</summary>
    public IReadOnlyList<(string Id, DateOnly Day, string StillListedBy)> Leavers(string? cityDirectory = null) =>
        File.ReadLines(Path.Combine(cityDirectory ?? CityDirectory, "truth", "moved_out.csv")).Skip(1).Select(l => l.Split(','))
            .Select(r => (r[0], DateOnly.ParseExact(r[1], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), r[3])).ToList();

    /// <summary>A resident's full years on a day, from truth/residents.csv.</summary>
    public int Age(string residentId, DateOnly on, string? cityDirectory = null)
    {
        var directory = cityDirectory ?? CityDirectory;
        Dictionary<string, DateOnly>? births;
        lock (_births)
        {
            if (!_births.TryGetValue(directory, out births))
            {
                _births[directory] = births = File.ReadLines(Path.Combine(directory, "truth", "residents.csv")).Skip(1).Select(l => l.Split(','))
                    .ToDictionary(r => r[0], r => DateOnly.ParseExact(r[3], "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        var born = births[residentId];
        return on.Year - born.Year - (on < born.AddYears(on.Year - born.Year) ? 1 : 0);
    }

    private readonly Dictionary<string, Dictionary<string, DateOnly>> _births = [];

    private readonly Lazy<Task<string>> _manyLeavers;

    public DemoCity() => _manyLeavers = new(GenerateManyLeaversAsync);

    /// <summary>
    /// A second, smaller city where three local households in ten moved out over the two years, so that leavers of one
    /// age fall on both sides of a month's end (the demo city has too few for that). Generated once, on first use.
    /// </summary>
    public Task<string> ManyLeaversAsync() => _manyLeavers.Value;

    private async Task<string> GenerateManyLeaversAsync()
    {
        var directory = Path.Combine(DataDirectory, "many-leavers");
        await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = 3_000, Seed = 12, OutputDirectory = directory, MovedOutShare = 0.3, MovedOutLag = 0.5 },
            null, CancellationToken.None);
        return directory;
    }

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

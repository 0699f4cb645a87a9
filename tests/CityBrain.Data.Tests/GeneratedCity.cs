using System.Globalization;
using CityBrain.SyntheticCity.Generation;
using DuckDB.NET.Data;

[assembly: AssemblyFixture(typeof(CityBrain.Data.Tests.GeneratedCity))]

namespace CityBrain.Data.Tests;

/// <summary>
/// One demo city for the whole test assembly (seed 1; 20,000 residents, or CITYBRAIN_QUALITY_RESIDENTS to measure a
/// larger one), and the department files as DuckDB views named as the lake names them (gaj_rk, mzj_deaths ...).
/// </summary>
public sealed class GeneratedCity : IAsyncLifetime
{
    public const long Seed = 1;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "citybrain-data-tests-" + Environment.ProcessId);

    public int Residents { get; } = int.TryParse(Environment.GetEnvironmentVariable("CITYBRAIN_QUALITY_RESIDENTS"), CultureInfo.InvariantCulture, out var n) ? n : 20_000;

    public DateOnly AsOf { get; } = new CityGenerationOptions().AsOf;

    /// <summary>Dataset code → department CSV file.</summary>
    public IReadOnlyDictionary<string, string> Files { get; private set; } = new Dictionary<string, string>();

    public async ValueTask InitializeAsync()
    {
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = Residents, Seed = Seed, OutputDirectory = Directory }, null, CancellationToken.None);
        Files = System.IO.Directory.EnumerateFiles(Path.Combine(Directory, "departments"), "*.csv", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetFileName(Path.GetDirectoryName(f))! + "_" + Path.GetFileNameWithoutExtension(f), f => f, StringComparer.Ordinal);
    }

    /// <summary>A fresh in-memory DuckDB with every department file as a view, values as stored (all VARCHAR, dirt included).</summary>
    public async Task<DuckDBConnection> OpenLakeAsync(CancellationToken cancellationToken)
    {
        var connection = new DuckDBConnection("DataSource=:memory:");
        await connection.OpenAsync(cancellationToken);
        foreach (var (code, file) in Files)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE VIEW {code} AS SELECT * FROM read_csv('{file}', header = true, all_varchar = true)";
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return connection;
    }

    /// <summary>One quality run of the demo rules over the city, shared by the tests that only read it.</summary>
    public async Task<(DuckDBConnection Lake, CityBrain.Data.Quality.QualityRun Run)> QualityRunAsync()
    {
        await _runLock.WaitAsync(CancellationToken.None);
        try
        {
            if (_run is null)
            {
                var lake = await OpenLakeAsync(CancellationToken.None);
                var run = await new CityBrain.Data.Quality.QualityEngine(CityBrain.Data.Quality.QualityRuleSet.DemoCity(), TimeProvider.System)
                    .RunAsync(lake, new CityBrain.Data.Quality.QualityRunRequest(Views, AsOf), CancellationToken.None);
                _run = (lake, run);
            }
            return _run.Value;
        }
        finally
        {
            _runLock.Release();
        }
    }

    private readonly SemaphoreSlim _runLock = new(1, 1);
    private (DuckDBConnection, CityBrain.Data.Quality.QualityRun)? _run;

    public IReadOnlyDictionary<string, string> Views => Files.Keys.ToDictionary(k => k, k => k, StringComparer.Ordinal);

    public async ValueTask DisposeAsync()
    {
        if (_run is { } run)
        {
            await run.Item1.DisposeAsync();
        }
        if (System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }
}

using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using CityBrain.Data.Quality;
using DuckDB.NET.Data;

namespace CityBrain.Benchmarks.Quality;

/// <summary>
/// A quality run of the demo-city rules over a 12-million-row population register (gaj_rk's columns, about 1 % dirt),
/// with a death register and an HR register beside it so that the cross-department joins run at that scale too.
/// The data is synthesised in DuckDB with range() in the setup, which is not timed. See docs/benchmarks.md.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 3)]
public class QualityBenchmarks
{
    private readonly string _lakePath = Path.Combine(Path.GetTempPath(), "citybrain-bench-quality-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".duckdb");
    private DuckDBConnection _lake = null!;
    private Dictionary<string, string> _views = [];

    [Params(12_000_000)]
    public int Rows { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _lake = new DuckDBConnection($"DataSource={_lakePath}");
        await _lake.OpenAsync();
        // Person i: a birth date and sequence number unique per i; every 200th ID gets a wrong check character, every
        // 211th record no phone, every 50th lives on a street given as its pre-2021 district.
        var weights = new[] { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
        var sum = string.Join(" + ", weights.Select((w, i) => $"{w} * CAST(substr(first17, {i + 1}, 1) AS INTEGER)"));
        await ExecuteAsync($"""
            CREATE OR REPLACE TABLE gaj_rk AS
            WITH people AS (
              SELECT i, '3301' || lpad(CAST(2 + i % 9 AS VARCHAR), 2, '0') || strftime(DATE '1950-01-01' + CAST(i // 1000 AS INTEGER), '%Y%m%d')
                        || lpad(CAST(i % 1000 AS VARCHAR), 3, '0') AS first17
              FROM range({Rows}) t(i)),
            ids AS (SELECT *, substr('10X98765432', 1 + ({sum}) % 11, 1) AS check_char FROM people)
            SELECT first17 || CASE WHEN i % 200 = 0 THEN (CASE check_char WHEN '0' THEN '1' ELSE '0' END) ELSE check_char END AS SFZH,
                   '张' || chr(CAST(19968 + i % 2000 AS INTEGER)) AS XM, CAST(1 + i % 2 AS VARCHAR) AS XB,
                   strftime(DATE '1950-01-01' + CAST(i // 1000 AS INTEGER), '%Y-%m-%d') AS CSRQ, '01' AS MZ,
                   lpad(CAST(i // 3 AS VARCHAR), 9, '0') AS HH, '02' AS YHZGX, '1' AS HKXZ, '330106' AS HJQH,
                   CASE WHEN i % 50 = 0 THEN '浙江省杭州市江干区凯旋街道凤起东路' ELSE '浙江省杭州市西湖区文新街道文一西路' END || CAST(i % 500 AS VARCHAR) || '号' AS JZDZ,
                   CASE WHEN i % 211 = 0 THEN NULL ELSE '13' || lpad(CAST(i % 1000000000 AS VARCHAR), 9, '0') END AS LXDH,
                   '0' AS SWBZ, NULL::VARCHAR AS SWRQ
            FROM ids
            """);
        // 0.7 % of people died (their register still says alive: stale), and 10 % are in the HR register, some in another district.
        await ExecuteAsync("CREATE OR REPLACE TABLE mzj_deaths AS SELECT SFZH AS idNumber, XM AS name, '2025-06-01' AS deathDate, '330106' AS districtCode FROM gaj_rk USING SAMPLE 0.7 PERCENT (bernoulli, 7)");
        await ExecuteAsync("""
            CREATE OR REPLACE TABLE rsj_persons AS
            SELECT SFZH AS id_no, XM AS name, CASE WHEN hash(SFZH) % 200 = 0 THEN '330110' ELSE '330106' END AS district_code,
                   NULL::VARCHAR AS employer_uscc, 'employed' AS employment_status, '20200101' AS start_date, '8000' AS monthly_wage
            FROM gaj_rk USING SAMPLE 10 PERCENT (bernoulli, 11)
            """);
        _views = new Dictionary<string, string>(StringComparer.Ordinal) { ["gaj_rk"] = "gaj_rk", ["mzj_deaths"] = "mzj_deaths", ["rsj_persons"] = "rsj_persons" };
    }

    [IterationCleanup]
    public void DropFindings()
    {
        using var command = _lake.CreateCommand();
        command.CommandText = "DROP TABLE IF EXISTS quality_findings; DROP TABLE IF EXISTS quality_runs";
        command.ExecuteNonQuery();
    }

    [Benchmark]
    public async Task<long> QualityRun()
    {
        var run = await new QualityEngine(QualityRuleSet.DemoCity(), TimeProvider.System)
            .RunAsync(_lake, new QualityRunRequest(_views, new DateOnly(2025, 12, 31)), CancellationToken.None);
        return run.Findings;
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _lake.DisposeAsync();
        File.Delete(_lakePath);
        File.Delete(_lakePath + ".wal");
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _lake.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}

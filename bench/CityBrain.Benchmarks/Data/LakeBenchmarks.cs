using System.Globalization;
using BenchmarkDotNet.Attributes;
using CityBrain.Data.Lake;
using CityBrain.Data.Query;

namespace CityBrain.Benchmarks.Data;

/// <summary>
/// The lake side of a profile (一人一档): one indexed lookup among 200,000 subjects with 5 records each. Uploads are
/// measured by the `lake-load-run` verb (<see cref="LakeLoadRun"/>) and whole profiles over HTTP by `profile-load-run`.
/// See docs/benchmarks.md.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class LakeBenchmarks
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "citybrain-bench-lake-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    private Lake _lake = null!;
    private ProfileIndex _profiles = null!;
    private string[] _subjects = [];
    private int _next;

    [Params(1_000_000)]
    public int Rows { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        Directory.CreateDirectory(_root);
        _lake = new Lake(Path.Combine(_root, "lake"));
        _profiles = new ProfileIndex(_lake);
        await _lake.WriteAsync(connection =>
        {
            var rows = SettlementRows(Rows);
            // The profile index as commits build it: one record per row, keyed by the resident ID.
            Lake.Execute(connection, $"INSERT INTO profile_index SELECT 'person', psn_no, 'bench.setl', 1, now()::TIMESTAMP, to_json(t)::VARCHAR FROM ({rows}) t ORDER BY 2");
            Lake.Execute(connection, "INSERT INTO lake_versions VALUES ('bench.setl', 1, 'none', '[]', 0, 0, 'full', NULL, NULL, NULL, NULL, NULL, now()::TIMESTAMP)");
            return Task.FromResult(0);
        }, CancellationToken.None);
        _subjects = [.. Enumerable.Range(0, 1000).Select(i => "330106" + (i * 197 % 200000).ToString("D12", CultureInfo.InvariantCulture))];
    }

    /// <summary>Settlement-like rows: an ID, a resident ID, an institution, a time, an amount, a note with Chinese text.</summary>
    public static string SettlementRows(int count) => $"""
        SELECT 'S' || lpad(i::VARCHAR, 10, '0') AS setl_id, '330106' || lpad((i % 200000)::VARCHAR, 12, '0') AS psn_no,
               'H330106' || lpad((i % 977)::VARCHAR, 5, '0') AS fixmedins_code,
               strftime(TIMESTAMP '2025-12-01' + to_seconds(i), '%Y-%m-%d %H:%M:%S') AS setl_time,
               ((i % 50000) / 100.0)::VARCHAR AS medfee_sumamt, '门诊 ' || (i % 7)::VARCHAR AS note
        FROM range({count}) t(i)
        """;

    [Benchmark(Description = "Profile lookup (lake side)")]
    public async Task<int> ProfileLookup() => (await _profiles.LookupAsync("person", _subjects[_next++ % _subjects.Length], CancellationToken.None)).Count;

    [GlobalCleanup]
    public void Cleanup()
    {
        _profiles.Dispose();
        _lake.Dispose();
        Directory.Delete(_root, recursive: true);
    }
}

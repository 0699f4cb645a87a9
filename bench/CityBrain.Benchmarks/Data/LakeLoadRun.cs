using System.Diagnostics;
using System.Globalization;
using CityBrain.Data.Ingestion;
using CityBrain.Data.Lake;
using CityBrain.Hub.Audit;

namespace CityBrain.Benchmarks.Data;

/// <summary>
/// `dotnet run -c Release --project bench/CityBrain.Benchmarks -- lake-load-run [--rows 1000000] [--rounds 5]`: uploads the
/// same settlement-like rows as CSV and as Parquet through <see cref="FileIngestion.LoadAsync"/> (checked, staged, committed
/// as a new version), round after round, and prints wall time, the process's processor time and rows/s per upload, with the
/// load average before and after. Processor time is printed because the machine is shared: other work stretches wall time
/// much more than it changes the work an upload does. Figures go to docs/benchmarks.md.
/// </summary>
internal static class LakeLoadRun
{
    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var rowCount = args.Int("rows", 1_000_000);
        var rounds = args.Int("rounds", 5);
        var root = Path.Combine(Path.GetTempPath(), "citybrain-lake-load-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(root);
        try
        {
            using var lake = new Lake(Path.Combine(root, "lake"));
            var files = new FileIngestion(lake, new DiscardingAuditLog(), TimeProvider.System);
            var csv = Path.Combine(root, "rows.csv");
            var parquet = Path.Combine(root, "rows.parquet");
            await lake.WriteAsync(connection =>
            {
                var rows = LakeBenchmarks.SettlementRows(rowCount);
                Lake.Execute(connection, $"COPY ({rows}) TO '{csv}' (HEADER, DELIMITER ',')");
                Lake.Execute(connection, $"COPY ({rows}) TO '{parquet}' (FORMAT parquet)");
                return Task.FromResult(0);
            }, cancellationToken);
            Console.WriteLine($"lake load run: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {rowCount:N0} rows, CSV {new FileInfo(csv).Length / 1e6:F1} MB, Parquet {new FileInfo(parquet).Length / 1e6:F1} MB; load average {LoadAverage()}");

            var best = new Dictionary<string, double>(StringComparer.Ordinal);
            for (var round = 0; round <= rounds; round++)
            {
                foreach (var (format, path) in new[] { ("csv", csv), ("parquet", parquet) })
                {
                    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                    var clock = Stopwatch.StartNew();
                    var result = await files.LoadAsync("bench." + format, path, Path.GetFileName(path), format, null, "bench", cancellationToken);
                    clock.Stop();
                    var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                    if (result.RowCount != rowCount)
                    {
                        throw new InvalidOperationException($"{format}: {result.RowCount:N0} rows loaded, {rowCount:N0} expected");
                    }
                    // Round 0 warms up (JIT, DuckDB's caches) and is not counted.
                    var label = round == 0 ? "warm-up" : "round " + round.ToString(CultureInfo.InvariantCulture);
                    Console.WriteLine($"{label,-8} {format,-8} {clock.Elapsed.TotalSeconds,6:F2} s  {rowCount / clock.Elapsed.TotalSeconds,12:N0} rows/s  processor {used.TotalSeconds,6:F2} s  load average {LoadAverage()}");
                    if (round > 0)
                    {
                        best[format] = Math.Max(best.GetValueOrDefault(format), rowCount / clock.Elapsed.TotalSeconds);
                    }
                }
            }
            foreach (var (format, rate) in best)
            {
                Console.WriteLine($"best {format}: {rate:N0} rows/s (target >= 1,000,000)");
            }
            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    /// <summary>Uploads append one audit record each; the run measures the lake, not the audit chain's store.</summary>
    private sealed class DiscardingAuditLog : IAuditLog
    {
        private long _seq;

        public ValueTask<long> AppendAsync(AuditEntry entry, CancellationToken cancellationToken) => ValueTask.FromResult(++_seq);
    }
}

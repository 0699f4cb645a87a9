using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using CityBrain.Kernel.Storage;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityBrain.Hub.Gateway;

/// <summary>Calls, errors and latency of one interface since it was registered (all nodes, persisted).</summary>
public sealed record InterfaceCallTotals(string System, string Interface, long Calls, long Errors, double AverageLatencyMs);

public interface ICallStatistics
{
    Task<IReadOnlyList<InterfaceCallTotals>> GetTotalsAsync(CancellationToken cancellationToken);
}

internal sealed class CallStatisticsMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("hub.gateway", 1, "call statistics per interface and day",
            """
            CREATE TABLE hub_call_stats (
                system TEXT NOT NULL,
                interface TEXT NOT NULL,
                day TEXT NOT NULL,
                calls BIGINT NOT NULL,
                errors BIGINT NOT NULL,
                latency_ms_total DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (system, interface, day));
            """),
    ];
}

/// <summary>
/// Counts every gateway call on the module's meter (for OpenTelemetry) and in memory, flushed to the store every
/// few seconds and at shutdown by one upsert per interface: never a database write per call.
/// </summary>
internal sealed partial class CallStatistics : BackgroundService, ICallStatistics
{
    public const string MeterName = "CityBrain.Hub";

    private readonly IOperationalStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger<CallStatistics> _logger;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _latency;
    private ConcurrentDictionary<(string System, string Interface, string Day), Counts> _pending = new();

    public CallStatistics(IOperationalStore store, TimeProvider time, IMeterFactory meters, ILogger<CallStatistics> logger)
    {
        _store = store;
        _time = time;
        _logger = logger;
        var meter = meters.Create(MeterName);
        _calls = meter.CreateCounter<long>("citybrain.hub.calls", description: "Gateway calls");
        _errors = meter.CreateCounter<long>("citybrain.hub.call_errors", description: "Gateway calls that failed (refused or provider fault)");
        _latency = meter.CreateHistogram<double>("citybrain.hub.call_latency", "ms", "Gateway call latency");
    }

    public static TimeSpan FlushInterval { get; } = TimeSpan.FromSeconds(5);

    public void Record(string system, string @interface, int status, double latencyMs)
    {
        var outcome = status < 400 ? "ok" : status < 500 ? "refused" : "provider-fault";
        var tags = new TagList { { "system", system }, { "interface", @interface }, { "outcome", outcome } };
        _calls.Add(1, tags);
        _latency.Record(latencyMs, tags);
        var error = status >= 400;
        if (error)
        {
            _errors.Add(1, tags);
        }
        var counts = _pending.GetOrAdd((system, @interface, _time.GetUtcNow().ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)), _ => new Counts());
        counts.Add(error, latencyMs);
    }

    public async Task<IReadOnlyList<InterfaceCallTotals>> GetTotalsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _store.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string System, string Interface, long Calls, long Errors, double Latency)>(new CommandDefinition(
            "SELECT system, interface, SUM(calls), SUM(errors), SUM(latency_ms_total) FROM hub_call_stats GROUP BY system, interface", cancellationToken: cancellationToken));
        var totals = rows.ToDictionary(r => (r.System, r.Interface), r => (r.Calls, r.Errors, r.Latency));
        foreach (var ((system, @interface, _), counts) in _pending)
        {
            var (calls, errors, latency) = counts.Read();
            totals[(system, @interface)] = totals.TryGetValue((system, @interface), out var t) ? (t.Calls + calls, t.Errors + errors, t.Latency + latency) : (calls, errors, latency);
        }
        return totals.Select(t => new InterfaceCallTotals(t.Key.System, t.Key.Interface, t.Value.Calls, t.Value.Errors, t.Value.Calls == 0 ? 0 : t.Value.Latency / t.Value.Calls))
            .OrderBy(t => t.System, StringComparer.Ordinal).ThenBy(t => t.Interface, StringComparer.Ordinal).ToList();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(FlushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: the final flush follows in StopAsync.
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = Interlocked.Exchange(ref _pending, new());
        if (batch.IsEmpty)
        {
            return;
        }
        try
        {
            await using var connection = await _store.OpenConnectionAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO hub_call_stats (system, interface, day, calls, errors, latency_ms_total) VALUES (@System, @Interface, @Day, @Calls, @Errors, @Latency)
                ON CONFLICT (system, interface, day) DO UPDATE SET calls = hub_call_stats.calls + excluded.calls,
                    errors = hub_call_stats.errors + excluded.errors, latency_ms_total = hub_call_stats.latency_ms_total + excluded.latency_ms_total
                """,
                batch.Select(b =>
                {
                    var (calls, errors, latency) = b.Value.Read();
                    return new { b.Key.System, b.Key.Interface, b.Key.Day, Calls = calls, Errors = errors, Latency = latency };
                }).ToList(), tx, cancellationToken: cancellationToken));
            await tx.CommitAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Put the counts back: they are flushed with the next batch.
            foreach (var (key, counts) in batch)
            {
                var (calls, errors, latency) = counts.Read();
                _pending.GetOrAdd(key, _ => new Counts()).Add(calls, errors, latency);
            }
            LogFlushFailed(_logger, e);
        }
    }

    private sealed class Counts
    {
        private long _calls;
        private long _errors;
        private double _latency;

        public void Add(bool error, double latencyMs) => Add(1, error ? 1 : 0, latencyMs);

        public void Add(long calls, long errors, double latencyMs)
        {
            lock (this)
            {
                _calls += calls;
                _errors += errors;
                _latency += latencyMs;
            }
        }

        public (long Calls, long Errors, double Latency) Read()
        {
            lock (this)
            {
                return (_calls, _errors, _latency);
            }
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Flushing gateway call statistics failed; they are kept for the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception);
}

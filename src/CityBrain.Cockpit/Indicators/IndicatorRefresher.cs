using System.Collections.Concurrent;
using System.Data.Common;
using CityBrain.Cockpit.Live;
using CityBrain.Cockpit.Warnings;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityBrain.Cockpit.Indicators;

/// <summary>
/// Evaluates each indicator at its refresh interval, within its timeout; stores the value and any warnings together and
/// announces them. A failed or timed-out query leaves the history as it was and shows its reason on the tile.
/// </summary>
internal sealed partial class IndicatorRefresher(
    IndicatorCatalog catalog, IndicatorReader reader, IndicatorHistory history, CockpitFeed feed, IEnumerable<ILiveMetricSource> liveSources,
    TimeProvider time, ILogger<IndicatorRefresher> logger)
    : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    /// <summary>Changes of a pushed metric within this window make one refresh (a source may change many times a second).</summary>
    internal static readonly TimeSpan PushDebounce = TimeSpan.FromMilliseconds(20);

    private readonly ILiveMetricChanges[] _pushing = [.. liveSources.OfType<ILiveMetricChanges>()];
    private readonly ConcurrentDictionary<string, byte> _pushPending = new(StringComparer.Ordinal);
    private CancellationToken _stopping;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _due = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, List<double>> _recent = new(StringComparer.Ordinal);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await catalog.LoadAsync(stoppingToken);
            feed.Seed(await history.RecentWarningsAsync(CockpitFeed.WarningsKept, catalog.Find, stoppingToken));
            _stopping = stoppingToken;
            foreach (var source in _pushing)
            {
                source.MetricChanged += OnMetricChanged;
            }
            using var timer = new PeriodicTimer(Tick, time);
            do
            {
                var now = time.GetUtcNow();
                foreach (var definition in catalog.All)
                {
                    var due = _due.GetValueOrDefault(definition.Code);
                    if (due <= now)
                    {
                        // Fixed rate: the next refresh is one interval after this one was due, so ticks do not add drift.
                        var next = due.AddSeconds(definition.RefreshSeconds);
                        _due[definition.Code] = next > now ? next : now.AddSeconds(definition.RefreshSeconds);
                        _ = RefreshAsync(definition.Code, stoppingToken);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            foreach (var source in _pushing)
            {
                source.MetricChanged -= OnMetricChanged;
            }
        }
    }

    /// <summary>A pushed metric changed: refresh its indicators shortly, once for a burst of changes.</summary>
    private void OnMetricChanged(string metric)
    {
        foreach (var definition in catalog.All)
        {
            if (definition.Source == IndicatorSource.Metric && definition.Query == metric && _pushPending.TryAdd(definition.Code, 0))
            {
                _ = RefreshPushedAsync(definition.Code);
            }
        }
    }

    private async Task RefreshPushedAsync(string code)
    {
        try
        {
            await Task.Delay(PushDebounce, time, _stopping);
            // Cleared before reading, so that a change during the refresh schedules another one rather than being lost.
            _pushPending.TryRemove(code, out _);
            if (catalog.Find(code) is { } definition)
            {
                // Fresh now: the interval (the safety net) counts from here, and a poll does not queue behind this refresh.
                _due[code] = time.GetUtcNow().AddSeconds(definition.RefreshSeconds);
            }
            await RefreshAsync(code, _stopping);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Kernel.Errors.NotFoundException)
        {
            // The indicator was removed meanwhile.
        }
    }

    /// <summary>Evaluates one indicator now (also from the admin page and the API); refreshes of one indicator never overlap.</summary>
    public async Task<IndicatorSnapshot> RefreshAsync(string code, CancellationToken cancellationToken)
    {
        var definition = catalog.Find(code) ?? throw new Kernel.Errors.NotFoundException($"no indicator '{code}'");
        var gate = _running.GetOrAdd(code, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            return await EvaluateAsync(definition, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e)
        {
            // Storing failed (the store is down, say): the tile says so and the next refresh tries again.
            LogRefreshFailed(logger, code, e);
            var failed = (feed.Find(code) ?? IndicatorSnapshot.Pending(definition)) with { Status = IndicatorStatus.Failed, Message = "could not store the value: " + e.Message };
            await feed.PublishAsync(failed, [], CancellationToken.None);
            return failed;
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task<IndicatorSnapshot> EvaluateAsync(IndicatorDefinition definition, CancellationToken cancellationToken)
    {
        var previous = feed.Find(definition.Code);
        IndicatorReading reading;
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(definition.TimeoutSeconds), time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                // Some providers (SQLite) ignore cancellation inside a query and run synchronously: the wait is bounded
                // here, and such a query finishes in the background while the tile already says it timed out.
                reading = await Task.Run(() => reader.ReadAsync(definition, linked.Token), CancellationToken.None)
                    .WaitAsync(TimeSpan.FromSeconds(definition.TimeoutSeconds), time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return await PublishProblemAsync(definition, previous, IndicatorStatus.Failed, $"the query timed out after {definition.TimeoutSeconds} s");
            }
            catch (SourceUnavailableException e)
            {
                return await PublishProblemAsync(definition, previous, IndicatorStatus.Unavailable, e.Message);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return await PublishProblemAsync(definition, previous, IndicatorStatus.Failed, $"the query timed out after {definition.TimeoutSeconds} s");
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or InvalidCastException or FormatException or HttpRequestException)
            {
                LogQueryFailed(logger, definition.Code, e.Message);
                return await PublishProblemAsync(definition, previous, IndicatorStatus.Failed, "the query failed: " + e.Message);
            }
        }

        var now = time.GetUtcNow();
        var status = definition.Classify(reading.City);
        var recent = _recent.GetOrAdd(definition.Code, _ => []);
        List<double> window;
        lock (recent)
        {
            window = [.. recent];
        }
        if (window.Count == 0)
        {
            window = [.. (await history.ReadAsync(definition.Code, IndicatorHistory.City, WarningRules.AnomalyWindow, cancellationToken)).Select(p => p.Value)];
        }
        var previousStatus = previous?.Status is IndicatorStatus.Green or IndicatorStatus.Yellow or IndicatorStatus.Red ? previous.Status : IndicatorStatus.Green;
        var rules = WarningRules.Evaluate(definition, previousStatus, status, reading.City, window).ToList();
        var warnings = await history.AppendAsync(definition, reading, now, rules, cancellationToken);

        window.Add(reading.City);
        lock (recent)
        {
            recent.Clear();
            recent.AddRange(window.TakeLast(WarningRules.AnomalyWindow));
        }
        var snapshot = new IndicatorSnapshot(definition, status, reading.City, reading.ByArea, now, null);
        await feed.PublishAsync(snapshot, warnings, cancellationToken);
        return snapshot;
    }

    /// <summary>The last good value stays shown, with the reason it could not be refreshed.</summary>
    private async Task<IndicatorSnapshot> PublishProblemAsync(IndicatorDefinition definition, IndicatorSnapshot? previous, IndicatorStatus status, string message)
    {
        var snapshot = (previous is null || previous.Definition != definition ? IndicatorSnapshot.Pending(definition) : previous)
            with { Status = status, Message = message };
        await feed.PublishAsync(snapshot, [], CancellationToken.None);
        return snapshot;
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning, Message = "Indicator {Code}: query failed: {Reason}")]
    private static partial void LogQueryFailed(ILogger logger, string code, string reason);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Error, Message = "Indicator {Code}: refresh failed")]
    private static partial void LogRefreshFailed(ILogger logger, string code, Exception exception);
}

using CityBrain.SyntheticCity.Generation;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CityBrain.Host.Demo;

/// <summary>
/// The demo city's clock: city time runs <see cref="Speed"/> times faster than real time from 08:00 on the day after
/// the generated city's date, and the city's everyday events (swipes, parking, hotline calls, births, deaths, moves)
/// happen as it passes, so that live views move. Counts are kept per city day, kind and district (no personal data).
/// </summary>
internal sealed partial class CityClock(TimeProvider time, DemoCitySettings settings, ILogger<CityClock> logger) : BackgroundService
{
    public const int Speed = 60;
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Kind, string District), long> _today = [];
    private readonly long _realStart = time.GetTimestamp();
    private DateTimeOffset _cityStart;
    private DateTimeOffset _now;
    private decimal _amountToday;

    /// <summary>
    /// Raised after a tick with the kinds whose counts changed (every kind seen that day when midnight restarts the counts),
    /// so that the cockpit shows them at once. Handlers return at once and do not throw.
    /// </summary>
    public event Action<IReadOnlyCollection<string>>? Advanced;

    /// <summary>The city's time and today's counts so far.</summary>
    public sealed record Pulse(DateTimeOffset CityTime, int Speed, IReadOnlyDictionary<string, long> Today,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> TodayByDistrict, decimal AmountToday);

    public Pulse Read()
    {
        lock (_gate)
        {
            var byKind = _today.GroupBy(e => e.Key.Kind, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Sum(e => e.Value), StringComparer.Ordinal);
            var byDistrict = _today.GroupBy(e => e.Key.Kind, StringComparer.Ordinal).ToDictionary(g => g.Key,
                g => (IReadOnlyDictionary<string, long>)g.ToDictionary(e => e.Key.District, e => e.Value, StringComparer.Ordinal), StringComparer.Ordinal);
            return new Pulse(_now, Speed, byKind, byDistrict, _amountToday);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var asOf = new CityGenerationOptions().AsOf;
        _cityStart = new DateTimeOffset(asOf.AddDays(1).ToDateTime(new TimeOnly(8, 0)), Shanghai);
        _now = _cityStart;
        using var events = CityActivity.Stream(settings.Seed, _cityStart, settings.Residents).GetEnumerator();
        events.MoveNext();
        using var timer = new PeriodicTimer(Tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var target = _cityStart + time.GetElapsedTime(_realStart) * Speed;
                var changed = new HashSet<string>(StringComparer.Ordinal);
                lock (_gate)
                {
                    while (events.Current.Time <= target)
                    {
                        Count(events.Current, changed);
                        events.MoveNext();
                    }
                    _now = target;
                }
                if (changed.Count > 0)
                {
                    Advanced?.Invoke(changed);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception e)
        {
            LogClockStopped(logger, e);
        }
    }

    private void Count(CityEvent e, HashSet<string> changed)
    {
        if (e.Time.Date != _now.Date)
        {
            changed.UnionWith(_today.Keys.Select(k => k.Kind));
            _today.Clear();
            _amountToday = 0;
            _now = e.Time;
        }
        changed.Add(e.Kind);
        var key = (e.Kind, e.DistrictCode);
        _today[key] = _today.GetValueOrDefault(key) + 1;
        _amountToday += e.Amount;
    }

    public static Ok<Pulse> GetPulse(CityClock clock) => TypedResults.Ok(clock.Read());

    [LoggerMessage(EventId = 9001, Level = LogLevel.Error, Message = "The city clock stopped")]
    private static partial void LogClockStopped(ILogger logger, Exception exception);
}

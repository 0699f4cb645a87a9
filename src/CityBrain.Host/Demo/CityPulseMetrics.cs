using CityBrain.Cockpit.Indicators;

namespace CityBrain.Host.Demo;

/// <summary>
/// The demo city's pulse as live metrics for the cockpit: city.today.&lt;kind&gt; (swipe, parking, hotline, birth, death, move),
/// by district. Announces each kind that changed on the clock's tick, so the cockpit need not wait for its next poll.
/// </summary>
internal sealed class CityPulseMetrics : ILiveMetricSource, ILiveMetricChanges
{
    private const string Prefix = "city.today.";

    private readonly CityClock _clock;

    public CityPulseMetrics(CityClock clock)
    {
        _clock = clock;
        clock.Advanced += kinds =>
        {
            foreach (var kind in kinds)
            {
                MetricChanged?.Invoke(Prefix + kind);
            }
        };
    }

    public event Action<string>? MetricChanged;

    public ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken)
    {
        if (!metric.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return ValueTask.FromResult<IndicatorReading?>(null);
        }
        var kind = metric[Prefix.Length..];
        var pulse = _clock.Read();
        var byDistrict = pulse.TodayByDistrict.GetValueOrDefault(kind) ?? new Dictionary<string, long>();
        return ValueTask.FromResult<IndicatorReading?>(new IndicatorReading(
            pulse.Today.GetValueOrDefault(kind), byDistrict.ToDictionary(e => e.Key, e => (double)e.Value, StringComparer.Ordinal)));
    }
}

using CityBrain.Cockpit.Indicators;

namespace CityBrain.Host.Demo;

/// <summary>The demo city's pulse as live metrics for the cockpit: city.today.&lt;kind&gt; (swipe, parking, hotline, birth, death, move), by district.</summary>
internal sealed class CityPulseMetrics(CityClock clock) : ILiveMetricSource
{
    private const string Prefix = "city.today.";

    public ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken)
    {
        if (!metric.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return ValueTask.FromResult<IndicatorReading?>(null);
        }
        var kind = metric[Prefix.Length..];
        var pulse = clock.Read();
        var byDistrict = pulse.TodayByDistrict.GetValueOrDefault(kind) ?? new Dictionary<string, long>();
        return ValueTask.FromResult<IndicatorReading?>(new IndicatorReading(
            pulse.Today.GetValueOrDefault(kind), byDistrict.ToDictionary(e => e.Key, e => (double)e.Value, StringComparer.Ordinal)));
    }
}

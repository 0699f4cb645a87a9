namespace CityBrain.Cockpit.Indicators;

/// <summary>
/// One reading of an indicator: the city-wide value and, where the source breaks it down, values by area
/// (6-digit district codes, 9-digit street codes).
/// </summary>
public sealed record IndicatorReading(double City, IReadOnlyDictionary<string, double> ByArea)
{
    public static IndicatorReading Of(double city) => new(city, new Dictionary<string, double>());
}

/// <summary>
/// Live figures a host supplies (the demo city's pulse, say). A source answers the metric names it knows and null for
/// the others; several sources may be registered.
/// </summary>
public interface ILiveMetricSource
{
    ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken);
}

/// <summary>
/// A live metric source that says when a metric changes (implemented beside <see cref="ILiveMetricSource"/>): the
/// indicators on that metric are refreshed at once, a burst of changes coalesced into one refresh, instead of waiting for
/// their next interval. The interval still applies as a safety net.
/// </summary>
public interface ILiveMetricChanges
{
    /// <summary>Raised with the metric's name after its value changed; handlers return at once.</summary>
    event Action<string>? MetricChanged;
}

/// <summary>Queries over the data lake; implemented by the data module. Without it, lake indicators show "source not available".</summary>
public interface ILakeQuery
{
    Task<IndicatorReading> QueryAsync(string query, CancellationToken cancellationToken);
}

/// <summary>The indicator's source is not on this node.</summary>
internal sealed class SourceUnavailableException(string message) : Exception(message);

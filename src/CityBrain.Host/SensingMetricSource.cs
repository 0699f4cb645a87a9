using CityBrain.Cockpit.Indicators;
using CityBrain.Sensing.Metrics;

namespace CityBrain.Host;

/// <summary>
/// The live entities of the sensing module as cockpit metrics (entities/{type}/{function}(...)), by district. A metric
/// over no entity at all is not answered, so the indicator shows "source not available" instead of a 0 that would
/// raise a false warning (an average speed of 0 km/h on a node without detectors).
/// </summary>
internal sealed class SensingMetricSource(IEntityMetrics metrics) : ILiveMetricSource
{
    public async ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken) =>
        await metrics.ReadAsync(metric, cancellationToken) is { Entities: > 0 } reading ? new IndicatorReading(reading.City, reading.ByDistrict) : null;
}

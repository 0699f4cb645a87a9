using CityBrain.Cockpit.Indicators;
using CityBrain.Sensing.Metrics;

namespace CityBrain.Host;

/// <summary>The live entities of the sensing module as cockpit metrics (entities/{type}/{function}(...)), by district.</summary>
internal sealed class SensingMetricSource(IEntityMetrics metrics) : ILiveMetricSource
{
    public async ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken) =>
        await metrics.ReadAsync(metric, cancellationToken) is { } reading ? new IndicatorReading(reading.City, reading.ByDistrict) : null;
}

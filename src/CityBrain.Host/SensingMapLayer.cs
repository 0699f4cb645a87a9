using System.Globalization;
using CityBrain.Cockpit.Live;
using CityBrain.Sensing.Metrics;

namespace CityBrain.Host;

/// <summary>
/// The sensed city's live entities as points on the city cockpit's map: car parks by occupancy, air-quality stations by
/// AQI, traffic detectors by mean speed, elevators by fault. The thresholds are those of the matching indicators
/// (Cockpit/Indicators/Definitions/sensing.yaml), so a red point and a red tile mean the same thing.
/// </summary>
internal sealed class SensingMapLayer(IEntityPoints entities) : ILiveMapLayerSource
{
    private sealed record Layer(string Type, string Kind, string[] Attributes, Func<IReadOnlyList<double?>, double?> Value, Func<double, MapPointStatus> Status, Func<double, string> Text);

    private static readonly Layer[] Layers =
    [
        new("OffStreetParking", "停车场 Car parks", ["occupiedSpotNumber", "totalSpotNumber"],
            v => v[0] is { } occupied && v[1] is { } total && total > 0 ? Math.Round(100 * occupied / total, 1) : null,
            occupancy => occupancy >= 95 ? MapPointStatus.Alarm : occupancy >= 85 ? MapPointStatus.Warning : MapPointStatus.Normal,
            occupancy => $"占用 {Number(occupancy)}%"),
        new("AirQualityObserved", "空气质量 Air quality", ["airQualityIndex"], v => v[0],
            aqi => aqi >= 150 ? MapPointStatus.Alarm : aqi >= 100 ? MapPointStatus.Warning : MapPointStatus.Normal,
            aqi => $"AQI {Number(aqi)}"),
        new("TrafficFlowObserved", "交通检测器 Traffic detectors", ["averageVehicleSpeed"], v => v[0],
            speed => speed <= 20 ? MapPointStatus.Alarm : speed <= 30 ? MapPointStatus.Warning : MapPointStatus.Normal,
            speed => $"{Number(speed)} km/h"),
        new("Elevator", "电梯 Elevators", ["fault"], v => v[0],
            fault => fault > 0 ? MapPointStatus.Alarm : MapPointStatus.Normal,
            fault => fault > 0 ? "故障 fault" : "正常 normal"),
    ];

    public async ValueTask<IReadOnlyList<LiveMapPoint>> ReadAsync(CancellationToken cancellationToken)
    {
        var points = new List<LiveMapPoint>();
        foreach (var layer in Layers)
        {
            foreach (var entity in await entities.ReadAsync(layer.Type, layer.Attributes, cancellationToken))
            {
                var value = layer.Value(entity.Values);
                var name = ShortName(entity.Id);
                points.Add(value is { } v
                    ? new LiveMapPoint(entity.Id, layer.Kind, entity.Lon, entity.Lat, v, layer.Status(v), $"{name} · {layer.Text(v)}")
                    : new LiveMapPoint(entity.Id, layer.Kind, entity.Lon, entity.Lat, null, MapPointStatus.NoData, $"{name} · 无数据 no data"));
            }
        }
        return points;
    }

    /// <summary>urn:ngsi-ld:OffStreetParking:carpark-330106-1 reads carpark-330106-1.</summary>
    private static string ShortName(string id) => id[(id.LastIndexOf(':') + 1)..] is { Length: > 0 } name ? name : id;

    private static string Number(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}

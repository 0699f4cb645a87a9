using System.Net;
using CityBrain.Sensing.Metrics;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Sensing.Tests;

public sealed class EntityPointsTests
{
    [Fact]
    public async Task ReadAsync_LocatedEntitiesOfType_PointAtCentreWithValuesInOrder()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        using var created = await broker.PostAsync("/entityOperations/create", """
            [{"id": "urn:ngsi-ld:OffStreetParking:b", "type": "OffStreetParking", "occupiedSpotNumber": 40, "totalSpotNumber": 80,
              "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [120.1, 30.2]}}},
             {"id": "urn:ngsi-ld:OffStreetParking:a", "type": "OffStreetParking", "totalSpotNumber": 50,
              "location": {"type": "GeoProperty", "value": {"type": "Polygon", "coordinates": [[[120, 30], [120.2, 30], [120.2, 30.2], [120, 30.2], [120, 30]]]}}},
             {"id": "urn:ngsi-ld:OffStreetParking:nowhere", "type": "OffStreetParking", "occupiedSpotNumber": 1, "totalSpotNumber": 2},
             {"id": "urn:ngsi-ld:AirQualityObserved:s", "type": "AirQualityObserved", "airQualityIndex": 60,
              "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [120.3, 30.3]}}}]
            """);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var points = await broker.Services.GetRequiredService<IEntityPoints>()
            .ReadAsync("OffStreetParking", ["occupiedSpotNumber", "totalSpotNumber"], CancellationToken.None);

        // The car park without a location cannot be drawn; the air-quality station is another type.
        Assert.Equal(["urn:ngsi-ld:OffStreetParking:a", "urn:ngsi-ld:OffStreetParking:b"], points.Select(p => p.Id));
        Assert.Equal(120.1, points[0].Lon, 6);
        Assert.Equal(30.1, points[0].Lat, 6);
        Assert.Equal([null, 50], points[0].Values);
        Assert.Equal((120.1, 30.2), (points[1].Lon, points[1].Lat));
        Assert.Equal([40, 80], points[1].Values);
    }
}

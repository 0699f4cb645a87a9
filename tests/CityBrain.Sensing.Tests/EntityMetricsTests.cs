using System.Net;
using CityBrain.Sensing.Metrics;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Sensing.Tests;

public sealed class EntityMetricsTests
{
    private const string CarParks = """
        [{"id": "urn:ngsi-ld:OffStreetParking:p1", "type": "OffStreetParking", "district": "330102", "occupiedSpotNumber": 90, "totalSpotNumber": 100},
         {"id": "urn:ngsi-ld:OffStreetParking:p2", "type": "OffStreetParking", "district": "330102", "occupiedSpotNumber": 30, "totalSpotNumber": 100},
         {"id": "urn:ngsi-ld:OffStreetParking:p3", "type": "OffStreetParking", "district": "330106", "occupiedSpotNumber": 10, "totalSpotNumber": 200},
         {"id": "urn:ngsi-ld:OffStreetParking:p4", "type": "OffStreetParking", "district": "330106", "totalSpotNumber": 50},
         {"id": "urn:ngsi-ld:AirQualityObserved:a1", "type": "AirQualityObserved", "district": "330102", "aqi": 80}]
        """;

    [Fact]
    public async Task ReadAsync_ParkingOccupancy_RatioByDistrict()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        using var created = await broker.PostAsync("/entityOperations/create", CarParks);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var metrics = broker.Services.GetRequiredService<IEntityMetrics>();

        var occupancy = (await metrics.ReadAsync("entities/OffStreetParking/ratio(occupiedSpotNumber,totalSpotNumber)", CancellationToken.None))!;
        // p4 has not reported its occupied spots: left out rather than counted empty.
        Assert.Equal(3, occupancy.Entities);
        Assert.Equal(32.5, occupancy.City);
        Assert.Equal(60, occupancy.ByDistrict["330102"]);
        Assert.Equal(5, occupancy.ByDistrict["330106"]);

        var count = (await metrics.ReadAsync("entities/OffStreetParking/count()", CancellationToken.None))!;
        Assert.Equal(4, count.City);
        var aqi = (await metrics.ReadAsync("entities/AirQualityObserved/max(aqi)", CancellationToken.None))!;
        Assert.Equal(80, aqi.City);
    }

    [Fact]
    public async Task ReadAsync_EntityChanges_ReadingFollows()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        (await broker.PostAsync("/entityOperations/create", CarParks)).Dispose();
        using var patch = await broker.Client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:p3/attrs", Broker.Json("""{"occupiedSpotNumber": 190}"""));
        Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);
        var occupancy = (await broker.Services.GetRequiredService<IEntityMetrics>().ReadAsync("entities/OffStreetParking/avg(occupiedSpotNumber)", CancellationToken.None))!;
        Assert.Equal((90 + 30 + 190) / 3.0, occupancy.City, 6);
        Assert.Equal(190, occupancy.ByDistrict["330106"]);
    }

    [Theory]
    [InlineData("entities/OffStreetParking/median(x)", "must read entities/{type}")]
    [InlineData("entities/OffStreetParking/ratio(a)", "ratio takes 2 attribute(s), got 1")]
    [InlineData("entities/OffStreetParking/avg()", "avg takes 1 attribute(s), got 0")]
    public async Task ReadAsync_MalformedMetric_SaysWhat(string metric, string expected)
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        var metrics = broker.Services.GetRequiredService<IEntityMetrics>();
        var error = await Assert.ThrowsAsync<FormatException>(async () => await metrics.ReadAsync(metric, CancellationToken.None));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Null(await metrics.ReadAsync("city.today.parking", CancellationToken.None));
    }
}

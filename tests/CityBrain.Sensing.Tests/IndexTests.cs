using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Geo;
using CityBrain.TestSupport;
using NetTopologySuite.Geometries;

namespace CityBrain.Sensing.Tests;

/// <summary>
/// The query indexes (ids in order, types, the spatial grid, attribute values read once) must answer exactly as reading
/// every entity would, after every kind of write: these tests catch an index that goes stale.
/// </summary>
public sealed class IndexTests
{
    private const string Point = "georel=near%3BmaxDistance==1000&geometry=Point&coordinates=[120.1580,30.2630]";

    private static string Parking(string id, double lon, double lat, int free) => string.Create(CultureInfo.InvariantCulture, $$$"""
        {"id": "urn:ngsi-ld:OffStreetParking:{{{id}}}", "type": "OffStreetParking", "availableSpotNumber": {{{free}}},
         "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [{{{lon}}}, {{{lat}}}]} } }
        """);

    private static async Task<string> IdsAsync(HttpClient client, string query, string? tenant = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities?" + query);
        if (tenant is not null)
        {
            request.Headers.Add("NGSILD-Tenant", tenant);
        }
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {query}: {(int)response.StatusCode} {text}");
        return string.Join(",", JsonNode.Parse(text)!.AsArray().Select(e => e!["id"]!.GetValue<string>().Split(':')[^1]));
    }

    private static async Task<int> CountAsync(HttpClient client, string query)
    {
        using var response = await client.GetAsync("/ngsi-ld/v1/entities?count=true&limit=1&" + query);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return int.Parse(response.Headers.GetValues("NGSILD-Results-Count").Single(), CultureInfo.InvariantCulture);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task NearQuery_CarParkMovedOutAndBackThenDeleted_FollowsEveryWrite(string kind)
    {
        await using var broker = await Broker.StartAsync(kind);
        (await broker.PostAsync("/entityOperations/create", $"[{Parking("hubin", 120.1600, 30.2580, 150)},{Parking("wulin", 120.1650, 30.2720, 10)}]")).Dispose();
        Assert.Equal("hubin", await IdsAsync(broker.Client, "type=OffStreetParking&" + Point));

        // Moved about 8 km east by a partial update: out of the circle, found at its new place.
        using (var moved = await broker.Client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:hubin/attrs",
            Broker.Json("""{"location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [120.2410, 30.2580]}}}""")))
        {
            Assert.Equal(HttpStatusCode.NoContent, moved.StatusCode);
        }
        Assert.Equal("", await IdsAsync(broker.Client, "type=OffStreetParking&" + Point));
        Assert.Equal("hubin", await IdsAsync(broker.Client, "type=OffStreetParking&georel=near%3BmaxDistance==500&geometry=Point&coordinates=[120.2400,30.2580]"));

        // Moved back by a batch upsert (the MQTT ingest's way of writing), with its reading changed in the same write.
        (await broker.PostAsync("/entityOperations/upsert", $"[{Parking("hubin", 120.1600, 30.2580, 7)}]")).Dispose();
        Assert.Equal("hubin", await IdsAsync(broker.Client, "type=OffStreetParking&q=availableSpotNumber<8&" + Point));
        Assert.Equal("", await IdsAsync(broker.Client, "type=OffStreetParking&georel=near%3BmaxDistance==500&geometry=Point&coordinates=[120.2400,30.2580]"));

        // Its location attribute deleted: no longer in any geo answer, still found by type.
        (await broker.Client.DeleteAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:hubin/attrs/location")).Dispose();
        Assert.Equal("", await IdsAsync(broker.Client, "type=OffStreetParking&georel=near%3BmaxDistance==2000&geometry=Point&coordinates=[120.1580,30.2630]&q=availableSpotNumber<8"));
        Assert.Equal("wulin", await IdsAsync(broker.Client, "georel=within&geometry=Polygon&coordinates=[[[120.10,30.25],[120.18,30.25],[120.18,30.28],[120.10,30.28],[120.10,30.25]]]"));
        Assert.Equal("hubin,wulin", await IdsAsync(broker.Client, "type=OffStreetParking"));

        // Deleted: gone from the type, the count, q and geo answers.
        (await broker.Client.DeleteAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:hubin")).Dispose();
        Assert.Equal("wulin", await IdsAsync(broker.Client, "type=OffStreetParking"));
        Assert.Equal(1, await CountAsync(broker.Client, "type=OffStreetParking"));
        Assert.Equal("", await IdsAsync(broker.Client, "q=availableSpotNumber<8"));
        Assert.Equal("wulin", await IdsAsync(broker.Client, "georel=near%3BmaxDistance==2000&geometry=Point&coordinates=[120.1580,30.2630]"));
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Query_TypeChangedByReplace_TypeQAndCountFollow(string kind)
    {
        await using var broker = await Broker.StartAsync(kind);
        (await broker.PostAsync("/entityOperations/create", $"[{Parking("a", 120.16, 30.26, 5)},{Parking("b", 120.16, 30.26, 6)}]")).Dispose();
        using (var replaced = await broker.Client.PutAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:a",
            Broker.Json("""{"type": "ParkingSpot", "status": "free", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [120.30, 30.30]}}}""")))
        {
            Assert.Equal(HttpStatusCode.NoContent, replaced.StatusCode);
        }
        Assert.Equal(1, await CountAsync(broker.Client, "type=OffStreetParking"));
        Assert.Equal(1, await CountAsync(broker.Client, "type=ParkingSpot"));
        // The attribute the replacement dropped no longer matches; the one it brought does.
        Assert.Equal("b", await IdsAsync(broker.Client, "q=availableSpotNumber<10"));
        Assert.Equal("a", await IdsAsync(broker.Client, "q=status==\"free\""));
        Assert.Equal("b", await IdsAsync(broker.Client, "georel=near%3BmaxDistance==1000&geometry=Point&coordinates=[120.16,30.26]"));
        Assert.Equal("a", await IdsAsync(broker.Client, "type=ParkingSpot&georel=near%3BmaxDistance==1000&geometry=Point&coordinates=[120.30,30.30]"));
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task QueryByText_ValueChangedListedAndRemoved_FollowsEveryWrite(string kind)
    {
        await using var broker = await Broker.StartAsync(kind);
        (await broker.PostAsync("/entityOperations/create", """
            [{"id": "urn:ngsi-ld:Detector:a", "type": "Detector", "district": "330106", "intensity": 10},
             {"id": "urn:ngsi-ld:Detector:b", "type": "Detector", "district": "330106", "intensity": 20}]
            """)).Dispose();
        Assert.Equal("a,b", await IdsAsync(broker.Client, "type=Detector&q=district==%22330106%22"));

        // A reading changes, the district stays: still found by it.
        (await broker.PostAsync("/entityOperations/upsert", """[{"id": "urn:ngsi-ld:Detector:a", "type": "Detector", "intensity": 11}]""")).Dispose();
        Assert.Equal("a", await IdsAsync(broker.Client, "type=Detector&q=district==%22330106%22;intensity==11"));

        // Moved to another district: found by the new one only.
        using (var moved = await broker.Client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Detector:a/attrs", Broker.Json("""{"district": "330108"}""")))
        {
            Assert.Equal(HttpStatusCode.NoContent, moved.StatusCode);
        }
        Assert.Equal("b", await IdsAsync(broker.Client, "q=district==%22330106%22"));
        Assert.Equal("a", await IdsAsync(broker.Client, "q=district==%22330108%22"));

        // Several districts in a list (a JSON array value): each of them finds it.
        using (var listed = await broker.Client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Detector:b/attrs", Broker.Json("""{"district": {"type": "Property", "value": ["330106", "330108"]}}""")))
        {
            Assert.Equal(HttpStatusCode.NoContent, listed.StatusCode);
        }
        Assert.Equal("a,b", await IdsAsync(broker.Client, "q=district==%22330108%22"));
        Assert.Equal("b", await IdsAsync(broker.Client, "q=district==%22330106%22"));

        // The attribute removed, then the entity: found by neither.
        (await broker.Client.DeleteAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Detector:b/attrs/district")).Dispose();
        Assert.Equal("a", await IdsAsync(broker.Client, "q=district==%22330108%22"));
        Assert.Equal("", await IdsAsync(broker.Client, "q=district==%22330106%22"));
        (await broker.Client.DeleteAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Detector:a")).Dispose();
        Assert.Equal("", await IdsAsync(broker.Client, "q=district==%22330108%22"));
        Assert.Equal(0, await CountAsync(broker.Client, "q=district==%22330108%22"));
    }

    [Fact]
    public async Task Query_SameIdInTwoTenants_EachTenantsIndexesApart()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        (await broker.PostAsync("/entities", Parking("p", 120.1600, 30.2580, 3))).Dispose();
        using (var other = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entities") { Content = Broker.Json(Parking("p", 120.3000, 30.3000, 300)) })
        {
            other.Headers.Add("NGSILD-Tenant", "binjiang");
            (await broker.Client.SendAsync(other)).Dispose();
        }
        Assert.Equal("p", await IdsAsync(broker.Client, Point));
        Assert.Equal("", await IdsAsync(broker.Client, Point, "binjiang"));
        Assert.Equal("p", await IdsAsync(broker.Client, "georel=near%3BmaxDistance==1000&geometry=Point&coordinates=[120.30,30.30]", "binjiang"));
        Assert.Equal("", await IdsAsync(broker.Client, "q=availableSpotNumber>100"));
        Assert.Equal("p", await IdsAsync(broker.Client, "q=availableSpotNumber>100", "binjiang"));
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Query_NewBrokerOnSameStore_IndexesRebuiltFromTheStore(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind);
        await using (var first = await Broker.StartAsync(kind, store))
        {
            (await first.PostAsync("/entityOperations/create", $"[{Parking("hubin", 120.1600, 30.2580, 150)},{Parking("wulin", 120.1650, 30.2720, 10)}]")).Dispose();
            (await first.PostAsync("/entityOperations/upsert", $"[{Parking("wulin", 120.1600, 30.2600, 9)}]")).Dispose();
        }
        await using var second = await Broker.StartAsync(kind, store);
        Assert.Equal("wulin,hubin", await IdsAsync(second.Client, "type=OffStreetParking&" + Point));
        Assert.Equal("wulin", await IdsAsync(second.Client, "type=OffStreetParking&q=availableSpotNumber<10"));
        Assert.Equal(2, await CountAsync(second.Client, "type=OffStreetParking"));
    }

    /// <summary>
    /// Seeded random detectors, queried the ways the load run does; the expected answers are worked out here by reading
    /// every generated detector (distances on the WGS 84 spheroid with <see cref="Geodesic"/>, itself checked against a
    /// published example and PostGIS in <see cref="PostGisTests"/>; plain comparisons), not through the indexes.
    /// </summary>
    [Fact]
    public async Task Query_ManyEntitiesRandomQueries_SameAnswersAsReadingEveryEntity()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        var random = new Random(8);
        var detectors = Enumerable.Range(0, 1500)
            .Select(i => (Id: $"d{i:D4}", Lon: 120.05 + random.NextDouble() * 0.2, Lat: 30.15 + random.NextDouble() * 0.18, Intensity: random.Next(2000), District: $"3301{random.Next(13):D2}"))
            .ToList();
        var body = new StringBuilder("[");
        foreach (var d in detectors)
        {
            body.Append(CultureInfo.InvariantCulture, $$$"""
                {"id": "urn:ngsi-ld:TrafficFlowObserved:{{{d.Id}}}", "type": "TrafficFlowObserved", "intensity": {{{d.Intensity}}}, "district": "{{{d.District}}}",
                 "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [{{{d.Lon}}}, {{{d.Lat}}}]} } },
                """);
        }
        body[^1] = ']';
        using (var created = await broker.PostAsync("/entityOperations/create", body.ToString()))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        for (var i = 0; i < 15; i++)
        {
            var centre = (Lon: 120.05 + random.NextDouble() * 0.2, Lat: 30.15 + random.NextDouble() * 0.18);
            var metres = new[] { 300, 1000, 3000 }[i % 3];
            var expectedNear = detectors.Select(d => (d.Id, Distance: Geodesic.DistanceMetres(new Coordinate(d.Lon, d.Lat), new Coordinate(centre.Lon, centre.Lat)))).Where(d => d.Distance <= metres)
                .OrderBy(d => d.Distance).Select(d => d.Id).Take(1000);
            var near = string.Create(CultureInfo.InvariantCulture, $"type=TrafficFlowObserved&georel=near%3BmaxDistance=={metres}&geometry=Point&coordinates=[{centre.Lon},{centre.Lat}]&limit=1000");
            Assert.Equal(string.Join(",", expectedNear), await IdsAsync(broker.Client, near));

            var threshold = random.Next(2000);
            var district = $"3301{random.Next(13):D2}";
            var selected = detectors.Where(d => d.Intensity > threshold && d.District == district).Select(d => d.Id).Order(StringComparer.Ordinal).ToList();
            var q = $"type=TrafficFlowObserved&q=intensity%3E{threshold}%3Bdistrict%3D%3D%22{district}%22";
            Assert.Equal(string.Join(",", selected.Skip(2).Take(5)), await IdsAsync(broker.Client, q + "&limit=5&offset=2"));
            Assert.Equal(selected.Count, await CountAsync(broker.Client, q));

            var box = (West: centre.Lon - 0.02, South: centre.Lat - 0.015, East: centre.Lon + 0.02, North: centre.Lat + 0.015);
            var inBox = detectors.Where(d => d.Lon > box.West && d.Lon < box.East && d.Lat > box.South && d.Lat < box.North).Select(d => d.Id).Order(StringComparer.Ordinal).Take(1000);
            var within = string.Create(CultureInfo.InvariantCulture,
                $"georel=within&geometry=Polygon&coordinates=[[[{box.West},{box.South}],[{box.East},{box.South}],[{box.East},{box.North}],[{box.West},{box.North}],[{box.West},{box.South}]]]&limit=1000");
            Assert.Equal(string.Join(",", inBox), await IdsAsync(broker.Client, within));
        }
        Assert.Equal(1500, await CountAsync(broker.Client, "type=TrafficFlowObserved"));
        Assert.Equal("d0000,d0001,d0002", await IdsAsync(broker.Client, "type=TrafficFlowObserved&limit=3"));
    }
}

using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.TestSupport;

namespace CityBrain.Sensing.Tests;

public sealed class QueryTests
{
    /// <summary>Car parks around West Lake: (id, lon, lat, free spots, total spots, district).</summary>
    private static readonly (string Id, double Lon, double Lat, int Free, int Total, string District)[] CarParks =
    [
        ("wulin", 120.1650, 30.2720, 10, 200, "330106"),
        ("hubin", 120.1600, 30.2580, 150, 300, "330102"),
        ("xixi", 120.0700, 30.2700, 80, 500, "330106"),
        ("binjiang", 120.2100, 30.2080, 5, 100, "330108"),
    ];

    private static async Task<Broker> CityAsync(string kind)
    {
        var broker = await Broker.StartAsync(kind);
        var batch = new StringBuilder("[");
        foreach (var (id, lon, lat, free, total, district) in CarParks)
        {
            batch.Append(CultureInfo.InvariantCulture, $$"""
                {"id": "urn:ngsi-ld:OffStreetParking:{{id}}", "type": "OffStreetParking",
                 "availableSpotNumber": {"type": "Property", "value": {{free}}, "observedAt": "2026-11-24T09:00:00Z"},
                 "totalSpotNumber": {{total}}, "district": "{{district}}", "name": {"type": "Property", "value": "{{id}} car park"},
                 "address": {"type": "Property", "value": {"streetAddress": "{{id}} road", "addressLocality": "Hangzhou"} },
                 "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [{{lon}}, {{lat}}]
                """);
            batch.Append("}}},");
        }
        batch.Append("""{"id": "urn:ngsi-ld:AirQualityObserved:xihu", "type": "AirQualityObserved", "pm25": 35, "location": {"type": "Point", "coordinates": [120.15, 30.26]}}]""");
        using var response = await broker.PostAsync("/entityOperations/create", batch.ToString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return broker;
    }

    private static List<string> Ids(JsonNode result) => [.. result.AsArray().Select(e => e!["id"]!.GetValue<string>().Split(':')[^1])];

    [Theory]
    [InlineData("availableSpotNumber<50", "binjiang,wulin")]
    [InlineData("availableSpotNumber>=80;district==\"330106\"", "xixi")]
    [InlineData("district==\"330102\"|district==\"330108\"", "binjiang,hubin")]
    [InlineData("(availableSpotNumber<20|availableSpotNumber>100);totalSpotNumber>150", "hubin,wulin")]
    [InlineData("availableSpotNumber==5..80", "binjiang,wulin,xixi")]
    [InlineData("district==\"330102\",\"330108\"", "binjiang,hubin")]
    [InlineData("district!=\"330106\"", "binjiang,hubin")]
    [InlineData("name~=\"^x\"", "xixi")]
    [InlineData("address[streetAddress]==\"hubin road\"", "hubin")]
    [InlineData("availableSpotNumber.observedAt>2026-11-24T08:00:00Z", "binjiang,hubin,wulin,xixi")]
    [InlineData("availableSpotNumber", "binjiang,hubin,wulin,xixi")]
    public async Task QueryEntities_QLanguage_SelectsMatchingEntities(string q, string expected)
    {
        await using var broker = await CityAsync(TestStores.Sqlite);
        var result = await broker.GetJsonAsync("/entities?type=OffStreetParking&q=" + Uri.EscapeDataString(q));
        Assert.Equal(expected, string.Join(",", Ids(result)));
    }

    [Theory]
    [InlineData("q=availableSpotNumber=10", "single '='")]
    [InlineData("q=availableSpotNumber==", "expected a value")]
    [InlineData("q=(availableSpotNumber==1", "expected ')'")]
    [InlineData("q=name==\"open", "unterminated string")]
    [InlineData("q=availableSpotNumber==ten", "is not a number")]
    [InlineData("georel=near;maxDistance=10&geometry=Point&coordinates=[120.15,30.27]", "maxDistance==")]
    [InlineData("georel=near&geometry=Point&coordinates=[120.15,30.27]", "needs maxDistance")]
    [InlineData("georel=within&geometry=Polygon&coordinates=[[1,2]]", "coordinates")]
    [InlineData("georel=near;maxDistance==10&geometry=Point", "needs all of")]
    [InlineData("limit=-1", "limit")]
    [InlineData("limit=5000", "maximum")]
    [InlineData("colour=red", "Unknown query parameter 'colour'")]
    [InlineData("idPattern=[", "idPattern")]
    public async Task QueryEntities_BadParameters_Answer4xxNamingTheFault(string query, string expectedInDetail)
    {
        await using var broker = await CityAsync(TestStores.Sqlite);
        using var response = await broker.Client.GetAsync("/ngsi-ld/v1/entities?type=OffStreetParking&" + query.Replace(";", "%3B", StringComparison.Ordinal).Replace("\"", "%22", StringComparison.Ordinal));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode is 400 or 403, $"{(int)response.StatusCode}: {text}");
        Assert.Contains(expectedInDetail, JsonNode.Parse(text)!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task QueryEntities_NearWithin1Km_FindsCarParksNearestFirst(string kind)
    {
        await using var broker = await CityAsync(kind);
        // 湖滨 is about 0.6 km from the point, 武林 about 1.2 km, 滨江 about 7.9 km, 西溪 about 8.5 km.
        var near = await broker.GetJsonAsync("/entities?type=OffStreetParking&georel=near%3BmaxDistance==1000&geometry=Point&coordinates=[120.1580,30.2630]");
        Assert.Equal("hubin", string.Join(",", Ids(near)));
        var wider = await broker.GetJsonAsync("/entities?type=OffStreetParking&georel=near%3BmaxDistance==2000&geometry=Point&coordinates=[120.1580,30.2630]");
        Assert.Equal("hubin,wulin", string.Join(",", Ids(wider)));
        var far = await broker.GetJsonAsync("/entities?type=OffStreetParking&georel=near%3BminDistance==2000&geometry=Point&coordinates=[120.1580,30.2630]");
        Assert.Equal("binjiang,xixi", string.Join(",", Ids(far)));
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task QueryEntities_GeoRelations_FollowTheGeometry(string kind)
    {
        await using var broker = await CityAsync(kind);
        const string WestOfRiver = "[[[120.10,30.25],[120.18,30.25],[120.18,30.28],[120.10,30.28],[120.10,30.25]]]";
        var within = await broker.GetJsonAsync($"/entities?type=OffStreetParking&georel=within&geometry=Polygon&coordinates={WestOfRiver}");
        Assert.Equal("hubin,wulin", string.Join(",", Ids(within)));
        var disjoint = await broker.GetJsonAsync($"/entities?type=OffStreetParking&georel=disjoint&geometry=Polygon&coordinates={WestOfRiver}");
        Assert.Equal("binjiang,xixi", string.Join(",", Ids(disjoint)));
        var intersects = await broker.GetJsonAsync($"/entities?georel=intersects&geometry=Polygon&coordinates={WestOfRiver}");
        Assert.Equal("xihu,hubin,wulin", string.Join(",", Ids(intersects)));
        var equals = await broker.GetJsonAsync("/entities?georel=equals&geometry=Point&coordinates=[120.21,30.208]");
        Assert.Equal("binjiang", string.Join(",", Ids(equals)));
    }

    [Fact]
    public async Task QueryEntities_LimitOffsetCountOrderBy_PageThroughResults()
    {
        await using var broker = await CityAsync(TestStores.Sqlite);
        using var counted = await broker.Client.GetAsync("/ngsi-ld/v1/entities?type=OffStreetParking&limit=2&count=true&orderBy=availableSpotNumber%3Bdesc");
        Assert.Equal("4", counted.Headers.GetValues("NGSILD-Results-Count").Single());
        var first = JsonNode.Parse(await counted.Content.ReadAsStringAsync())!;
        Assert.Equal("hubin,xixi", string.Join(",", Ids(first)));
        var second = await broker.GetJsonAsync("/entities?type=OffStreetParking&limit=2&offset=2&orderBy=availableSpotNumber%3Bdesc");
        Assert.Equal("wulin,binjiang", string.Join(",", Ids(second)));
        using var onlyCount = await broker.Client.GetAsync("/ngsi-ld/v1/entities?type=OffStreetParking,AirQualityObserved&limit=0&count=true");
        Assert.Equal("5", onlyCount.Headers.GetValues("NGSILD-Results-Count").Single());
    }

    [Fact]
    public async Task QueryEntities_SmallPageOfManyMatches_SameOrderAsWholeSort()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        // 400 detectors, intensities with ties, so that the id decides between equals.
        var detectors = Enumerable.Range(0, 400).Select(i => $$"""{"id": "urn:ngsi-ld:TrafficFlowObserved:d{{i:D3}}", "type": "TrafficFlowObserved", "intensity": {{i * 37 % 50}}}""");
        using var created = await broker.PostAsync("/entityOperations/create", "[" + string.Join(",", detectors) + "]");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var expected = Enumerable.Range(0, 400).OrderByDescending(i => i * 37 % 50).ThenBy(i => i).Select(i => $"d{i:D3}").ToList();

        var page = await broker.GetJsonAsync("/entities?type=TrafficFlowObserved&orderBy=intensity%3Bdesc&offset=7&limit=5");
        Assert.Equal(string.Join(",", expected.Skip(7).Take(5)), string.Join(",", Ids(page)));
        var byId = await broker.GetJsonAsync("/entities?type=TrafficFlowObserved&limit=3");
        Assert.Equal("d000,d001,d002", string.Join(",", Ids(byId)));
        var pastTheEnd = await broker.GetJsonAsync("/entities?type=TrafficFlowObserved&offset=398&limit=5");
        Assert.Equal("d398,d399", string.Join(",", Ids(pastTheEnd)));
    }

    [Fact]
    public async Task QueryEntities_PickOmitAttrs_ProjectMembers()
    {
        await using var broker = await CityAsync(TestStores.Sqlite);
        var picked = await broker.GetJsonAsync("/entities?id=urn:ngsi-ld:OffStreetParking:hubin&pick=id,availableSpotNumber&options=keyValues");
        Assert.Equal("""[{"id":"urn:ngsi-ld:OffStreetParking:hubin","availableSpotNumber":150}]""", picked.ToJsonString());
        var omitted = await broker.GetJsonAsync("/entities?id=urn:ngsi-ld:OffStreetParking:hubin&omit=location,address,name&options=keyValues");
        Assert.Equal("""[{"id":"urn:ngsi-ld:OffStreetParking:hubin","type":"OffStreetParking","availableSpotNumber":150,"totalSpotNumber":300,"district":"330102"}]""", omitted.ToJsonString());
        var attrs = await broker.GetJsonAsync("/entities?idPattern=.*:AirQuality.*&attrs=pm25&options=keyValues");
        Assert.Equal("""[{"id":"urn:ngsi-ld:AirQualityObserved:xihu","type":"AirQualityObserved","pm25":35}]""", attrs.ToJsonString());
    }

    [Fact]
    public async Task PostQuery_QueryObject_AnswersLikeGet()
    {
        await using var broker = await CityAsync(TestStores.Sqlite);
        using var response = await broker.PostAsync("/entityOperations/query", """
            {"type": "Query", "entities": [{"type": "OffStreetParking"}], "q": "availableSpotNumber<100",
             "geoQ": {"geometry": "Point", "coordinates": [120.1580, 30.2630], "georel": "near;maxDistance==2000"}}
            """);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("wulin", string.Join(",", Ids(JsonNode.Parse(await response.Content.ReadAsStringAsync())!)));
    }

    [Fact]
    public async Task GeoJson_Accept_AnswersFeatureCollection()
    {
        await using var broker = await CityAsync(TestStores.Sqlite);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities?type=OffStreetParking&options=keyValues&limit=1");
        request.Headers.Accept.ParseAdd("application/geo+json");
        using var response = await broker.Client.SendAsync(request);
        var collection = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("FeatureCollection", collection["type"]!.GetValue<string>());
        Assert.Equal("Point", collection["features"]![0]!["geometry"]!["type"]!.GetValue<string>());
        Assert.Equal(5, collection["features"]![0]!["properties"]!["availableSpotNumber"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task BatchOperations_MixedGoodAndBad_ApplyEachEntityWhole(string kind)
    {
        await using var broker = await CityAsync(kind);
        using var upsert = await broker.PostAsync("/entityOperations/upsert", """
            [{"id": "urn:ngsi-ld:OffStreetParking:hubin", "type": "OffStreetParking", "availableSpotNumber": 149},
             {"id": "urn:ngsi-ld:OffStreetParking:new", "type": "OffStreetParking", "availableSpotNumber": 1},
             {"id": "urn:ngsi-ld:OffStreetParking:bad", "type": "OffStreetParking", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": ["x"]}}}]
            """);
        Assert.Equal(HttpStatusCode.MultiStatus, upsert.StatusCode);
        var result = JsonNode.Parse(await upsert.Content.ReadAsStringAsync())!;
        Assert.Equal(2, result["success"]!.AsArray().Count);
        Assert.Equal("urn:ngsi-ld:OffStreetParking:bad", result["errors"]![0]!["entityId"]!.GetValue<string>());
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/BadRequestData", result["errors"]![0]!["error"]!["type"]!.GetValue<string>());

        // The upsert updated hubin's free spots and kept its other attributes (update mode, not replace).
        var hubin = await broker.GetJsonAsync("/entities/urn:ngsi-ld:OffStreetParking:hubin?options=keyValues");
        Assert.Equal(149, hubin["availableSpotNumber"]!.GetValue<int>());
        Assert.Equal(300, hubin["totalSpotNumber"]!.GetValue<int>());

        using var updateOnly = await broker.PostAsync("/entityOperations/upsert", """[{"id": "urn:ngsi-ld:OffStreetParking:hubin", "type": "OffStreetParking", "availableSpotNumber": 148}]""");
        Assert.Equal(HttpStatusCode.NoContent, updateOnly.StatusCode);

        using var delete = await broker.PostAsync("/entityOperations/delete", """["urn:ngsi-ld:OffStreetParking:new", "urn:ngsi-ld:OffStreetParking:missing"]""");
        Assert.Equal(HttpStatusCode.MultiStatus, delete.StatusCode);
        using var gone = await broker.Client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:new");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task TypesAndAttributes_Discovery_ListWhatIsStored()
    {
        await using var broker = await CityAsync(TestStores.Sqlite);
        var types = await broker.GetJsonAsync("/types");
        Assert.Equal("""["AirQualityObserved","OffStreetParking"]""", types["typeList"]!.ToJsonString());
        var parking = await broker.GetJsonAsync("/types/OffStreetParking");
        Assert.Equal(4, parking["entityCount"]!.GetValue<int>());
        var attribute = await broker.GetJsonAsync("/attributes/location");
        Assert.Equal(5, attribute["attributeCount"]!.GetValue<int>());
        Assert.Equal("""["GeoProperty"]""", attribute["attributeTypes"]!.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task QueryByType_AfterTypeAddedReplacedAndDeleted_FollowsEveryWrite(string kind)
    {
        await using var broker = await Broker.StartAsync(kind);
        (await broker.PostAsync("/entityOperations/create", """
            [{"id": "urn:ngsi-ld:Sensor:a", "type": "Sensor"}, {"id": "urn:ngsi-ld:Sensor:b", "type": "Sensor"},
             {"id": "urn:ngsi-ld:Bus:c", "type": "Bus"}]
            """)).Dispose();
        async Task<string[]> IdsOf(string type, string? tenant = null)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/ngsi-ld/v1/entities?type={type}");
            if (tenant is not null)
            {
                request.Headers.Add("NGSILD-Tenant", tenant);
            }
            using var response = await broker.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, text);
            return [.. JsonNode.Parse(text)!.AsArray().Select(e => e!["id"]!.GetValue<string>()).Order(StringComparer.Ordinal)];
        }
        Assert.Equal(["urn:ngsi-ld:Sensor:a", "urn:ngsi-ld:Sensor:b"], await IdsOf("Sensor"));
        Assert.Equal(["urn:ngsi-ld:Bus:c", "urn:ngsi-ld:Sensor:a", "urn:ngsi-ld:Sensor:b"], await IdsOf("Sensor,Bus"));

        // A second type added by append: the entity answers to both, listed once.
        (await broker.PostAsync("/entities/urn:ngsi-ld:Sensor:a/attrs", """{"type": "Bus"}""")).Dispose();
        Assert.Equal(["urn:ngsi-ld:Bus:c", "urn:ngsi-ld:Sensor:a"], await IdsOf("Bus"));
        Assert.Equal(["urn:ngsi-ld:Bus:c", "urn:ngsi-ld:Sensor:a", "urn:ngsi-ld:Sensor:b"], await IdsOf("Sensor,Bus"));

        // Replaced with another type: gone from the old type's answer.
        using (var replaced = await broker.Client.PutAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Sensor:b", Broker.Json("""{"type": "Bus"}""")))
        {
            Assert.Equal(HttpStatusCode.NoContent, replaced.StatusCode);
        }
        Assert.Equal(["urn:ngsi-ld:Sensor:a"], await IdsOf("Sensor"));

        (await broker.Client.DeleteAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:Sensor:a")).Dispose();
        Assert.Empty(await IdsOf("Sensor"));
        Assert.Equal(["urn:ngsi-ld:Bus:c", "urn:ngsi-ld:Sensor:b"], await IdsOf("Bus"));

        // Another tenant's entities of the same type stay apart.
        using (var other = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entities") { Content = Broker.Json("""{"id": "urn:ngsi-ld:Bus:d", "type": "Bus"}""") })
        {
            other.Headers.Add("NGSILD-Tenant", "binjiang");
            (await broker.Client.SendAsync(other)).Dispose();
        }
        Assert.Equal(["urn:ngsi-ld:Bus:d"], await IdsOf("Bus", "binjiang"));
        Assert.Equal(["urn:ngsi-ld:Bus:c", "urn:ngsi-ld:Sensor:b"], await IdsOf("Bus"));
    }
}

using System.Net;
using System.Text.Json.Nodes;

namespace CityBrain.Sensing.Tests.Conformance;

/// <summary>ETSI NGSI-LD test suite, ContextInformation/Consumption/Entity (GS CIM 009 clauses 5.7.1 and 5.7.2), ported.</summary>
public sealed class ConsumptionConformanceTests
{
    [Fact]
    [Trait("etsi", "018_01_01")]
    public async Task Etsi018_01_01_RetrieveEntity_ById_AnswersTheEntity()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Building");
        var building = EtsiSuite.BuildingWithProperties(id);
        await suite.CreateAsync(building);

        var retrieved = await suite.GetJsonAsync("/entities/" + id);
        EtsiSuite.AssertSameEntity(building, retrieved);
        Assert.NotNull(retrieved["@context"]);
    }

    [Fact]
    [Trait("etsi", "018_02_01")]
    public async Task Etsi018_02_01_RetrieveEntity_IdNotAUri_AnswersBadRequestData()
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var response = await suite.GetAsync("/entities/thisisaninvaliduri");
        await EtsiSuite.AssertProblemAsync(response, 400, "BadRequestData");
    }

    [Fact]
    [Trait("etsi", "019_01_01")]
    public async Task Etsi019_01_01_QueryEntities_ByIdsAndExpandedType_AnswersOnlyThoseIds()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var ids = new[] { EtsiSuite.NewId("Building"), EtsiSuite.NewId("Building"), EtsiSuite.NewId("Building") };
        foreach (var id in ids)
        {
            await suite.CreateAsync(EtsiSuite.MinimalBuilding(id));
        }

        // The suite gives the type fully expanded and no @context: the answer uses expanded names too.
        var type = Uri.EscapeDataString(EtsiSuite.Vocabulary + "Building");
        var found = await suite.GetJsonAsync($"/entities?id={ids[0]},{ids[1]}&type={type}", "application/json", withContext: false);
        var entities = found.AsArray();
        Assert.Equal(ids[..2].Order(), entities.Select(e => e!["id"]!.GetValue<string>()).Order());
        Assert.All(entities, e => Assert.Equal(EtsiSuite.Vocabulary + "Building", e!["type"]!.GetValue<string>()));
    }

    [Fact]
    [Trait("etsi", "019_01_02")]
    public async Task Etsi019_01_02_QueryEntities_ByTwoExpandedTypes_AnswersEntitiesOfEither()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var vehicle = EtsiSuite.Vehicle(EtsiSuite.NewId("Vehicle"));
        var parking = EtsiSuite.Parking(EtsiSuite.NewId("OffStreetParking"));
        await suite.CreateAsync(EtsiSuite.MinimalBuilding(EtsiSuite.NewId("Building")));
        await suite.CreateAsync(vehicle);
        await suite.CreateAsync(parking);

        var types = Uri.EscapeDataString($"{EtsiSuite.Vocabulary}Vehicle,{EtsiSuite.Vocabulary}OffStreetParking");
        var found = await suite.GetJsonAsync($"/entities?type={types}", withContext: false);
        var byId = found.AsArray().ToDictionary(e => e!["id"]!.GetValue<string>());
        Assert.Equal([parking["id"]!.GetValue<string>(), vehicle["id"]!.GetValue<string>()], byId.Keys.Order());
        Assert.Equal(35, byId[vehicle["id"]!.GetValue<string>()]![EtsiSuite.Vocabulary + "speed"]!["value"]!.GetValue<int>());
    }

    [Fact]
    [Trait("etsi", "049_01_01")]
    public async Task Etsi049_01_01_RetrieveEntity_AcceptXml_Answers406()
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var response = await suite.GetAsync("/entities/" + EtsiSuite.NewId("Building"), "application/xml");
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    [Trait("etsi", "019_01_03")]
    public async Task Etsi019_01_03_QueryEntities_ByIdPattern_AnswersMatchingEntities()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var ids = new[] { EtsiSuite.NewId("Building"), EtsiSuite.NewId("Building") };
        foreach (var id in ids)
        {
            await suite.CreateAsync(EtsiSuite.MinimalBuilding(id));
        }
        await suite.CreateAsync(EtsiSuite.Vehicle(EtsiSuite.NewId("Vehicle")));

        var type = Uri.EscapeDataString(EtsiSuite.Vocabulary + "Building");
        var pattern = Uri.EscapeDataString("urn:ngsi-ld:Building:.*");
        var found = await suite.GetJsonAsync($"/entities?idPattern={pattern}&type={type}", "application/json", withContext: false);
        Assert.Equal(ids.Order(), found.AsArray().Select(e => e!["id"]!.GetValue<string>()).Order());
    }

    [Fact]
    [Trait("etsi", "019_04_01")]
    public async Task Etsi019_04_01_QueryEntities_KeyValues_AnswersSimplifiedEntities()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var ids = new[] { EtsiSuite.NewId("Building"), EtsiSuite.NewId("Building"), EtsiSuite.NewId("Building") };
        foreach (var id in ids)
        {
            await suite.CreateAsync(EtsiSuite.BuildingWithProperties(id));
        }

        var type = Uri.EscapeDataString(EtsiSuite.Vocabulary + "Building");
        var found = await suite.GetJsonAsync($"/entities?id={ids[0]},{ids[1]}&type={type}&options=keyValues", "application/json", withContext: false);
        var byId = found.AsArray().ToDictionary(e => e!["id"]!.GetValue<string>());
        Assert.Equal(ids[..2].Order(), byId.Keys.Order());
        foreach (var id in ids[..2])
        {
            var expected = new JsonObject
            {
                ["id"] = id,
                ["type"] = EtsiSuite.Vocabulary + "Building",
                [EtsiSuite.Vocabulary + "airQualityLevel"] = 4,
                [EtsiSuite.Vocabulary + "subCategory"] = new JsonArray("tourism"),
                [EtsiSuite.Vocabulary + "almostFull"] = false,
            };
            EtsiSuite.AssertSameEntity(expected, byId[id]!);
        }
    }

    [Fact]
    [Trait("etsi", "019_05_01")]
    public async Task Etsi019_05_01_QueryEntities_AcceptGeoJson_AnswersFeatureCollection()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var ids = new[] { EtsiSuite.NewId("Building"), EtsiSuite.NewId("Building") };
        foreach (var id in ids)
        {
            await suite.CreateAsync(EtsiSuite.BuildingWithLocation(id));
        }

        var collection = await suite.GetJsonAsync($"/entities?id={ids[0]},{ids[1]}&type=Building", "application/geo+json");
        Assert.Equal("FeatureCollection", collection["type"]!.GetValue<string>());
        var features = collection["features"]!.AsArray();
        Assert.Equal(ids.Order(), features.Select(f => f!["id"]!.GetValue<string>()).Order());
        Assert.All(features, f =>
        {
            Assert.Equal("Feature", f!["type"]!.GetValue<string>());
            Assert.Equal("""{"type":"Point","coordinates":[120.1551,30.2741]}""", f["geometry"]!.ToJsonString());
            Assert.Equal("Building", f["properties"]!["type"]!.GetValue<string>());
        });
    }
}

using System.Net;
using System.Text.Json.Nodes;

namespace CityBrain.Sensing.Tests.Conformance;

/// <summary>ETSI NGSI-LD test suite, ContextInformation/Provision/Entities (GS CIM 009 clauses 5.6.1 and 5.6.6), ported.</summary>
public sealed class EntityProvisionConformanceTests
{
    public static TheoryData<string, string> CreatableBuildings => new()
    {
        { "001_01_01", "minimal" },
        { "001_01_02", "simple-properties" },
        { "001_01_03", "relationship-of-property" },
        { "001_01_04", "location" },
        { "001_01_05", "non-core-geoproperty" },
    };

    private static JsonObject BuildingOf(string sample, string id) => sample switch
    {
        "minimal" => EtsiSuite.MinimalBuilding(id),
        "simple-properties" => EtsiSuite.BuildingWithProperties(id),
        "relationship-of-property" => EtsiSuite.BuildingWithRelationshipOfProperty(id),
        "location" => EtsiSuite.BuildingWithLocation(id),
        _ => EtsiSuite.BuildingWithOwnGeoProperty(id),
    };

    // 001_01_01 sends the minimal entity as application/json (no context needed); the others as application/ld+json.
    [Theory]
    [Trait("etsi", "001_01")]
    [MemberData(nameof(CreatableBuildings))]
    public async Task Etsi001_01_CreateEntity_ValidPayload_CreatedAndRetrievedAsSent(string etsiCase, string sample)
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Building");
        var entity = BuildingOf(sample, id);
        var plainJson = etsiCase == "001_01_01";
        using var created = plainJson
            ? await suite.SendAsync(HttpMethod.Post, "/entities", entity.ToJsonString(), "application/json")
            : await suite.SendAsync(HttpMethod.Post, "/entities", suite.AsLd(entity), EtsiSuite.LdJson);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Empty(await created.Content.ReadAsStringAsync());
        Assert.EndsWith("/ngsi-ld/v1/entities/" + Uri.EscapeDataString(id), created.Headers.Location!.ToString());
        var retrieved = plainJson
            ? await suite.GetJsonAsync("/entities/" + id, "application/json", withContext: false)
            : await suite.GetJsonAsync("/entities/" + id);
        EtsiSuite.AssertSameEntity(entity, retrieved);
    }

    [Theory]
    [Trait("etsi", "001_02")]
    [InlineData("001_02_01", """{"id": "urn:ngsi-ld:Building:invalid-json", "type": "Building" """, "InvalidRequest")]
    [InlineData("001_02_02", "", "InvalidRequest")]
    [InlineData("001_02_03", """{"id": "urn:ngsi-ld:Building:no-context", "type": "Building"}""", "BadRequestData")]
    [InlineData("001_02_04", """{"id": "urn:ngsi-ld:Building:bad-type", "type": "Building with spaces", "@context": ["https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"]}""", "BadRequestData")]
    public async Task Etsi001_02_CreateEntity_InvalidRequest_Answers400WithErrorType(string etsiCase, string body, string errorType)
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var response = await suite.SendAsync(HttpMethod.Post, "/entities", body, EtsiSuite.LdJson);
        await EtsiSuite.AssertProblemAsync(response, 400, errorType, etsiCase);
    }

    [Fact]
    [Trait("etsi", "002_01_01")]
    public async Task Etsi002_01_01_DeleteEntity_Existing_Answers204ThenGone()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Building");
        await suite.CreateAsync(EtsiSuite.BuildingWithProperties(id));

        using var deleted = await suite.Client.DeleteAsync("/ngsi-ld/v1/entities/" + id);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Empty(await deleted.Content.ReadAsStringAsync());
        using var lookup = await suite.GetAsync("/entities/" + id);
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    [Trait("etsi", "002_02_01")]
    public async Task Etsi002_02_01_DeleteEntity_IdNotAUri_AnswersBadRequestData()
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var response = await suite.Client.DeleteAsync("/ngsi-ld/v1/entities/thisisaninvaliduri");
        await EtsiSuite.AssertProblemAsync(response, 400, "BadRequestData");
    }

    [Fact]
    [Trait("etsi", "002_03_01")]
    public async Task Etsi002_03_01_DeleteEntity_Unknown_AnswersResourceNotFound()
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var response = await suite.Client.DeleteAsync("/ngsi-ld/v1/entities/" + EtsiSuite.NewId("Building"));
        await EtsiSuite.AssertProblemAsync(response, 404, "ResourceNotFound");
    }

    [Fact]
    [Trait("etsi", "054_01_01")]
    public async Task Etsi054_01_01_ReplaceEntity_Existing_Answers204AndKeepsCreatedAt()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Building");
        await suite.CreateAsync(EtsiSuite.BuildingWithProperties(id));
        var before = await suite.GetJsonAsync($"/entities/{id}?options=sysAttrs");

        var replacement = EtsiSuite.BuildingWithRelationship(id);
        using var replaced = await suite.SendAsync(HttpMethod.Put, "/entities/" + id, replacement.ToJsonString(), "application/json", withContext: true);

        Assert.Equal(HttpStatusCode.NoContent, replaced.StatusCode);
        Assert.Empty(await replaced.Content.ReadAsStringAsync());
        var after = await suite.GetJsonAsync($"/entities/{id}?options=sysAttrs");
        Assert.Equal(before["createdAt"]!.GetValue<string>(), after["createdAt"]!.GetValue<string>());
        Assert.Null(after["airQualityLevel"]);
        Assert.Equal("urn:ngsi-ld:City:Hangzhou", after["locatedAt"]!["object"]!.GetValue<string>());
    }

    [Fact]
    [Trait("etsi", "056_01_02")]
    public async Task Etsi056_01_02_MergeEntity_SimpleProperties_ChangesThoseAndKeepsTheRest()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Building");
        await suite.CreateAsync(EtsiSuite.BuildingWithProperties(id));

        var fragment = new JsonObject { ["almostFull"] = new JsonObject { ["type"] = "Property", ["value"] = true }, ["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 0 } };
        using var merged = await suite.SendAsync(HttpMethod.Patch, "/entities/" + id, suite.AsLd(fragment), EtsiSuite.LdJson);

        Assert.Equal(HttpStatusCode.NoContent, merged.StatusCode);
        var expected = EtsiSuite.BuildingWithProperties(id);
        expected["almostFull"] = new JsonObject { ["type"] = "Property", ["value"] = true };
        expected["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 0 };
        EtsiSuite.AssertSameEntity(expected, await suite.GetJsonAsync("/entities/" + id));
    }

    [Fact]
    [Trait("etsi", "056_01_04")]
    public async Task Etsi056_01_04_MergeEntity_OnlyAPropertyValue_KeepsItsOtherMembers()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Building");
        await suite.CreateAsync(EtsiSuite.BuildingWithProperties(id));

        var fragment = new JsonObject { ["airQualityLevel"] = new JsonObject { ["value"] = 9 } };
        using var merged = await suite.SendAsync(HttpMethod.Patch, "/entities/" + id, suite.AsLd(fragment), EtsiSuite.LdJson);

        Assert.Equal(HttpStatusCode.NoContent, merged.StatusCode);
        var expected = EtsiSuite.BuildingWithProperties(id);
        expected["airQualityLevel"]!["value"] = 9;
        EtsiSuite.AssertSameEntity(expected, await suite.GetJsonAsync("/entities/" + id));
    }

    private const string GpsDataset = "urn:ngsi-ld:Dataset:gps";

    /// <summary>A Vehicle whose speed has two instances: the default one (50) and the GPS one (52).</summary>
    private static JsonObject VehicleWithTwoSpeeds(string id)
    {
        var vehicle = EtsiSuite.Vehicle(id);
        vehicle["speed"] = new JsonArray(
            new JsonObject { ["type"] = "Property", ["value"] = 50 },
            new JsonObject { ["type"] = "Property", ["value"] = 52, ["datasetId"] = GpsDataset });
        return vehicle;
    }

    /// <summary>The instances of an attribute as answered: one instance is an object, several an array.</summary>
    private static List<JsonNode> Instances(JsonNode? attribute) => attribute switch
    {
        null => [],
        JsonArray many => [.. many.Select(i => i!)],
        _ => [attribute],
    };

    [Theory]
    [Trait("etsi", "010_01")]
    [InlineData("010_01_01", null)]
    [InlineData("010_01_02", "urn:ngsi-ld:Dataset:radar")]
    public async Task Etsi010_01_AppendAttributes_NewAttributeOrDataset_Answers204AndAddsIt(string etsiCase, string? datasetId)
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Vehicle");
        await suite.CreateAsync(VehicleWithTwoSpeeds(id));

        // 010_01_01 appends an attribute the entity lacks; 010_01_02 another instance of speed, under its own datasetId.
        var fragment = datasetId is null
            ? new JsonObject { ["almostFull"] = new JsonObject { ["type"] = "Property", ["value"] = true } }
            : new JsonObject { ["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 49, ["datasetId"] = datasetId } };
        using var appended = await suite.SendAsync(HttpMethod.Post, $"/entities/{id}/attrs", suite.AsLd(fragment), EtsiSuite.LdJson);

        Assert.True(appended.StatusCode == HttpStatusCode.NoContent, $"{etsiCase}: {(int)appended.StatusCode} {await appended.Content.ReadAsStringAsync()}");
        Assert.Empty(await appended.Content.ReadAsStringAsync());
        var entity = await suite.GetJsonAsync("/entities/" + id);
        if (datasetId is null)
        {
            Assert.True(entity["almostFull"]!["value"]!.GetValue<bool>());
            Assert.Equal(2, Instances(entity["speed"]).Count);
        }
        else
        {
            Assert.Equal([49, 50, 52], Instances(entity["speed"]).Select(i => i["value"]!.GetValue<int>()).Order());
        }
    }

    [Theory]
    [Trait("etsi", "013_01")]
    [InlineData("013_01_01", "", new[] { 52 })]
    [InlineData("013_01_02", "?datasetId=" + GpsDataset, new[] { 50 })]
    [InlineData("013_01_03", "?deleteAll=true", new int[0])]
    public async Task Etsi013_01_DeleteAttribute_DefaultDatasetOrAll_Answers204AndRemovesThose(string etsiCase, string query, int[] remaining)
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Vehicle");
        await suite.CreateAsync(VehicleWithTwoSpeeds(id));

        using var request = new HttpRequestMessage(HttpMethod.Delete, $"/ngsi-ld/v1/entities/{id}/attrs/speed{query}");
        request.Headers.Add("Link", $"<{suite.ContextUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        using var deleted = await suite.Client.SendAsync(request);

        Assert.True(deleted.StatusCode == HttpStatusCode.NoContent, $"{etsiCase}: {(int)deleted.StatusCode} {await deleted.Content.ReadAsStringAsync()}");
        var entity = await suite.GetJsonAsync("/entities/" + id);
        Assert.Equal(remaining, Instances(entity["speed"]).Select(i => i["value"]!.GetValue<int>()));
        Assert.Equal("Geely", entity["brandName"]!["value"]!.GetValue<string>());
    }
}

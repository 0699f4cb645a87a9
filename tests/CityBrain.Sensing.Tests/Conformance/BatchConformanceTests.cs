using System.Net;
using System.Text.Json.Nodes;

namespace CityBrain.Sensing.Tests.Conformance;

/// <summary>ETSI NGSI-LD test suite, ContextInformation/Provision/BatchEntities (GS CIM 009 clause 5.6.7), ported.</summary>
public sealed class BatchConformanceTests
{
    public static TheoryData<string, string> Samples => new()
    {
        { "003_01_01", "minimal" },
        { "003_01_02", "simple-properties" },
        { "003_01_03", "relationship" },
        { "003_01_04", "relationship-of-property" },
    };

    private static JsonObject BuildingOf(string sample, string id) => sample switch
    {
        "minimal" => EtsiSuite.MinimalBuilding(id),
        "simple-properties" => EtsiSuite.BuildingWithProperties(id),
        "relationship" => EtsiSuite.BuildingWithRelationship(id),
        _ => EtsiSuite.BuildingWithRelationshipOfProperty(id),
    };

    private static string LdArray(EtsiSuite suite, params JsonObject[] entities) =>
        new JsonArray([.. entities.Select(e => JsonNode.Parse(suite.AsLd(e)))]).ToJsonString();

    [Theory]
    [Trait("etsi", "003_01")]
    [MemberData(nameof(Samples))]
    public async Task Etsi003_01_BatchCreate_NewEntities_Answers201WithIdsAndStoresThem(string etsiCase, string sample)
    {
        await using var suite = await EtsiSuite.StartAsync();
        var first = BuildingOf(sample, EtsiSuite.NewId("Building"));
        var second = BuildingOf(sample, EtsiSuite.NewId("Building"));

        using var response = await suite.SendAsync(HttpMethod.Post, "/entityOperations/create", LdArray(suite, first, second), EtsiSuite.LdJson);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{etsiCase}: {(int)response.StatusCode} {text}");
        Assert.Equal([first["id"]!.GetValue<string>(), second["id"]!.GetValue<string>()], JsonNode.Parse(text)!.AsArray().Select(i => i!.GetValue<string>()));
        var found = await suite.GetJsonAsync($"/entities?id={first["id"]},{second["id"]}&type=Building");
        var byId = found.AsArray().ToDictionary(e => e!["id"]!.GetValue<string>());
        EtsiSuite.AssertSameEntity(first, byId[first["id"]!.GetValue<string>()]!);
        EtsiSuite.AssertSameEntity(second, byId[second["id"]!.GetValue<string>()]!);
    }

    [Fact]
    [Trait("etsi", "003_02_01")]
    public async Task Etsi003_02_01_BatchCreate_OneAlreadyExists_Answers207AndCreatesTheOthers()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var existing = EtsiSuite.MinimalBuilding(EtsiSuite.NewId("Building"));
        await suite.CreateAsync(existing);
        var first = EtsiSuite.MinimalBuilding(EtsiSuite.NewId("Building"));
        var second = EtsiSuite.MinimalBuilding(EtsiSuite.NewId("Building"));

        using var response = await suite.SendAsync(HttpMethod.Post, "/entityOperations/create", LdArray(suite, first, second, existing), EtsiSuite.LdJson);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 207, $"{(int)response.StatusCode} {text}");
        var result = JsonNode.Parse(text)!;
        Assert.Equal([first["id"]!.GetValue<string>(), second["id"]!.GetValue<string>()], result["success"]!.AsArray().Select(i => i!.GetValue<string>()));
        var error = Assert.Single(result["errors"]!.AsArray())!;
        Assert.Equal(existing["id"]!.GetValue<string>(), error["entityId"]!.GetValue<string>());
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/AlreadyExists", error["error"]!["type"]!.GetValue<string>());
        var found = await suite.GetJsonAsync($"/entities?id={first["id"]},{second["id"]}&type=Building");
        Assert.Equal(2, found.AsArray().Count);
    }

    [Fact]
    [Trait("etsi", "048_01_05")]
    public async Task Etsi048_01_05_BatchCreate_ContentTypeXml_Answers415()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var body = LdArray(suite, EtsiSuite.MinimalBuilding(EtsiSuite.NewId("Building")));
        using var response = await suite.SendAsync(HttpMethod.Post, "/entityOperations/create", body, "application/xml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    [Trait("etsi", "043_01_04")]
    public async Task Etsi043_01_04_BatchCreate_UnretrievableContext_Answers207WithLdContextNotAvailable()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var entities = new JsonArray(
        [
            .. new[] { EtsiSuite.NewId("Building"), EtsiSuite.NewId("Building") }.Select(id =>
            {
                var entity = EtsiSuite.MinimalBuilding(id);
                entity["@context"] = new JsonArray(suite.MissingContextUrl);
                return (JsonNode)entity;
            }),
        ]);
        using var response = await suite.SendAsync(HttpMethod.Post, "/entityOperations/create", entities.ToJsonString(), EtsiSuite.LdJson);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 207, $"{(int)response.StatusCode} {text}");
        var errors = JsonNode.Parse(text)!["errors"]!.AsArray();
        Assert.Equal(2, errors.Count);
        Assert.All(errors, e =>
        {
            Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable", e!["error"]!["type"]!.GetValue<string>());
            Assert.False(string.IsNullOrWhiteSpace(e["error"]!["title"]?.GetValue<string>()));
        });
    }
}

using System.Net;
using System.Text.Json.Nodes;

namespace CityBrain.Sensing.Tests.Conformance;

/// <summary>
/// ETSI NGSI-LD test suite, CommonBehaviours on JSON-LD @contexts and media types (GS CIM 009 clauses 5.2.2 and
/// 6.3.4), ported: an unretrievable user @context is a 503 LdContextNotAvailable; a body that is neither JSON nor
/// JSON-LD is a 415.
/// </summary>
public sealed class JsonLdConformanceTests
{
    [Fact]
    [Trait("etsi", "043_01_01")]
    public async Task Etsi043_01_01_CreateEntity_UnretrievableContext_Answers503AndCreatesNothing()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Building");
        var building = EtsiSuite.BuildingWithProperties(id);
        building["@context"] = new JsonArray(suite.MissingContextUrl);

        using var response = await suite.SendAsync(HttpMethod.Post, "/entities", building.ToJsonString(), EtsiSuite.LdJson);

        await EtsiSuite.AssertProblemAsync(response, 503, "LdContextNotAvailable");
        using var lookup = await suite.GetAsync("/entities/" + id, "application/json", withContext: false);
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    [Trait("etsi", "048_01_01")]
    public async Task Etsi048_01_01_PartialAttributeUpdate_ContentTypeXml_Answers415()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = EtsiSuite.NewId("Vehicle");
        await suite.CreateAsync(EtsiSuite.Vehicle(id));
        using var response = await suite.SendAsync(HttpMethod.Patch, $"/entities/{id}/attrs/speed", """{"value": 40}""", "application/xml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    [Trait("etsi", "048_01_02")]
    public async Task Etsi048_01_02_UpdateSubscription_ContentTypeXml_Answers415()
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var response = await suite.SendAsync(HttpMethod.Patch, $"/subscriptions/urn:ngsi-ld:Subscription:{Guid.NewGuid():N}", """{"isActive": false}""", "application/xml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    [Trait("etsi", "048_01_03")]
    public async Task Etsi048_01_03_CreateEntity_ContentTypeXml_Answers415()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var body = suite.AsLd(EtsiSuite.BuildingWithProperties(EtsiSuite.NewId("Building")));
        using var response = await suite.SendAsync(HttpMethod.Post, "/entities", body, "application/xml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }
}

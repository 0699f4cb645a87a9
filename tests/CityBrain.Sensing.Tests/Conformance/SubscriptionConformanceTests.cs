using System.Net;
using System.Text.Json.Nodes;

namespace CityBrain.Sensing.Tests.Conformance;

/// <summary>ETSI NGSI-LD test suite, ContextInformation/Subscription (GS CIM 009 clause 5.8.1), ported.</summary>
public sealed class SubscriptionConformanceTests
{
    private static JsonObject Subscription(string id) => new()
    {
        ["id"] = id,
        ["type"] = "Subscription",
        ["entities"] = new JsonArray(new JsonObject { ["type"] = "Building" }),
        ["notification"] = new JsonObject
        {
            ["endpoint"] = new JsonObject { ["uri"] = "http://127.0.0.1:9/notify", ["accept"] = "application/json" },
        },
    };

    [Fact]
    [Trait("etsi", "028_01_01")]
    public async Task Etsi028_01_01_CreateSubscription_Valid_RetrievedAsSent()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var id = $"urn:ngsi-ld:Subscription:{Guid.NewGuid():N}";
        using var created = await suite.SendAsync(HttpMethod.Post, "/subscriptions", suite.AsLd(Subscription(id)), EtsiSuite.LdJson);
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());

        var retrieved = await suite.GetJsonAsync("/subscriptions/" + id);
        Assert.Equal(id, retrieved["id"]!.GetValue<string>());
        Assert.Equal("Subscription", retrieved["type"]!.GetValue<string>());
        Assert.Equal("""[{"type":"Building"}]""", retrieved["entities"]!.ToJsonString());
        Assert.Equal("http://127.0.0.1:9/notify", retrieved["notification"]!["endpoint"]!["uri"]!.GetValue<string>());
        Assert.Equal("application/json", retrieved["notification"]!["endpoint"]!["accept"]!.GetValue<string>());
        Assert.True(retrieved["isActive"]!.GetValue<bool>());
    }

    [Theory]
    [Trait("etsi", "028_02")]
    [InlineData("028_02_01", """{"id": "urn:ngsi-ld:Subscription:broken", "type": "Subscription", """, "InvalidRequest")]
    [InlineData("028_02_02", "{}", "BadRequestData")]
    public async Task Etsi028_02_CreateSubscription_InvalidRequest_Answers400WithErrorType(string etsiCase, string body, string errorType)
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var response = await suite.SendAsync(HttpMethod.Post, "/subscriptions", body, "application/json");
        await EtsiSuite.AssertProblemAsync(response, 400, errorType, etsiCase);
    }

    [Fact]
    [Trait("etsi", "043_01_02")]
    public async Task Etsi043_01_02_CreateSubscription_UnretrievableContext_Answers503()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var subscription = Subscription($"urn:ngsi-ld:Subscription:{Guid.NewGuid():N}");
        subscription["@context"] = new JsonArray(suite.MissingContextUrl);
        using var response = await suite.SendAsync(HttpMethod.Post, "/subscriptions", subscription.ToJsonString(), EtsiSuite.LdJson);
        await EtsiSuite.AssertProblemAsync(response, 503, "LdContextNotAvailable");
    }

    [Fact]
    [Trait("etsi", "048_01_04")]
    public async Task Etsi048_01_04_CreateSubscription_ContentTypeXml_Answers415()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var body = suite.AsLd(Subscription($"urn:ngsi-ld:Subscription:{Guid.NewGuid():N}"));
        using var response = await suite.SendAsync(HttpMethod.Post, "/subscriptions", body, "application/xml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    [Trait("etsi", "049_01_02")]
    public async Task Etsi049_01_02_RetrieveSubscription_AcceptXml_Answers406()
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var response = await suite.GetAsync($"/subscriptions/urn:ngsi-ld:Subscription:{Guid.NewGuid():N}", "application/xml");
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    [Trait("etsi", "046_01_01")]
    public async Task Etsi046_01_01_ActiveSubscription_EntityUpdated_NotifiesWithTheSubscribersTerms()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var suite = await EtsiSuite.StartAsync();
        var entityId = EtsiSuite.NewId("Building");
        await suite.CreateAsync(EtsiSuite.BuildingWithProperties(entityId));
        var subscriptionId = $"urn:ngsi-ld:Subscription:{Guid.NewGuid():N}";
        var subscription = Subscription(subscriptionId);
        subscription["entities"] = new JsonArray(new JsonObject { ["id"] = entityId, ["type"] = "Building" });
        subscription["isActive"] = true;
        subscription["notification"]!["endpoint"]!["uri"] = receiver.Url;
        using (var created = await suite.SendAsync(HttpMethod.Post, "/subscriptions", suite.AsLd(subscription), EtsiSuite.LdJson))
        {
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        }

        var fragment = new JsonObject { ["airQualityLevel"] = new JsonObject { ["type"] = "Property", ["value"] = 5 } };
        using (var updated = await suite.SendAsync(HttpMethod.Patch, $"/entities/{entityId}/attrs", suite.AsLd(fragment), EtsiSuite.LdJson))
        {
            Assert.Equal(HttpStatusCode.NoContent, updated.StatusCode);
        }

        var notification = (await receiver.WaitForAsync(1))[0];
        Assert.Equal(subscriptionId, notification["subscriptionId"]!.GetValue<string>());
        Assert.Equal(entityId, notification["data"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(5, notification["data"]![0]!["airQualityLevel"]!["value"]!.GetValue<int>());
    }
}

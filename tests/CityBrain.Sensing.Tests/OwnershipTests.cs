using System.Net;
using System.Text.Json.Nodes;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;

namespace CityBrain.Sensing.Tests;

/// <summary>With bearer tokens, a system writes only the entities it created; the data bureau admin writes any.</summary>
public sealed class OwnershipTests
{
    private const string Id = "urn:ngsi-ld:OffStreetParking:owned-1";
    private const string Parking = """
        {"id": "urn:ngsi-ld:OffStreetParking:owned-1", "type": "OffStreetParking",
         "availableSpotNumber": {"type": "Property", "value": 120}}
        """;

    private static readonly Caller Parking1 = new("parking-sys", HubRoles.System, "330100-JT", "parking-1", null);
    private static readonly Caller Traffic = new("traffic-sys", HubRoles.System, "330100-GA", "traffic-9", null);
    private static readonly Caller Admin = new("bureau", HubRoles.Admin, null, null, null);

    private static async Task<JsonNode> EntityAsync(HttpClient client, string id = Id)
    {
        using var response = await client.GetAsync("/ngsi-ld/v1/entities/" + Uri.EscapeDataString(id));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonNode.Parse(text)!;
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Writes_ByAnotherSystem_Answer403NamingEntityAndChangeNothing(string kind)
    {
        await using var broker = await Broker.StartAsync(kind, tokens: true);
        using var owner = broker.As(Parking1);
        using var other = broker.As(Traffic);
        using (var created = await owner.PostAsync("/ngsi-ld/v1/entities", Broker.Json(Parking)))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var path = "/ngsi-ld/v1/entities/" + Uri.EscapeDataString(Id);
        var attribute = """{"availableSpotNumber": {"type": "Property", "value": 1}}""";
        var writes = new Func<Task<HttpResponseMessage>>[]
        {
            () => other.PutAsync(path, Broker.Json("""{"type": "OffStreetParking", "availableSpotNumber": {"type": "Property", "value": 1}}""")),
            () => other.PatchAsync(path, Broker.Json(attribute, "application/merge-patch+json")),
            () => other.PostAsync(path + "/attrs", Broker.Json(attribute)),
            () => other.PatchAsync(path + "/attrs", Broker.Json(attribute)),
            () => other.PatchAsync(path + "/attrs/availableSpotNumber", Broker.Json("""{"value": 1}""")),
            () => other.PutAsync(path + "/attrs/availableSpotNumber", Broker.Json("""{"type": "Property", "value": 1}""")),
            () => other.DeleteAsync(path + "/attrs/availableSpotNumber"),
            () => other.DeleteAsync(path),
        };
        foreach (var write in writes)
        {
            using var refused = await write();
            var problem = await Broker.AssertErrorAsync(refused, 403, "AccessDenied");
            Assert.Contains(Id, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // Reads stay open to every caller; the entity is as its owner wrote it.
        Assert.Equal(120, (await EntityAsync(other))["availableSpotNumber"]!["value"]!.GetValue<int>());

        using (var own = await owner.PatchAsync(path + "/attrs", Broker.Json("""{"availableSpotNumber": {"type": "Property", "value": 7}}""")))
        {
            Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        }
        using var admin = broker.As(Admin);
        using (var byAdmin = await admin.PatchAsync(path + "/attrs", Broker.Json("""{"availableSpotNumber": {"type": "Property", "value": 9}}""")))
        {
            Assert.Equal(HttpStatusCode.NoContent, byAdmin.StatusCode);
        }
        Assert.Equal(9, (await EntityAsync(owner))["availableSpotNumber"]!["value"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Batch_OneEntityOwnedByAnother_ListedInErrorsOthersApplied(string kind)
    {
        await using var broker = await Broker.StartAsync(kind, tokens: true);
        using var owner = broker.As(Parking1);
        using var other = broker.As(Traffic);
        (await owner.PostAsync("/ngsi-ld/v1/entities", Broker.Json(Parking))).Dispose();

        const string batch = """
            [{"id": "urn:ngsi-ld:OffStreetParking:owned-1", "type": "OffStreetParking", "availableSpotNumber": {"type": "Property", "value": 0}},
             {"id": "urn:ngsi-ld:TrafficFlowObserved:t-1", "type": "TrafficFlowObserved", "intensity": {"type": "Property", "value": 30}}]
            """;
        using var response = await other.PostAsync("/ngsi-ld/v1/entityOperations/upsert", Broker.Json(batch));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 207, text);
        var result = JsonNode.Parse(text)!;
        Assert.Equal(["urn:ngsi-ld:TrafficFlowObserved:t-1"], result["success"]!.AsArray().Select(s => s!.GetValue<string>()));
        var error = Assert.Single(result["errors"]!.AsArray())!;
        Assert.Equal(Id, error["entityId"]!.GetValue<string>());
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/AccessDenied", error["error"]!["type"]!.GetValue<string>());
        Assert.Equal(120, (await EntityAsync(owner))["availableSpotNumber"]!["value"]!.GetValue<int>());

        // The new entity is the other system's now: the first system may not delete it, its creator may.
        using (var refused = await owner.PostAsync("/ngsi-ld/v1/entityOperations/delete", Broker.Json("""["urn:ngsi-ld:TrafficFlowObserved:t-1"]""")))
        {
            var refusal = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
            Assert.Equal("urn:ngsi-ld:TrafficFlowObserved:t-1", refusal["errors"]![0]!["entityId"]!.GetValue<string>());
        }
        using (var deleted = await other.PostAsync("/ngsi-ld/v1/entityOperations/delete", Broker.Json("""["urn:ngsi-ld:TrafficFlowObserved:t-1"]""")))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Owner_NewBrokerOnSameStore_StillRefusesOthers(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind);
        await using (var first = await Broker.StartAsync(kind, store, tokens: true))
        {
            using var owner = first.As(Parking1);
            (await owner.PostAsync("/ngsi-ld/v1/entities", Broker.Json(Parking))).Dispose();
        }
        await using var second = await Broker.StartAsync(kind, store, tokens: true);
        using var other = second.As(Traffic);
        using var refused = await other.DeleteAsync("/ngsi-ld/v1/entities/" + Uri.EscapeDataString(Id));
        await Broker.AssertErrorAsync(refused, 403, "AccessDenied");
        using var owner2 = second.As(Parking1);
        using var deleted = await owner2.DeleteAsync("/ngsi-ld/v1/entities/" + Uri.EscapeDataString(Id));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public async Task Writes_WithoutToken_Answer401()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite, tokens: true);
        using var response = await broker.Client.PostAsync("/ngsi-ld/v1/entities", Broker.Json(Parking));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

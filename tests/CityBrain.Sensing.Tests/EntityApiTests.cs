using System.Net;
using System.Text.Json.Nodes;
using CityBrain.TestSupport;

namespace CityBrain.Sensing.Tests;

public sealed class EntityApiTests
{
    private const string Parking = """
        {"id": "urn:ngsi-ld:OffStreetParking:xihu-001", "type": "OffStreetParking",
         "availableSpotNumber": {"type": "Property", "value": 120, "observedAt": "2026-11-24T09:00:00Z"},
         "totalSpotNumber": {"type": "Property", "value": 400},
         "district": {"type": "Property", "value": "330106"},
         "name": "西湖文化广场停车场",
         "refOperator": {"type": "Relationship", "object": "urn:ngsi-ld:Organization:hz-parking"},
         "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [120.1551, 30.2741]}}}
        """;

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task CreateEntity_ThenRetrieve_AnswersEachFormat(string kind)
    {
        await using var broker = await Broker.StartAsync(kind);
        using var created = await broker.PostAsync("/entities", Parking);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.EndsWith("/ngsi-ld/v1/entities/urn%3Angsi-ld%3AOffStreetParking%3Axihu-001", created.Headers.Location!.ToString());

        var normalized = await broker.GetJsonAsync("/entities/urn:ngsi-ld:OffStreetParking:xihu-001");
        Assert.Equal("OffStreetParking", normalized["type"]!.GetValue<string>());
        Assert.Equal(120, normalized["availableSpotNumber"]!["value"]!.GetValue<int>());
        Assert.Equal("Property", normalized["name"]!["type"]!.GetValue<string>());
        Assert.Equal("urn:ngsi-ld:Organization:hz-parking", normalized["refOperator"]!["object"]!.GetValue<string>());
        Assert.Null(normalized["createdAt"]);

        var keyValues = await broker.GetJsonAsync("/entities/urn:ngsi-ld:OffStreetParking:xihu-001?options=keyValues");
        Assert.Equal(120, keyValues["availableSpotNumber"]!.GetValue<int>());
        Assert.Equal("urn:ngsi-ld:Organization:hz-parking", keyValues["refOperator"]!.GetValue<string>());
        Assert.Equal("Point", keyValues["location"]!["type"]!.GetValue<string>());

        var concise = await broker.GetJsonAsync("/entities/urn:ngsi-ld:OffStreetParking:xihu-001?format=concise&options=sysAttrs");
        Assert.NotNull(concise["createdAt"]);
        Assert.Equal("urn:ngsi-ld:Organization:hz-parking", concise["refOperator"]!["object"]!.GetValue<string>());
        Assert.Null(concise["refOperator"]!["type"]);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task CreateEntity_Twice_AnswersAlreadyExists(string kind)
    {
        await using var broker = await Broker.StartAsync(kind);
        (await broker.PostAsync("/entities", Parking)).Dispose();
        using var again = await broker.PostAsync("/entities", Parking);
        await Broker.AssertErrorAsync(again, 409, "AlreadyExists");
    }

    [Theory]
    [InlineData("""{"id": "not a uri", "type": "T"}""", "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:T:1"}""", "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:T:1", "type": "T", "a": {"type": "Relationship", "object": 5}}""", "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:T:1", "type": "T", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [200, 95]}}}""", "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:T:1", "type": "T", "a": {"type": "Property", "value": 1, "observedAt": "yesterday"}}""", "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:T:1", "type": "T", "a=b": 1}""", "BadRequestData")]
    [InlineData("""{"id": "urn:ngsi-ld:T:1", "type": "T",""", "InvalidRequest")]
    public async Task CreateEntity_BadInput_AnswersErrorAndWritesNothing(string body, string errorType)
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        using var response = await broker.PostAsync("/entities", body);
        await Broker.AssertErrorAsync(response, 400, errorType);
        using var lookup = await broker.Client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:T:1");
        Assert.Equal(HttpStatusCode.NotFound, lookup.StatusCode);
    }

    [Fact]
    public async Task Requests_WrongMediaTypes_Answer415And406()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        using var text = await broker.PostAsync("/entities", Parking, "text/plain");
        await Broker.AssertErrorAsync(text, 415, "UnsupportedMediaType");
        using var ldWithoutContext = await broker.PostAsync("/entities", Parking, "application/ld+json");
        await Broker.AssertErrorAsync(ldWithoutContext, 400, "BadRequestData");
        (await broker.PostAsync("/entities", Parking)).Dispose();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:xihu-001");
        request.Headers.Accept.ParseAdd("text/csv");
        using var notAcceptable = await broker.Client.SendAsync(request);
        await Broker.AssertErrorAsync(notAcceptable, 406, "NotAcceptable");
    }

    [Fact]
    public async Task Entities_UserContext_ExpandsNamesAndCompactsThemBack()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        var withContext = """
            {"@context": [{"Parking": "https://smartdatamodels.org/dataModel.Parking/OffStreetParking", "free": "https://smartdatamodels.org/dataModel.Parking/availableSpotNumber"}],
             "id": "urn:ngsi-ld:OffStreetParking:p1", "type": "Parking", "free": 7}
            """;
        using var created = await broker.PostAsync("/entities", withContext, "application/ld+json");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        // Without the context the names come back as full IRIs: the entity was stored expanded.
        var bare = await broker.GetJsonAsync("/entities/urn:ngsi-ld:OffStreetParking:p1");
        Assert.Equal("https://smartdatamodels.org/dataModel.Parking/OffStreetParking", bare["type"]!.GetValue<string>());
        Assert.Equal(7, bare["https://smartdatamodels.org/dataModel.Parking/availableSpotNumber"]!["value"]!.GetValue<int>());

        // Queried by the full IRI of the type, or with the context by its term, the entity is found.
        var byIri = await broker.GetJsonAsync("/entities?type=" + Uri.EscapeDataString("https://smartdatamodels.org/dataModel.Parking/OffStreetParking"));
        Assert.Single(byIri.AsArray());
        using var ld = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:p1");
        ld.Headers.Accept.ParseAdd("application/ld+json");
        using var ldResponse = await broker.Client.SendAsync(ld);
        var compacted = JsonNode.Parse(await ldResponse.Content.ReadAsStringAsync())!;
        Assert.Equal("application/ld+json", ldResponse.Content.Headers.ContentType!.MediaType);
        Assert.NotNull(compacted["@context"]);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task AttributeOperations_AppendUpdatePatchDelete_ChangeOnlyWhatTheySay(string kind)
    {
        await using var broker = await Broker.StartAsync(kind);
        (await broker.PostAsync("/entities", Parking)).Dispose();
        const string Entity = "/entities/urn:ngsi-ld:OffStreetParking:xihu-001";

        using var append = await broker.PostAsync(Entity + "/attrs", """{"status": {"type": "Property", "value": "open"}}""");
        Assert.Equal(HttpStatusCode.NoContent, append.StatusCode);
        using var noOverwrite = await broker.PostAsync(Entity + "/attrs?options=noOverwrite", """{"status": "closed"}""");
        Assert.Equal(HttpStatusCode.MultiStatus, noOverwrite.StatusCode);

        using var update = await broker.Client.PatchAsync("/ngsi-ld/v1" + Entity + "/attrs", Broker.Json("""{"availableSpotNumber": {"type": "Property", "value": 99}, "nosuch": 1}"""));
        Assert.Equal(HttpStatusCode.MultiStatus, update.StatusCode);
        var report = JsonNode.Parse(await update.Content.ReadAsStringAsync())!;
        Assert.Equal("nosuch", report["notUpdated"]![0]!["attributeName"]!.GetValue<string>());

        using var partial = await broker.Client.PatchAsync("/ngsi-ld/v1" + Entity + "/attrs/availableSpotNumber", Broker.Json("""{"value": 98}"""));
        Assert.Equal(HttpStatusCode.NoContent, partial.StatusCode);

        using var delete = await broker.Client.DeleteAsync("/ngsi-ld/v1" + Entity + "/attrs/name");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var deleteAgain = await broker.Client.DeleteAsync("/ngsi-ld/v1" + Entity + "/attrs/name");
        await Broker.AssertErrorAsync(deleteAgain, 404, "ResourceNotFound");

        var entity = await broker.GetJsonAsync(Entity + "?options=keyValues");
        Assert.Equal(98, entity["availableSpotNumber"]!.GetValue<int>());
        Assert.Equal("open", entity["status"]!.GetValue<string>());
        Assert.Null(entity["name"]);
        Assert.Null(entity["nosuch"]);
        Assert.Equal(400, entity["totalSpotNumber"]!.GetValue<int>());
    }

    [Fact]
    public async Task MergePatch_NullUri_RemovesAttributeAndKeepsOthers()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        (await broker.PostAsync("/entities", Parking)).Dispose();
        using var merge = await broker.Client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:xihu-001",
            Broker.Json("""{"name": "urn:ngsi-ld:null", "availableSpotNumber": {"value": 3}}""", "application/merge-patch+json"));
        Assert.Equal(HttpStatusCode.NoContent, merge.StatusCode);
        var entity = await broker.GetJsonAsync("/entities/urn:ngsi-ld:OffStreetParking:xihu-001");
        Assert.Null(entity["name"]);
        Assert.Equal(3, entity["availableSpotNumber"]!["value"]!.GetValue<int>());
        // The merge kept the observation time of the attribute it patched.
        Assert.Equal("2026-11-24T09:00:00.000Z", entity["availableSpotNumber"]!["observedAt"]!.GetValue<string>());
    }

    [Fact]
    public async Task Replace_ThenDelete_EntityGone()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        (await broker.PostAsync("/entities", Parking)).Dispose();
        using var replace = await broker.Client.PutAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:xihu-001",
            Broker.Json("""{"type": "OffStreetParking", "availableSpotNumber": 5}"""));
        Assert.Equal(HttpStatusCode.NoContent, replace.StatusCode);
        var replaced = await broker.GetJsonAsync("/entities/urn:ngsi-ld:OffStreetParking:xihu-001?options=keyValues");
        Assert.Null(replaced["name"]);
        Assert.Equal(5, replaced["availableSpotNumber"]!.GetValue<int>());

        using var delete = await broker.Client.DeleteAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:xihu-001");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var gone = await broker.Client.GetAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:xihu-001");
        await Broker.AssertErrorAsync(gone, 404, "ResourceNotFound");
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task AcknowledgedWrites_NewBrokerOnSameStore_SeesThem(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind);
        await using (var first = await Broker.StartAsync(kind, store))
        {
            (await first.PostAsync("/entities", Parking)).Dispose();
            using var tenant = new HttpRequestMessage(HttpMethod.Post, "/ngsi-ld/v1/entities") { Content = Broker.Json("""{"id": "urn:ngsi-ld:T:x", "type": "T"}""") };
            tenant.Headers.Add("NGSILD-Tenant", "binjiang");
            (await first.Client.SendAsync(tenant)).Dispose();
        }
        // A fresh broker (as after a killed process) loads only what the store holds.
        await using var second = await Broker.StartAsync(kind, store);
        var entity = await second.GetJsonAsync("/entities/urn:ngsi-ld:OffStreetParking:xihu-001?options=keyValues");
        Assert.Equal(120, entity["availableSpotNumber"]!.GetValue<int>());
        using var tenantRead = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities?type=T");
        tenantRead.Headers.Add("NGSILD-Tenant", "binjiang");
        using var tenantResponse = await second.Client.SendAsync(tenantRead);
        Assert.Single(JsonNode.Parse(await tenantResponse.Content.ReadAsStringAsync())!.AsArray());
    }

    [Fact]
    public async Task Read_UnknownTenant_AnswersNonexistentTenant()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1/entities?type=T");
        request.Headers.Add("NGSILD-Tenant", "nowhere");
        using var response = await broker.Client.SendAsync(request);
        await Broker.AssertErrorAsync(response, 404, "NonexistentTenant");
    }
}

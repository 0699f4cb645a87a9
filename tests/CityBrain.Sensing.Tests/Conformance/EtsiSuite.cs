using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Ld;
using CityBrain.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.Sensing.Tests.Conformance;

/// <summary>
/// What the ETSI NGSI-LD test suite sets up around each case, rebuilt here: the broker (open, SQLite), the suite's own
/// user @context served from a URL (the suite serves it from the web; here from loopback, so nothing leaves the machine),
/// and payloads of the shapes the suite's data files use. The payloads and checks are ours, written from the cases.
/// </summary>
public sealed class EtsiSuite : IAsyncDisposable
{
    /// <summary>The vocabulary the suite's @context maps its short names to.</summary>
    public const string Vocabulary = "https://ngsi-ld-test-suite/context#";

    public const string LdJson = "application/ld+json";

    private static readonly string[] Terms =
        ["Building", "Vehicle", "OffStreetParking", "airQualityLevel", "subCategory", "almostFull", "locatedAt", "providedBy", "speed", "brandName"];

    private readonly WebApplication _contextHost;

    private EtsiSuite(WebApplication contextHost, Broker broker, string baseUrl)
    {
        _contextHost = contextHost;
        Broker = broker;
        ContextUrl = baseUrl + "/ngsi-ld-test-suite-context.jsonld";
        MissingContextUrl = baseUrl + "/unretrievable-context.jsonld";
    }

    public Broker Broker { get; }

    public HttpClient Client => Broker.Client;

    /// <summary>The suite's user @context, as a URL the broker fetches.</summary>
    public string ContextUrl { get; }

    /// <summary>A context URL that answers 404, for the LdContextNotAvailable cases.</summary>
    public string MissingContextUrl { get; }

    /// <summary>The @context member of an application/ld+json body: the suite's context over the core one.</summary>
    public JsonArray BodyContext => [ContextUrl, CoreContext.Url];

    public static async Task<EtsiSuite> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var host = builder.Build();
        var document = new JsonObject { ["@context"] = new JsonObject(Terms.Select(t => KeyValuePair.Create(t, (JsonNode?)(Vocabulary + t)))) }.ToJsonString();
        host.MapGet("/ngsi-ld-test-suite-context.jsonld", () => Results.Text(document, LdJson));
        await host.StartAsync();
        var baseUrl = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var broker = await Broker.StartAsync(TestStores.Sqlite);
        return new EtsiSuite(host, broker, baseUrl);
    }

    /// <summary>A fresh entity id of the suite's kind (it generates random ids per case).</summary>
    public static string NewId(string type) => $"urn:ngsi-ld:{type}:{Guid.NewGuid():N}";

    /// <summary>The suite's minimal Building: only id and type.</summary>
    public static JsonObject MinimalBuilding(string id) => new() { ["id"] = id, ["type"] = "Building" };

    /// <summary>A Building with plain properties (a number with a unit, a list, a boolean).</summary>
    public static JsonObject BuildingWithProperties(string id)
    {
        var building = MinimalBuilding(id);
        building["airQualityLevel"] = new JsonObject { ["type"] = "Property", ["value"] = 4, ["unitCode"] = "C62" };
        building["subCategory"] = new JsonObject { ["type"] = "Property", ["value"] = new JsonArray("tourism") };
        building["almostFull"] = new JsonObject { ["type"] = "Property", ["value"] = false };
        return building;
    }

    /// <summary>A Building with a relationship.</summary>
    public static JsonObject BuildingWithRelationship(string id)
    {
        var building = MinimalBuilding(id);
        building["locatedAt"] = new JsonObject { ["type"] = "Relationship", ["object"] = "urn:ngsi-ld:City:Hangzhou" };
        return building;
    }

    /// <summary>A Building whose property carries a relationship of its own (a sub-attribute).</summary>
    public static JsonObject BuildingWithRelationshipOfProperty(string id)
    {
        var building = MinimalBuilding(id);
        building["airQualityLevel"] = new JsonObject
        {
            ["type"] = "Property",
            ["value"] = 4,
            ["providedBy"] = new JsonObject { ["type"] = "Relationship", ["object"] = "urn:ngsi-ld:Person:station-7" },
        };
        return building;
    }

    /// <summary>A Building with the core <c>location</c> GeoProperty.</summary>
    public static JsonObject BuildingWithLocation(string id)
    {
        var building = MinimalBuilding(id);
        building["location"] = Point(120.1551, 30.2741);
        return building;
    }

    /// <summary>A Building with a GeoProperty that is not one of the core ones.</summary>
    public static JsonObject BuildingWithOwnGeoProperty(string id)
    {
        var building = MinimalBuilding(id);
        building["locatedAt"] = Point(120.1600, 30.2700);
        return building;
    }

    public static JsonObject Vehicle(string id) => new()
    {
        ["id"] = id,
        ["type"] = "Vehicle",
        ["brandName"] = new JsonObject { ["type"] = "Property", ["value"] = "Geely" },
        ["speed"] = new JsonObject { ["type"] = "Property", ["value"] = 35 },
    };

    public static JsonObject Parking(string id) => new()
    {
        ["id"] = id,
        ["type"] = "OffStreetParking",
        ["almostFull"] = new JsonObject { ["type"] = "Property", ["value"] = true },
    };

    /// <summary>The payload as application/ld+json: a copy with the suite's @context in the body.</summary>
    public string AsLd(JsonObject payload)
    {
        var copy = payload.DeepClone().AsObject();
        copy["@context"] = BodyContext;
        return copy.ToJsonString();
    }

    /// <summary>Creates the entity as the suite does (application/ld+json, context in the body); it must succeed.</summary>
    public async Task CreateAsync(JsonObject payload)
    {
        using var response = await Client.PostAsync("/ngsi-ld/v1/entities", Broker.Json(AsLd(payload), LdJson));
        Assert.True((int)response.StatusCode == 201, $"setup: create {payload["id"]}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A GET with the suite's context in the Link header (when <paramref name="withContext"/>) and an Accept.</summary>
    public async Task<HttpResponseMessage> GetAsync(string path, string accept = LdJson, bool withContext = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/ngsi-ld/v1" + path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));
        if (withContext)
        {
            request.Headers.Add("Link", ContextLink);
        }
        return await Client.SendAsync(request);
    }

    public async Task<JsonNode> GetJsonAsync(string path, string accept = LdJson, bool withContext = true)
    {
        using var response = await GetAsync(path, accept, withContext);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 200, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>A request with a body; with <paramref name="withContext"/> the suite's context goes in the Link header.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string body, string contentType, bool withContext = false)
    {
        using var request = new HttpRequestMessage(method, "/ngsi-ld/v1" + path) { Content = Broker.Json(body, contentType) };
        if (withContext)
        {
            request.Headers.Add("Link", ContextLink);
        }
        return await Client.SendAsync(request);
    }

    private string ContextLink => $"<{ContextUrl}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"";

    /// <summary>The suite's ProblemDetails check: the status, the NGSI-LD error type, and a title.</summary>
    public static async Task AssertProblemAsync(HttpResponseMessage response, int status, string errorType, string etsiCase = "")
    {
        var problem = await Broker.AssertErrorAsync(response, status, errorType);
        Assert.False(string.IsNullOrWhiteSpace(problem["title"]?.GetValue<string>()), $"{etsiCase}: the ProblemDetails has no title");
    }

    /// <summary>The suite's "created resource set to" check: the answer holds what was sent, @context aside.</summary>
    public static void AssertSameEntity(JsonObject sent, JsonNode answered)
    {
        var expected = sent.DeepClone().AsObject();
        var actual = answered.DeepClone().AsObject();
        expected.Remove("@context");
        actual.Remove("@context");
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\n but got {actual.ToJsonString()}");
    }

    private static JsonObject Point(double longitude, double latitude) => new()
    {
        ["type"] = "GeoProperty",
        ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = new JsonArray(longitude, latitude) },
    };

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        await _contextHost.StopAsync();
        await _contextHost.DisposeAsync();
    }
}

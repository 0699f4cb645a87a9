using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.EndToEnd.Tests;

/// <summary>The gateway against a provider that misbehaves as real ones do: slow, failing, down, answering HTML.</summary>
public sealed class GatewayTests : IAsyncLifetime
{
    private WebApplication _provider = null!;
    private string _providerUrl = "";
    private int _flakyCalls;
    private int _postCalls;
    private int _brokenCalls;
    private HubNode _node = null!;
    private HttpClient _consumer = null!;
    private HttpClient _admin = null!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _provider = builder.Build();
        // Slower than the system's timeout by far; it stops when the hub gives up on it.
        _provider.MapGet("/slow/{id}", async (string id, HttpContext http) => { await Task.Delay(10_000, http.RequestAborted); return Results.Json(new Dictionary<string, string> { ["V"] = id }); });
        _provider.MapGet("/flaky/{id}", (string id) => Interlocked.Increment(ref _flakyCalls) == 1 ? Results.StatusCode(503) : Results.Json(new Dictionary<string, string> { ["V"] = id }));
        _provider.MapPost("/submit/{id}", (string id) => { Interlocked.Increment(ref _postCalls); return Results.StatusCode(503); });
        _provider.MapGet("/broken/{id}", (string id) => { Interlocked.Increment(ref _brokenCalls); return Results.StatusCode(500); });
        _provider.MapGet("/html/{id}", (string id) => Results.Content("<html>oops</html>", "text/html"));
        await _provider.StartAsync();
        _providerUrl = _provider.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        _node = await HubNode.StartAsync(TestStores.Sqlite);
        var tokens = _node.Services.GetRequiredService<TokenService>();
        _admin = _node.Client(tokens.Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));
        var yaml = $$"""
            units: [ { code: p, name: 提供方, divisionCode: "330100" }, { code: c, name: 使用方, divisionCode: "330100" } ]
            systems:
              - code: prov
                unit: p
                name: 提供系统
                baseUrl: {{_providerUrl}}
                timeoutMs: 2000
                interfaces:
                  - { code: slow, name: slow, method: GET, path: "/slow/{id}", sharing: unconditional, fields: [ { name: V, level: public } ] }
                  - { code: flaky, name: flaky, method: GET, path: "/flaky/{id}", sharing: unconditional, fields: [ { name: V, level: public } ] }
                  - { code: submit, name: submit, method: POST, path: "/submit/{id}", sharing: unconditional, fields: [ { name: V, level: public } ] }
                  - { code: broken, name: broken, method: GET, path: "/broken/{id}", sharing: unconditional, fields: [ { name: V, level: public } ] }
                  - { code: html, name: html, method: GET, path: "/html/{id}", sharing: unconditional, fields: [ { name: V, level: public } ] }
              - code: gone
                unit: p
                name: 已下线系统
                baseUrl: http://127.0.0.1:9
                timeoutMs: 500
                interfaces:
                  - { code: any, name: any, method: GET, path: "/any/{id}", sharing: unconditional, fields: [ { name: V, level: public } ] }
              - { code: cons, unit: c, name: 使用系统, baseUrl: "http://127.0.0.1:9" }
            """;
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await _admin.PostAsync("/api/hub/registry", new StringContent(yaml, Encoding.UTF8, "application/yaml")));
        _consumer = _node.Client(tokens.Issue(new Caller("system:cons", HubRoles.System, "c", "cons", null), TimeSpan.FromHours(1)));
        foreach (var resource in new[] { "prov/slow", "prov/flaky", "prov/submit", "prov/broken", "prov/html", "gone/any" })
        {
            var filed = await _consumer.PostAsJsonAsync("/api/hub/requests", new { resource, fields = new[] { "V" }, purpose = "testing", legalBasis = "test", days = 1, expectedVolume = 100 });
            await HttpAssert.StatusAsync(HttpStatusCode.Created, filed);
            Assert.Equal("granted", (string)(await filed.Content.ReadFromJsonAsync<JsonObject>())!["status"]!);
        }
        _consumer.DefaultRequestHeaders.Add("X-Purpose", "testing");
    }

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        await _provider.DisposeAsync();
    }

    private static async Task<JsonObject> ProblemAsync(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return (await response.Content.ReadFromJsonAsync<JsonObject>())!;
    }

    [Fact]
    public async Task Call_ProviderTooSlow_504NamingTheSystem()
    {
        var response = await _consumer.GetAsync("/hub/call/prov/slow/1");
        await HttpAssert.StatusAsync(HttpStatusCode.GatewayTimeout, response);
        Assert.Contains("prov", (string)(await ProblemAsync(response))["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_GetAfterOne503_RetriedAndAnswered()
    {
        var response = await _consumer.GetAsync("/hub/call/prov/flaky/7");
        await HttpAssert.StatusAsync(HttpStatusCode.OK, response);
        Assert.Equal("7", (string)(await response.Content.ReadFromJsonAsync<JsonObject>())!["V"]!);
        Assert.Equal(2, _flakyCalls);
    }

    [Fact]
    public async Task Call_PostFailing_NotRetried()
    {
        var response = await _consumer.PostAsync("/hub/call/prov/submit/1", null);
        await HttpAssert.StatusAsync(HttpStatusCode.BadGateway, response);
        Assert.Equal(1, _postCalls);
    }

    [Fact]
    public async Task Call_ProviderDown_502()
    {
        var response = await _consumer.GetAsync("/hub/call/gone/any/1");
        await HttpAssert.StatusAsync(HttpStatusCode.BadGateway, response);
        Assert.Contains("gone", (string)(await ProblemAsync(response))["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Call_ProviderAnswersHtml_502()
    {
        await HttpAssert.StatusAsync(HttpStatusCode.BadGateway, await _consumer.GetAsync("/hub/call/prov/html/1"));
    }

    [Fact]
    public async Task Call_ProviderKeepsFailing_CircuitOpensAndSparesIt()
    {
        for (var i = 0; i < 4; i++)
        {
            await HttpAssert.StatusAsync(HttpStatusCode.BadGateway, await _consumer.GetAsync($"/hub/call/prov/broken/{i}"));
        }
        var before = _brokenCalls;
        var response = await _consumer.GetAsync("/hub/call/prov/broken/9");
        await HttpAssert.StatusAsync(HttpStatusCode.BadGateway, response);
        Assert.Contains("circuit open", (string)(await ProblemAsync(response))["detail"]!, StringComparison.Ordinal);
        Assert.Equal(before, _brokenCalls);
    }

    [Fact]
    public async Task Call_QuotaUsedUp_429WithRetryAfter()
    {
        HttpResponseMessage? last = null;
        for (var i = 0; i < 101; i++)
        {
            last = await _consumer.GetAsync($"/hub/call/prov/flaky/{i}");
        }
        await HttpAssert.StatusAsync(HttpStatusCode.TooManyRequests, last!);
        Assert.NotNull(last!.Headers.RetryAfter);
    }

    [Fact]
    public async Task Call_BadInput_Clear4xxProblems()
    {
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, await _consumer.GetAsync("/hub/call/prov/flaky/1/extra"));
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, await _consumer.GetAsync("/hub/call/prov/flaky/1?debug=true"));
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, await _consumer.GetAsync("/hub/call/prov/flaky/..%2F..%2Fadmin"));
        await HttpAssert.StatusAsync(HttpStatusCode.NotFound, await _consumer.GetAsync("/hub/call/prov/nothing/1"));
        await HttpAssert.StatusAsync(HttpStatusCode.MethodNotAllowed, await _consumer.DeleteAsync("/hub/call/prov/flaky/1"));
        using var noPurpose = _node.Client(_consumer.DefaultRequestHeaders.Authorization!.Parameter);
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, await noPurpose.GetAsync("/hub/call/prov/flaky/1"));
        using var anonymous = _node.Client();
        await HttpAssert.StatusAsync(HttpStatusCode.Unauthorized, await anonymous.GetAsync("/hub/call/prov/flaky/1"));
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, await _admin.GetAsync("/hub/call/prov/flaky/1"));
    }

    [Fact]
    public async Task Api_BadInput_ProblemDetailsSayWhatAndWhere()
    {
        var unknownField = await _consumer.PostAsJsonAsync("/api/hub/requests", new { resource = "prov/flaky", fields = new[] { "V" }, purpose = "testing", legalBasis = "x", days = 1, colour = "red" });
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, unknownField);
        Assert.Contains("colour", (await unknownField.Content.ReadAsStringAsync()), StringComparison.Ordinal);

        var wrongType = await _admin.PostAsync("/api/hub/registry", new StringContent("units: []", Encoding.UTF8, "text/plain"));
        await HttpAssert.StatusAsync(HttpStatusCode.UnsupportedMediaType, wrongType);
        await ProblemAsync(wrongType);

        var broken = await _admin.PostAsync("/api/hub/requests", new StringContent("{\"resource\": ", Encoding.UTF8, "application/json"));
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, broken);

        // Expect: 100-continue lets the hub refuse before the body is sent, as a careful client does.
        using var oversized = new HttpRequestMessage(HttpMethod.Post, "/api/hub/registry")
        {
            Content = new ByteArrayContent(new byte[33 * 1024 * 1024]) { Headers = { ContentType = new("application/yaml") } },
            Headers = { ExpectContinue = true },
        };
        var huge = await _admin.SendAsync(oversized);
        await HttpAssert.StatusAsync(HttpStatusCode.RequestEntityTooLarge, huge);

        var notAnId = await _consumer.GetAsync("/api/hub/requests/req_nope");
        await HttpAssert.StatusAsync(HttpStatusCode.NotFound, notAnId);
        await ProblemAsync(notAnId);
    }
}

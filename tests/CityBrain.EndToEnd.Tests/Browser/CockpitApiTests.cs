using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.EndToEnd.Tests.Browser;

/// <summary>/api/cockpit against the real host: roles, bad definitions, failing and slow queries, history by level.</summary>
public sealed class CockpitApiTests : IAsyncLifetime
{
    private HubNode _node = null!;
    private HttpClient _admin = null!;
    private HttpClient _leader = null!;

    public async ValueTask InitializeAsync()
    {
        _node = await HubNode.StartAsync(TestStores.Sqlite);
        var tokens = _node.Services.GetRequiredService<TokenService>();
        _admin = _node.Client(tokens.Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));
        _leader = _node.Client(tokens.Issue(new Caller("leader", HubRoles.Leader, null, null, null), TimeSpan.FromHours(1)));
    }

    public async ValueTask DisposeAsync() => await _node.DisposeAsync();

    private static object Store(string code, string query, int timeoutSeconds = 10) => new
    {
        code, name = "测试指标", owningUnit = "dsj", source = "store", query, measure = "个", refreshSeconds = 3600, timeoutSeconds,
    };

    [Fact]
    public async Task Define_LeaderOrNoToken_RefusedAndNothingStored()
    {
        var ct = TestContext.Current.CancellationToken;
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, await _leader.PostAsJsonAsync("/api/cockpit/indicators", Store("x.units", "SELECT 1"), ct));
        await HttpAssert.StatusAsync(HttpStatusCode.Unauthorized, await _node.Client().GetAsync("/api/cockpit/indicators", ct));

        var list = await _leader.GetFromJsonAsync<JsonElement>("/api/cockpit/indicators", ct);
        Assert.DoesNotContain(list.EnumerateArray(), i => i.GetProperty("definition").GetProperty("code").GetString() == "x.units");
        Assert.Contains(list.EnumerateArray(), i => i.GetProperty("definition").GetProperty("code").GetString() == "hub.satisfaction");
    }

    [Fact]
    public async Task Define_BadDefinition_400NamingTheFields()
    {
        var ct = TestContext.Current.CancellationToken;
        var response = await _admin.PostAsJsonAsync("/api/cockpit/indicators", new
        {
            code = "Bad Code", name = "x", owningUnit = "dsj", source = "store", query = "DELETE FROM hub_units", measure = "个",
        }, ct);

        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, response);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.Contains("indicator.code", body, StringComparison.Ordinal);
        Assert.Contains("a store query must be a single SELECT", body, StringComparison.Ordinal);

        var units = await _admin.PostAsJsonAsync("/api/cockpit/indicators", new { code = "x.y", source = "sideways" }, ct);
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, units);
    }

    [Fact]
    public async Task Refresh_QueryFailsOrTimesOut_StatusSaysWhyAndHistoryUnchanged()
    {
        var ct = TestContext.Current.CancellationToken;
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await _admin.PostAsJsonAsync("/api/cockpit/indicators", Store("x.broken", "SELECT COUNT(*) FROM no_such_table"), ct));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await _admin.PostAsJsonAsync("/api/cockpit/indicators",
            Store("x.slow", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 30000000) SELECT COUNT(*) FROM c", timeoutSeconds: 1), ct));

        var broken = await (await _admin.PostAsync("/api/cockpit/indicators/x.broken/refresh", null, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("Failed", broken.GetProperty("status").GetString());
        Assert.Contains("no such table", broken.GetProperty("message").GetString(), StringComparison.Ordinal);

        var slow = await (await _admin.PostAsync("/api/cockpit/indicators/x.slow/refresh", null, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("Failed", slow.GetProperty("status").GetString());
        Assert.Contains("timed out after 1 s", slow.GetProperty("message").GetString(), StringComparison.Ordinal);

        var history = await _admin.GetFromJsonAsync<JsonElement>("/api/cockpit/indicators/x.broken/history?level=city", ct);
        Assert.Equal(0, history.GetProperty("points").GetArrayLength());
    }

    [Fact]
    public async Task History_ByLevel_PointsForTheCityAndClearErrorsForBadCodes()
    {
        var ct = TestContext.Current.CancellationToken;
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await _admin.PostAsync("/api/cockpit/indicators/hub.units/refresh", null, ct));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await _admin.PostAsync("/api/cockpit/indicators/hub.units/refresh", null, ct));

        var city = await _leader.GetFromJsonAsync<JsonElement>("/api/cockpit/indicators/hub.units/history?level=city", ct);
        Assert.True(city.GetProperty("points").GetArrayLength() >= 2);
        Assert.True(city.GetProperty("points")[0].GetProperty("value").GetDouble() >= 1, "the data bureau is always registered");

        var district = await _leader.GetAsync("/api/cockpit/indicators/hub.units/history?level=district&code=3301", ct);
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, district);
        Assert.Contains("6 digits", await district.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, await _leader.GetAsync("/api/cockpit/indicators/hub.units/history?level=planet", ct));
        await HttpAssert.StatusAsync(HttpStatusCode.NotFound, await _leader.GetAsync("/api/cockpit/indicators/nope/history", ct));
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, await _leader.PostAsync("/api/cockpit/indicators/hub.units/refresh", null, ct));
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityBrain.Host;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Scenarios.Policy.Tests;

/// <summary>The citizen portal's "why I get it / why not" and the staff's policy list, on the real host with the hub's tokens.</summary>
public sealed class PolicyApiTests(DemoCity city) : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "citybrain-policy-api-" + Guid.NewGuid().ToString("N")[..10]);
    private TestStore _store = null!;
    private WebApplication _app = null!;
    private Uri _baseAddress = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_data);
        Directory.CreateSymbolicLink(Path.Combine(_data, "city"), city.CityDirectory);
        _store = await TestStores.CreateAsync(TestStores.Sqlite);
        _app = CityBrainHost.Create(new HostSettings(_data, "sqlite:" + _store.Connection, "http://127.0.0.1:0"));
        await CityBrainHost.PrepareAsync(_app, CancellationToken.None);
        await _app.StartAsync();
        _baseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private HttpClient Client(string role, string? residentId = null)
    {
        var token = _app.Services.GetRequiredService<TokenService>().Issue(new Caller("someone", role, role == HubRoles.UnitOperator ? "mzj" : null, null, residentId), TimeSpan.FromHours(1));
        var client = new HttpClient { BaseAddress = _baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task GetWhy_EligibleCitizen_EveryConditionHeldAndTheAmount()
    {
        var ct = TestContext.Current.CancellationToken;
        var resident = city.Rows("truth/policy_eligible.csv").First(r => r[0] == "severe-disability-care")[1];

        using var response = await Client(HubRoles.Citizen, resident).GetAsync("/api/my/policies/severe-disability-care?period=2025-12", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var root = body.RootElement;
        Assert.True(root.GetProperty("eligible").GetBoolean());
        Assert.Contains(root.GetProperty("amount").GetDecimal(), new[] { 385m, 308m });
        var clause = Assert.Single(root.GetProperty("clauses").EnumerateArray());
        Assert.True(clause.GetProperty("held").GetBoolean());
        Assert.InRange(clause.GetProperty("values").GetProperty("disability_grade").GetDouble(), 1, 2);
    }

    [Fact]
    public async Task GetWhy_IneligibleCitizen_SaysWhichConditionFailedWithTheValue()
    {
        var ct = TestContext.Current.CancellationToken;
        var nonlocal = city.Rows("truth/residents.csv").First(r => r[7] == "nonlocal" && r[22].Length == 0 && string.CompareOrdinal(r[3], "1990") > 0)[0];

        var explanation = await Client(HubRoles.Citizen, nonlocal).GetFromJsonAsync<JsonElement>("/api/my/policies/elderly-allowance?period=2025-12", ct);

        Assert.False(explanation.GetProperty("eligible").GetBoolean());
        var summary = explanation.GetProperty("summary").GetString()!;
        Assert.Contains("it is not so that your household registration (local or non-local hukou) is \"local\" (hukou = nonlocal)", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetWhy_BadInput_ClearRefusals()
    {
        var ct = TestContext.Current.CancellationToken;
        var citizen = Client(HubRoles.Citizen, city.Rows("truth/residents.csv").First()[0]);

        using var badPeriod = await citizen.GetAsync("/api/my/policies/elderly-allowance?period=2025-13", ct);
        using var noPeriod = await citizen.GetAsync("/api/my/policies/elderly-allowance", ct);
        using var unknown = await citizen.GetAsync("/api/my/policies/free-money?period=2025-12", ct);
        using var staff = await Client(HubRoles.UnitOperator).GetAsync("/api/my/policies/elderly-allowance?period=2025-12", ct);
        using var outside = await citizen.GetAsync("/api/my/policies/elderly-allowance?period=2031-01", ct);

        Assert.Equal(HttpStatusCode.BadRequest, badPeriod.StatusCode);
        Assert.Contains("'2025-13' is not a month", await badPeriod.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noPeriod.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, staff.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, outside.StatusCode);
        Assert.Equal("application/problem+json", outside.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task GetPolicies_Staff_EveryPolicyWithTheDataItNeeds()
    {
        var ct = TestContext.Current.CancellationToken;

        var policies = await Client(HubRoles.UnitOperator).GetFromJsonAsync<JsonElement>("/api/policy/policies", ct);
        using var citizen = await Client(HubRoles.Citizen, "330106199001011234").GetAsync("/api/policy/policies", ct);

        Assert.Equal(10, policies.GetArrayLength());
        var refund = policies.EnumerateArray().Single(p => p.GetProperty("id").GetString() == "stable-employment-refund");
        Assert.Contains("rsj.units", refund.GetProperty("needs").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, citizen.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
    }
}

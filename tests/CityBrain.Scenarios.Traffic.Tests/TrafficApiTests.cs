using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using CityBrain.Hub;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using CityBrain.TestSupport;
using CityBrain.Scenarios.Traffic.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Scenarios.Traffic.Tests;

/// <summary>
/// The traffic endpoints on Kestrel, composed as the host composes them (AddTraffic, MapTraffic, the Kernel's problem
/// handler) over the real datasets. The hub's token check is replaced by a scheme that signs every caller in: it is not
/// what is under test here, and the host's end-to-end tests cover it. The hub and a SQLite store are real: each run
/// publishes ScenarioUsed through the store's outbox, its user keyed by the hub's keyring.
/// </summary>
public sealed class TrafficApiTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private TestStore _store = null!;
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        _store = await TestStores.CreateAsync(TestStores.Sqlite);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Configuration["Traffic:DatasetsPath"] = FidelityTests.SharedDatasets();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.Services.AddSingleton(_store.Store);
        builder.Services.AddSingleton(sp => HubKeyring.LoadOrCreateAsync(sp.GetRequiredService<IOperationalStore>(), CancellationToken.None).GetAwaiter().GetResult());
        builder.Services.AddHub();
        builder.Services.AddAuthentication("signed-in").AddScheme<AuthenticationSchemeOptions, SignedIn>("signed-in", null);
        builder.Services.AddAuthorization();
        builder.Services.AddTraffic();
        _app = builder.Build();
        await MigrationRunner.ApplyAsync(_store.Store, _app.Services.GetServices<IMigrationSet>(), TimeProvider.System, CancellationToken.None);
        _app.UseExceptionHandler();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapTraffic();
        await _app.StartAsync();
        _client = new HttpClient { BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()) };
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
    }

    [Fact]
    public async Task PostWhatIf_Run_PublishesOneUseKeyedByTheHub()
    {
        var response = await _client.PostAsJsonAsync("/api/traffic/what-if", new { dataset = "HZ1", controller = "plan", steps = 60 }, Json, TestContext.Current.CancellationToken);
        var refused = await _client.PostAsJsonAsync("/api/traffic/what-if", new { dataset = "XX9" }, Json, TestContext.Current.CancellationToken);

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.BadRequest), (response.StatusCode, refused.StatusCode));
        await using var connection = await _store.Store.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT payload FROM kernel_events WHERE name = 'scenario.used'";
        var payload = Assert.IsType<string>(Assert.Single(await ReadAllAsync(command)));
        var use = JsonSerializer.Deserialize<JsonElement>(payload);
        Assert.Equal(TrafficModule.ScenarioCode, use.GetProperty("scenario").GetString());
        Assert.Equal(_app.Services.GetRequiredService<HubKeyring>().HashSubject("planner"), use.GetProperty("userKey").GetString());
        Assert.DoesNotContain("planner", payload, StringComparison.Ordinal);
    }

    private static async Task<List<object>> ReadAllAsync(System.Data.Common.DbCommand command)
    {
        var rows = new List<object>();
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            rows.Add(reader.GetValue(0));
        }
        return rows;
    }

    [Fact]
    public async Task PostWhatIf_HangzhouTailRule_FewerTripsAndShorterTravelThanBaseline()
    {
        var response = await _client.PostAsJsonAsync("/api/traffic/what-if",
            new { dataset = "HZ1", controller = "fixed", day = "Monday", start = "07:30", tailRule = "hangzhou", steps = 1200 }, Json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<JsonElement>(Json));
        var effect = result.GetProperty("effect");
        var kept = effect.GetProperty("keptOffByTailNumber").GetInt32();
        // Two digits of ten are banned on Mondays: about a fifth of the trips.
        Assert.InRange(kept, effect.GetProperty("trips").GetInt32() * 0.15, effect.GetProperty("trips").GetInt32() * 0.25);
        var baseline = result.GetProperty("baseline");
        var scenario = result.GetProperty("scenario");
        Assert.True(scenario.GetProperty("vehicles").GetInt32() < baseline.GetProperty("vehicles").GetInt32());
        Assert.True(scenario.GetProperty("averageTravelTime").GetDouble() < baseline.GetProperty("averageTravelTime").GetDouble());
        Assert.True(scenario.GetProperty("congestionIndex").GetDouble() >= 1);
    }

    [Theory]
    [InlineData("""{"dataset":"XX9"}""", "dataset")]
    [InlineData("""{"dataset":"HZ1","controller":"greenwave"}""", "controller")]
    [InlineData("""{"dataset":"HZ1","compliance":1.5}""", "compliance")]
    [InlineData("""{"dataset":"HZ1","start":"25:99"}""", "start")]
    [InlineData("""{"dataset":"HZ1","closedRoads":["road_nowhere"]}""", "road_nowhere")]
    public async Task PostWhatIf_BadRequest_ProblemNamesTheField(string body, string named)
    {
        var response = await _client.PostAsync("/api/traffic/what-if", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(named, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostRun_MaxPressureOnHangzhou_GivesTheFigures()
    {
        var result = await (await _client.PostAsJsonAsync("/api/traffic/runs", new { dataset = "HZ1", controller = "maxpressure", steps = 600 }, Json))
            .Content.ReadFromJsonAsync<TrafficRunResult>(Json);

        Assert.Equal("maxpressure", result!.Controller);
        Assert.Equal(600, result.Steps);
        Assert.True(result.Throughput > 100, $"{result.Throughput} completed");
    }

    private sealed class SignedIn(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
            Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(HubClaims.Name, "planner")], "signed-in")), "signed-in")));
    }
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Kernel.Errors;
using CityBrain.Hub;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using CityBrain.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.Sensing.Tests;

/// <summary>
/// The broker as the host composes it, on a fresh store of one kind, served in memory: open (as under --ngsi-open), or
/// with the hub's bearer tokens required (<c>tokens: true</c>; <see cref="As"/> makes a client for one caller).
/// </summary>
public sealed class Broker : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly bool _ownsStore;

    private Broker(WebApplication app, TestStore store, bool ownsStore)
    {
        _app = app;
        _ownsStore = ownsStore;
        Store = store;
        Client = app.GetTestClient();
    }

    public HttpClient Client { get; }

    public TestStore Store { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<Broker> StartAsync(string kind, TestStore? existing = null, IReadOnlyDictionary<string, string?>? settings = null, bool tokens = false)
    {
        var store = existing ?? await TestStores.CreateAsync(kind);
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["Sensing:Open"] = tokens ? "false" : "true";
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }
        builder.Services.AddSingleton(store.Store);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        if (tokens)
        {
            builder.Services.AddSingleton(sp => HubKeyring.LoadOrCreateAsync(store.Store, CancellationToken.None).GetAwaiter().GetResult());
            builder.Services.AddHub();
        }
        builder.Services.AddAuthorization();
        builder.Services.AddSensing();
        var app = builder.Build();
        app.UseExceptionHandler();
        if (tokens)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }
        app.MapSensing();
        await MigrationRunner.ApplyAsync(store.Store, app.Services.GetServices<IMigrationSet>(), TimeProvider.System, CancellationToken.None);
        await app.StartAsync();
        return new Broker(app, store, ownsStore: existing is null);
    }

    /// <summary>A client carrying a hub bearer token for <paramref name="caller"/> (a broker started with tokens).</summary>
    public HttpClient As(Caller caller)
    {
        var client = _app.GetTestClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Services.GetRequiredService<TokenService>().Issue(caller, TimeSpan.FromHours(1)));
        return client;
    }

    public static HttpContent Json(string json, string mediaType = "application/json") =>
        new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue(mediaType));

    public async Task<HttpResponseMessage> PostAsync(string path, string json, string mediaType = "application/json") =>
        await Client.PostAsync("/ngsi-ld/v1" + path, Json(json, mediaType));

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await Client.GetAsync("/ngsi-ld/v1" + path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    /// <summary>Asserts an NGSI-LD error: the status and the spec's error type.</summary>
    public static async Task<JsonNode> AssertErrorAsync(HttpResponseMessage response, int status, string errorType)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"expected {status}, got {(int)response.StatusCode}: {text}");
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("https://uri.etsi.org/ngsi-ld/errors/" + errorType, problem["type"]?.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(problem["detail"]?.GetValue<string>()));
        return problem;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_ownsStore)
        {
            await Store.DisposeAsync();
        }
    }
}

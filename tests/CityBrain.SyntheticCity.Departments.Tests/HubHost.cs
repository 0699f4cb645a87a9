using System.Net.Http.Headers;
using CityBrain.Host;
using CityBrain.Hub.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.SyntheticCity.Departments.Tests;

/// <summary>The real host (as `citybrain serve` composes it) on a loopback port, with SQLite in its own data folder.</summary>
public sealed class HubHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private HubHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<HubHost> StartAsync(string dataDirectory)
    {
        var app = CityBrainHost.Create(new HostSettings(dataDirectory, "sqlite:" + Path.Combine(dataDirectory, "citybrain.db"), "http://127.0.0.1:0"));
        await CityBrainHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        return new HubHost(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
    }

    /// <summary>A client calling as the given hub user (admin of the data bureau, a unit's operator, ...).</summary>
    public HttpClient Client(Caller? caller = null) => Client(caller is null ? null : _app.Services.GetRequiredService<TokenService>().Issue(caller, TimeSpan.FromHours(1)));

    public HttpClient Client(string? token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

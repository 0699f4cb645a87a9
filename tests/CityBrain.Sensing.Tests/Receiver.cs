using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.Sensing.Tests;

/// <summary>A real HTTP endpoint on loopback that takes notifications, and can be taken down (503) and up again.</summary>
public sealed class Receiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<JsonNode> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private Receiver(WebApplication app) => _app = app;

    public bool Down { get; set; }

    public string Url { get; private set; } = "";

    public int Refused;

    public IReadOnlyList<JsonNode> Received => [.. _received];

    public static async Task<Receiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var app = builder.Build();
        var receiver = new Receiver(app);
        app.MapPost("/notify", async (HttpContext http) =>
        {
            if (receiver.Down)
            {
                Interlocked.Increment(ref receiver.Refused);
                return Results.StatusCode(503);
            }
            var body = await JsonNode.ParseAsync(http.Request.Body);
            receiver._received.Enqueue(body!);
            receiver._arrived.Release();
            return Results.NoContent();
        });
        await app.StartAsync();
        receiver.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/notify";
        return receiver;
    }

    /// <summary>Waits (generously, for slow machines) until <paramref name="count"/> notifications have arrived in all.</summary>
    public async Task<IReadOnlyList<JsonNode>> WaitForAsync(int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (_received.Count < count)
        {
            await _arrived.WaitAsync(timeout.Token);
        }
        return Received;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

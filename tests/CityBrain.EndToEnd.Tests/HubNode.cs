using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Headers;
using CityBrain.Host;
using CityBrain.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.EndToEnd.Tests;

/// <summary>
/// The real host (CityBrainHost, as `citybrain serve` composes it) on a loopback port, on a fresh store of one
/// kind, with every log line it writes kept so that tests can check no personal data is logged.
/// </summary>
public sealed class HubNode : IAsyncDisposable
{
    private readonly TestStore _store;
    private WebApplication? _app;

    private HubNode(TestStore store, string dataDirectory)
    {
        _store = store;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public string StoreKind => _store.Kind;

    /// <summary>As <c>--store</c> takes it.</summary>
    public string StoreConnection => _store.Kind == TestStores.Sqlite ? "sqlite:" + _store.Connection : _store.Connection;

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<string> Logs { get; } = new();

    public IServiceProvider Services => _app!.Services;

    /// <param name="configure">Changes to the host after its modules are registered (a clock the test moves, say).</param>
    public static async Task<HubNode> StartAsync(string storeKind, Action<WebApplicationBuilder>? configure = null)
    {
        var store = await TestStores.CreateAsync(storeKind);
        var node = new HubNode(store, Path.Combine(Path.GetTempPath(), "citybrain-e2e-" + Guid.NewGuid().ToString("N")[..10]));
        await node.StartAppAsync(configure);
        return node;
    }

    /// <summary>Stops the node and starts it again on the same address, store and data folder: a restart after a deploy or a crash.</summary>
    /// <param name="configure">As for <see cref="StartAsync"/>: the new process knows nothing of the old one's registrations.</param>
    public async Task RestartAsync(Action<WebApplicationBuilder>? configure = null)
    {
        var address = BaseAddress;
        await StopAsync();
        await StartAppAsync(configure, address.ToString().TrimEnd('/'));
    }

    private async Task StartAppAsync(Action<WebApplicationBuilder>? configure, string urls = "http://127.0.0.1:0")
    {
        _app = CityBrainHost.Create(new HostSettings(DataDirectory, StoreConnection, urls), builder =>
        {
            builder.Logging.AddProvider(new CollectingLoggerProvider(Logs));
            configure?.Invoke(builder);
        });
        await CityBrainHost.PrepareAsync(_app, CancellationToken.None);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task StopAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    /// <summary>Runs the citybrain executable as a separate process against this node's data folder and store.</summary>
    public async Task<(int ExitCode, string Output)> RunCliAsync(params string[] args)
    {
        var dll = typeof(CityBrainHost).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add("--data");
        start.ArgumentList.Add(DataDirectory);
        start.ArgumentList.Add("--store");
        start.ArgumentList.Add(StoreConnection);
        start.Environment["NO_COLOR"] = "1";
        start.Environment["COLUMNS"] = "200";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
    }

    private sealed class CollectingLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Collector(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class Collector(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
        }
    }
}

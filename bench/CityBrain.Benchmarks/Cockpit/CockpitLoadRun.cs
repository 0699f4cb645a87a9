using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CityBrain.Cockpit.Indicators;
using CityBrain.Cockpit.Live;
using CityBrain.Host;
using CityBrain.Hub.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.Benchmarks.Cockpit;

/// <summary>
/// `dotnet run -c Release --project bench/CityBrain.Benchmarks -- cockpit-load [viewers=50] [seconds=60] [indicators=10] [push|poll]`:
/// the real host on loopback (SQLite store), indicators whose source changes every 2 s (refreshed every second, and at
/// once when the source announces the change: push, the default; poll leaves the source silent), and that many viewers on /hubs/cockpit subscribed to the city. Each value is the Unix time in ms of its change, so a
/// viewer knows the delay from the change to its arrival; the message's own time gives the push delay (store → viewer).
/// Server CPU and memory are sampled in the same process (the viewers run in it too: an upper bound). See docs/benchmarks.md.
/// </summary>
internal static class CockpitLoadRun
{
    private const int ChangeMilliseconds = 2000;

    public static async Task<int> RunAsync(string[] args)
    {
        var viewers = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 50;
        var seconds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 60;
        var indicators = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 10;
        var push = args.Length <= 3 || args[3] != "poll";
        var data = Path.Combine(Path.GetTempPath(), "citybrain-cockpit-load-" + Guid.NewGuid().ToString("N")[..8]);

        await using var app = CityBrainHost.Create(new HostSettings(data, null, "http://127.0.0.1:0"), builder =>
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddSingleton<ILiveMetricSource>(new SteppedClock(push));
        });
        await CityBrainHost.PrepareAsync(app, CancellationToken.None);
        await app.StartAsync();
        var baseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var token = app.Services.GetRequiredService<TokenService>().Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(2));

        using var http = new HttpClient { BaseAddress = baseAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        for (var i = 0; i < indicators; i++)
        {
            var response = await http.PostAsJsonAsync("/api/cockpit/indicators", new
            {
                code = $"load.i{i:00}", name = $"负载指标 {i}", owningUnit = "dsj", source = "metric", query = "load.changed-at",
                measure = "ms", refreshSeconds = 1, direction = "higherIsBetter",
            });
            response.EnsureSuccessStatusCode();
        }

        var changeDelays = new List<double>();
        var pushDelays = new List<double>();
        var gate = new Lock();
        var recording = false;
        var connections = new List<HubConnection>();
        for (var i = 0; i < viewers; i++)
        {
            // Unchanged values are sent again on each refresh; a viewer counts the first arrival of each new value.
            var lastSeen = new Dictionary<string, double>(StringComparer.Ordinal);
            var connection = new HubConnectionBuilder()
                .WithUrl(new Uri(baseAddress, CockpitHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            connection.On<LiveValue>(CockpitHub.ValueMessage, value =>
            {
                var now = DateTimeOffset.UtcNow;
                if (value.Value is not { } changedAt || value.At is not { } at || !value.Indicator.StartsWith("load.", StringComparison.Ordinal))
                {
                    return;
                }
                lock (gate)
                {
                    // Values are followed from the start, so that a value already seen before recording (sent again by a
                    // later refresh) is not taken for a new one that took seconds to arrive.
                    if (lastSeen.GetValueOrDefault(value.Indicator) == changedAt)
                    {
                        return;
                    }
                    lastSeen[value.Indicator] = changedAt;
                    if (!recording)
                    {
                        return;
                    }
                    changeDelays.Add(now.ToUnixTimeMilliseconds() - changedAt);
                    pushDelays.Add((now - at).TotalMilliseconds);
                }
            });
            await connection.StartAsync();
            await connection.InvokeAsync("Subscribe", "city");
            connections.Add(connection);
        }

        // Warm-up: the first changes after start pay for JIT compilation and first queries; steady state is measured.
        await Task.Delay(TimeSpan.FromMilliseconds(3 * ChangeMilliseconds));
        var process = Process.GetCurrentProcess();
        process.Refresh();
        var cpuStart = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        long peakWorkingSet = 0;
        recording = true;
        while (wall.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await Task.Delay(500);
            process.Refresh();
            peakWorkingSet = Math.Max(peakWorkingSet, process.WorkingSet64);
        }
        recording = false;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuStart).TotalMilliseconds / wall.Elapsed.TotalMilliseconds / Environment.ProcessorCount * 100;

        foreach (var connection in connections)
        {
            await connection.DisposeAsync();
        }
        await app.StopAsync();
        try
        {
            Directory.Delete(data, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }

        changeDelays.Sort();
        pushDelays.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            cockpit-load: {viewers} viewers, {indicators} indicators changing every {ChangeMilliseconds / 1000} s (refreshed every 1 s{(push ? " and on each pushed change" : ", polled only")}), {seconds} s, {Environment.ProcessorCount} cores
            changes received:         {changeDelays.Count:N0}
            change -> viewer (ms):    p50 {Percentile(changeDelays, 0.50):F0}   p99 {Percentile(changeDelays, 0.99):F0}   max {changeDelays.LastOrDefault():F0}
            push, store -> viewer:    p50 {Percentile(pushDelays, 0.50):F1}   p99 {Percentile(pushDelays, 0.99):F1}   max {pushDelays.LastOrDefault():F1}
            process CPU (all cores):  {cpu:F1} %   (viewers run in the same process)
            peak working set:         {peakWorkingSet / 1024.0 / 1024:F0} MiB   managed heap at end {GC.GetTotalMemory(false) / 1024.0 / 1024:F0} MiB
            """));
        return changeDelays.Count > 0 ? 0 : 1;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>
    /// load.changed-at: a value that changes every 2 s and is the Unix time (ms) of its latest change. When it pushes, it
    /// announces each change just after the 2-s boundary, as a source that knows its changes would.
    /// </summary>
    private sealed class SteppedClock : ILiveMetricSource, ILiveMetricChanges
    {
        private const string Metric = "load.changed-at";

        public SteppedClock(bool push)
        {
            if (push)
            {
                _ = AnnounceAsync();
            }
        }

        public event Action<string>? MetricChanged;

        public ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken)
        {
            if (metric != Metric)
            {
                return ValueTask.FromResult<IndicatorReading?>(null);
            }
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            return ValueTask.FromResult<IndicatorReading?>(IndicatorReading.Of(now - now % ChangeMilliseconds));
        }

        private async Task AnnounceAsync()
        {
            while (true)
            {
                var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                await Task.Delay(TimeSpan.FromMilliseconds(ChangeMilliseconds - now % ChangeMilliseconds + 1));
                MetricChanged?.Invoke(Metric);
            }
        }
    }
}

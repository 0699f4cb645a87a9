using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using CityBrain.Host;
using CityBrain.Hub.Security;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CityBrain.Benchmarks.Traffic;

/// <summary>
/// <c>traffic-detectors</c>: the simulator's speed (simulated seconds per wall second) with its road detectors publishing
/// over MQTT and without, side by side in one process, through the API a user calls (POST /api/traffic/runs, the run's
/// own <c>wallSeconds</c>), on the real host with its embedded broker and ingest. Rounds alternate off and on so that the
/// machine's load falls on both alike; after each publishing round it waits until the entities show the run's last minute
/// and reports that delay (publishing and ingest behind the simulation).
/// </summary>
internal static class TrafficDetectorsLoadRun
{
    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var rounds = args.Int("rounds", 5);
        var steps = args.Int("steps", 3600);
        var datasets = Path.GetFullPath(args.Text("datasets") ?? "../shared/datasets/traffic");
        var mqttPort = FreePort();
        Console.WriteLine($"traffic detectors load run: {Environment.ProcessorCount} cores, .NET {Environment.Version}; SQLite store, embedded MQTT broker; " +
            $"{steps} steps a run, {rounds} rounds off/on; load average {LoadAverage()}");

        var data = Path.Combine(Path.GetTempPath(), "citybrain-bench-traffic-" + Guid.NewGuid().ToString("N")[..10]);
        var app = CityBrainHost.Create(new HostSettings(data, "sqlite:" + Path.Combine(data, "citybrain.db"), "http://127.0.0.1:0"), builder =>
        {
            builder.Logging.ClearProviders();
            builder.Configuration["Sensing:EmbeddedMqttPort"] = mqttPort.ToString(CultureInfo.InvariantCulture);
            builder.Configuration["Traffic:DatasetsPath"] = datasets;
        });
        try
        {
            await CityBrainHost.PrepareAsync(app, cancellationToken);
            await app.StartAsync(cancellationToken);
            var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromMinutes(10) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                app.Services.GetRequiredService<TokenService>().Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(4)));

            foreach (var dataset in new[] { "HZ1", "JN1" })
            {
                // A warm-up run of each kind: JIT, the dataset read once, the detectors registered as devices.
                await RunAsync(client, dataset, steps, publish: false, cancellationToken);
                var warmUp = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                await RunAsync(client, dataset, steps, publish: true, cancellationToken);
                await WaitForLastMinuteAsync(client, dataset, warmUp.AddSeconds(steps / 60 * 60), cancellationToken);
                var off = new List<double>();
                var on = new List<double>();
                var behind = new List<double>();
                for (var round = 0; round < rounds; round++)
                {
                    off.Add(await RunAsync(client, dataset, steps, publish: false, cancellationToken));
                    var started = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
                    var watch = Stopwatch.StartNew();
                    on.Add(await RunAsync(client, dataset, steps, publish: true, cancellationToken));
                    var simulated = watch.Elapsed;
                    await WaitForLastMinuteAsync(client, dataset, started.AddSeconds(steps / 60 * 60), cancellationToken);
                    behind.Add((watch.Elapsed - simulated).TotalSeconds);
                }
                Console.WriteLine($"{dataset}: publishing off  median {Median(off):F3} s wall = {steps / Median(off):N0} simulated s per wall s  (runs {string.Join(", ", off.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))})");
                Console.WriteLine($"{dataset}: publishing on   median {Median(on):F3} s wall = {steps / Median(on):N0} simulated s per wall s  (runs {string.Join(", ", on.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)))})");
                Console.WriteLine($"{dataset}: every detector showing the last minute {Median(behind):F2} s (median) after the run returned");
            }
            Console.WriteLine($"load average at the end {LoadAverage()}");
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            Directory.Delete(data, recursive: true);
        }
        return 0;
    }

    /// <summary>One run through the API; its wall seconds as the run measured them (the stepping, with the offering of readings when on).</summary>
    private static async Task<double> RunAsync(HttpClient client, string dataset, int steps, bool publish, CancellationToken cancellationToken)
    {
        using var response = await client.PostAsJsonAsync("/api/traffic/runs",
            new { dataset, controller = "plan", steps, seed = 0, publishDetectors = publish }, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"run {dataset}: {(int)response.StatusCode} {body}");
        }
        return (double)JsonNode.Parse(body)!["wallSeconds"]!;
    }

    /// <summary>Waits until every detector entity of the dataset shows a reading observed at <paramref name="lastMinuteEnds"/> or later.</summary>
    private static async Task WaitForLastMinuteAsync(HttpClient client, string dataset, DateTimeOffset lastMinuteEnds, CancellationToken cancellationToken)
    {
        var prefix = $"urn:ngsi-ld:TrafficFlowObserved:traffic-{dataset.ToLowerInvariant()}-";
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(5))
        {
            var entities = JsonNode.Parse(await client.GetStringAsync($"/ngsi-ld/v1/entities?type=TrafficFlowObserved&idPattern=^{Uri.EscapeDataString(prefix)}.*&limit=1000", cancellationToken))!.AsArray();
            if (entities.Count > 0 && entities.All(e => e!["intensity"]?["observedAt"] is { } at && DateTimeOffset.Parse((string)at!, CultureInfo.InvariantCulture) >= lastMinuteEnds))
            {
                return;
            }
            await Task.Delay(50, cancellationToken);
        }
        throw new TimeoutException($"{dataset}: the detectors did not show the run's last minute within 5 minutes");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

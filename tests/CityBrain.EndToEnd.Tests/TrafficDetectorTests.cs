using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityBrain.Cockpit.Indicators;
using CityBrain.Cockpit.Live;
using CityBrain.Host;
using CityBrain.Hub.Security;
using CityBrain.Scenarios.Traffic.Live;
using CityBrain.Scenarios.Traffic.Network;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.EndToEnd.Tests;

/// <summary>
/// The traffic simulator's road detectors as the city sees them: a run started through the API publishes each simulated
/// minute over MQTT (the host's embedded broker), sensing's ingest applies the readings, and the detectors' entities,
/// their history, the cockpit's speed indicator and the city map show the simulator's own figures.
/// </summary>
public sealed class TrafficDetectorTests
{
    private const int Steps = 300;
    private const string Run = """{"dataset":"HZ1","controller":"plan","steps":300,"seed":0,"publishDetectors":true}""";

    [Fact]
    public async Task PostRun_PublishDetectorsOverEmbeddedBroker_EntitiesShowTheSimulatorsLastMinute()
    {
        var ct = TestContext.Current.CancellationToken;
        var mqttPort = FreePort();
        await using var node = await HubNode.StartAsync(TestStores.Sqlite, builder =>
        {
            builder.Configuration["Traffic:DatasetsPath"] = Browser.TrafficBrowserTests.SharedDatasets();
            builder.Configuration["Sensing:EmbeddedMqttPort"] = mqttPort.ToString(CultureInfo.InvariantCulture);
        });
        using var client = AdminClient(node);

        var requested = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        using var response = await client.PostAsync("/api/traffic/runs", Json(Run), ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(ct));
        var result = (await response.Content.ReadFromJsonAsync<JsonObject>(ct))!;
        Assert.Equal(Steps, (int)result["steps"]!);

        // The simulator's own counts, minute by minute: the same dataset, controller and seed, run here.
        var (minutes, detectors) = Simulate();
        Assert.Equal(5, minutes.Count);
        Assert.Equal(80, detectors.Count);

        // Ingest applies the readings as they arrive: wait until every detector shows the run's last minute, stamped on the
        // run's clock (it starts at the wall time of the request, to the second, so the fifth minute ends 300 s after it).
        var lastMinuteEnds = requested.AddSeconds(Steps);
        var current = await WaitAsync(async () =>
        {
            var entities = await GetArrayAsync(client, "/ngsi-ld/v1/entities?type=TrafficFlowObserved&limit=1000", ct);
            return entities.Count == detectors.Count && entities.All(e => e!["intensity"]?["observedAt"] is { } at &&
                DateTimeOffset.Parse((string)at!, CultureInfo.InvariantCulture) >= lastMinuteEnds) ? entities : null;
        });
        Assert.True(minutes.Sum(m => m.Readings.Sum(r => r.Intensity)) > 100, "vehicles went through the signals in five minutes");

        // The last minute as the entities show it: its vehicles counted as the simulator counted them, speed in km/h, congestion, the place on the map, the district.
        var last = minutes[^1];
        foreach (var entity in current)
        {
            var road = entity!["id"]!.GetValue<string>()["urn:ngsi-ld:TrafficFlowObserved:traffic-hz1-".Length..];
            var index = detectors.FindIndex(d => d.Road == road);
            var reading = last.Readings[index];
            Assert.Equal(reading.Intensity, (int)entity["intensity"]!["value"]!);
            Assert.Equal(reading.Congested, (bool)entity["congested"]!["value"]!);
            Assert.Equal(road, (string)entity["refRoadSegment"]!["value"]!);
            Assert.Equal("330106", (string)entity["district"]!["value"]!);
            // An empty road reads free flow: its limit.
            Assert.Equal(Math.Round((reading.AverageSpeed ?? detectors[index].SpeedLimit) * 3.6, 1), (double)entity["averageVehicleSpeed"]!["value"]!);
            Assert.Equal("KMH", (string)entity["averageVehicleSpeed"]!["unitCode"]!);
            var (lon, lat) = GeoAnchor.Gudang.ToLonLat(detectors[index].X, detectors[index].Y);
            var coordinates = entity["location"]!["value"]!["coordinates"]!.AsArray();
            Assert.Equal(lon, (double)coordinates[0]!, 1e-6);
            Assert.Equal(lat, (double)coordinates[1]!, 1e-6);
            var interval = ((string)entity["dateObserved"]!["value"]!).Split('/');
            Assert.Equal(TimeSpan.FromSeconds(60), DateTimeOffset.Parse(interval[1], CultureInfo.InvariantCulture) - DateTimeOffset.Parse(interval[0], CultureInfo.InvariantCulture));
            Assert.Equal(DateTimeOffset.Parse(interval[1], CultureInfo.InvariantCulture), DateTimeOffset.Parse((string)entity["intensity"]!["observedAt"]!, CultureInfo.InvariantCulture));
        }

        // The cockpit's speed indicator for 西湖区 and the city map's detector layer read the same entities.
        var speeds = last.Readings.Select((r, i) => Math.Round((r.AverageSpeed ?? detectors[i].SpeedLimit) * 3.6, 1)).ToList();
        var indicator = await node.Services.GetServices<ILiveMetricSource>().OfType<SensingMetricSource>().Single()
            .ReadAsync("entities/TrafficFlowObserved/avg(averageVehicleSpeed)", ct);
        Assert.NotNull(indicator);
        Assert.Equal(speeds.Average(), indicator.ByArea["330106"], 6);
        var points = await node.Services.GetServices<ILiveMapLayerSource>().OfType<SensingMapLayer>().Single().ReadAsync(ct);
        Assert.Equal(detectors.Count, points.Count(p => p.Id.StartsWith("urn:ngsi-ld:TrafficFlowObserved:traffic-hz1-", StringComparison.Ordinal)));

        Assert.DoesNotContain(node.Logs, line => line.Contains("dropped", StringComparison.Ordinal) && line.Contains("Traffic run", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostRun_BrokerDown_RunCompletesAndTheWarningCountsTheDroppedReadings()
    {
        var ct = TestContext.Current.CancellationToken;
        // Nothing listens on this port: every connection is refused. The queue holds 100 readings; five minutes make 400.
        var deadBroker = FreePort();
        await using var node = await HubNode.StartAsync(TestStores.Sqlite, builder =>
        {
            builder.Configuration["Traffic:DatasetsPath"] = Browser.TrafficBrowserTests.SharedDatasets();
            builder.Configuration["Sensing:MqttBroker"] = $"mqtt://127.0.0.1:{deadBroker}";
            builder.Configuration["Traffic:Detectors:QueueCapacity"] = "100";
        });
        using var client = AdminClient(node);

        using var published = await client.PostAsync("/api/traffic/runs", Json(Run), ct);
        using var plain = await client.PostAsync("/api/traffic/runs", Json(Run.Replace("true", "false", StringComparison.Ordinal)), ct);

        // The simulation is not held back: the same figures as a run without detectors.
        Assert.True(published.IsSuccessStatusCode, await published.Content.ReadAsStringAsync(ct));
        var withDetectors = (await published.Content.ReadFromJsonAsync<JsonObject>(ct))!;
        var without = (await plain.Content.ReadFromJsonAsync<JsonObject>(ct))!;
        Assert.Equal((int)without["throughput"]!, (int)withDetectors["throughput"]!);
        Assert.Equal((double)without["averageTravelTime"]!, (double)withDetectors["averageTravelTime"]!);
        Assert.Equal(Steps, (int)withDetectors["steps"]!);

        // 400 offered, 100 held for the broker's return, 300 dropped: the warning says so, and the publisher counts them.
        Assert.Contains(node.Logs, line => line.Contains("Traffic run on HZ1: 300 of 400 detector readings dropped", StringComparison.Ordinal));
        Assert.Equal(300, node.Services.GetRequiredService<TrafficDetectorPublisher>().Dropped);
        Assert.Equal(0, node.Services.GetRequiredService<TrafficDetectorPublisher>().Published);
        await WaitAsync(() => Task.FromResult(node.Logs.Any(line => line.Contains("Traffic detectors: MQTT broker", StringComparison.Ordinal) &&
            line.Contains("unreachable", StringComparison.Ordinal) && line.Contains("300 readings dropped so far", StringComparison.Ordinal)) ? "" : null));

        var entities = await GetArrayAsync(client, "/ngsi-ld/v1/entities?type=TrafficFlowObserved&limit=1000", ct);
        Assert.Empty(entities);
    }

    [Fact]
    public async Task PostRun_PublishDetectorsNotABoolean_BadRequestNamesTheField()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var node = await HubNode.StartAsync(TestStores.Sqlite, builder =>
            builder.Configuration["Traffic:DatasetsPath"] = Browser.TrafficBrowserTests.SharedDatasets());
        using var client = AdminClient(node);

        using var response = await client.PostAsync("/api/traffic/runs", Json("""{"dataset":"HZ1","steps":60,"publishDetectors":"yes"}"""), ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("publishDetectors", await response.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    private static (List<DetectorMinute> Minutes, List<DetectorSite> Detectors) Simulate()
    {
        var folder = Path.Combine(Browser.TrafficBrowserTests.SharedDatasets(), "hangzhou_4x4");
        var network = CityFlowReader.ReadRoadNetwork(Path.Combine(folder, "roadnet_4_4.json"));
        var demand = CityFlowReader.ReadDemand(Path.Combine(folder, "anon_4_4_hangzhou_real.json"), network);
        var session = new TrafficSession(network, demand, "plan", Steps, seed: 0);
        var minutes = new List<DetectorMinute>();
        while (!session.Finished)
        {
            session.Step();
            if (session.MinuteJustEnded is { } minute)
            {
                minutes.Add(minute);
            }
        }
        return (minutes, [.. session.Detectors]);
    }

    private static HttpClient AdminClient(HubNode node) =>
        node.Client(node.Services.GetRequiredService<TokenService>().Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));

    private static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static async Task<JsonArray> GetArrayAsync(HttpClient client, string path, CancellationToken ct)
    {
        using var response = await client.GetAsync(path, ct);
        var body = await response.Content.ReadAsStringAsync(ct);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!.AsArray();
    }

    /// <summary>Polls until <paramref name="read"/> answers (generous: CI machines are slow and run test assemblies side by side).</summary>
    private static async Task<T> WaitAsync<T>(Func<Task<T?>> read) where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (true)
        {
            if (await read() is { } value)
            {
                return value;
            }
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting");
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

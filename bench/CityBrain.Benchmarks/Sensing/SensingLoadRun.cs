using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using CityBrain.Host;
using CityBrain.Sensing.Ingest;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using MQTTnet;

namespace CityBrain.Benchmarks.Sensing;

/// <summary>
/// <c>sensing</c>: the NGSI-LD broker as devices and dashboards use it, on the real host over loopback HTTP: entity writes
/// through batch upsert, entity updates through MQTT ingest (embedded broker, QoS 0 publishes), query latency at
/// <c>--entities</c> (10,000 and then 100,000 by default) and the delay of an HTTP notification. <c>--store</c> is
/// <c>sqlite</c> (the default: a new file) or the connection string of an empty PostgreSQL database, where geo-queries run
/// in PostGIS when the server has it and the role may create it, in memory otherwise (the host logs which). <c>--only geo</c>
/// creates the entities and runs only the geo queries (near, within), to compare where geo-queries run in minutes.
/// </summary>
internal static class SensingLoadRun
{
    private const int Batch = 1000;
    private const int CarParks = 1000;

    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var large = args.Int("entities", 100_000);
        var messages = args.Int("messages", 100_000);
        var queries = args.Int("queries", 500);
        var storeOption = args.Text("store") ?? "sqlite";
        var geoOnly = args.Text("only") switch
        {
            null => false,
            "geo" => true,
            var other => throw new ArgumentException($"--only takes 'geo', not '{other}'"),
        };
        var mqttPort = FreePort();
        var data = Path.Combine(Path.GetTempPath(), "citybrain-bench-sensing-" + Guid.NewGuid().ToString("N")[..10]);
        var store = storeOption == "sqlite" ? "sqlite:" + Path.Combine(data, "citybrain.db") : storeOption;
        var app = CityBrainHost.Create(new HostSettings(data, store, "http://127.0.0.1:0"), builder =>
        {
            builder.Logging.ClearProviders();
            // Only the line that says where geo-queries run (PostGIS or in memory), and warnings.
            builder.Logging.AddSimpleConsole().AddFilter((category, level) => level >= LogLevel.Warning || category == typeof(CityBrain.Sensing.Geo.PostGisGeoIndex).FullName);
            builder.Configuration["Sensing:Open"] = "true";
            builder.Configuration["Sensing:EmbeddedMqttPort"] = mqttPort.ToString(CultureInfo.InvariantCulture);
        });
        try
        {
            await CityBrainHost.PrepareAsync(app, cancellationToken);
            await app.StartAsync(cancellationToken);
            Console.WriteLine($"sensing load run: {Environment.ProcessorCount} cores, .NET {Environment.Version}; store {app.Services.GetRequiredService<CityBrain.Kernel.Storage.IOperationalStore>().Description}, loopback HTTP, embedded MQTT broker");
            var baseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(baseUrl + "/ngsi-ld/v1/"), Timeout = TimeSpan.FromMinutes(5) };

            await CarParksAsync(client, cancellationToken);
            var loaded = 0;
            foreach (var size in new[] { Math.Min(10_000, large), large }.Distinct())
            {
                var watch = Stopwatch.StartNew();
                await UpsertAsync(client, loaded, size, round: 0, cancellationToken);
                Report($"batch upsert, create {size - loaded:N0} entities ({Batch} a request)", size - loaded, watch.Elapsed);
                loaded = size;
                await QueriesAsync(client, size, queries, geoOnly, cancellationToken);
            }
            if (geoOnly)
            {
                return 0;
            }
            var update = Stopwatch.StartNew();
            await UpsertAsync(client, 0, loaded, round: 1, cancellationToken);
            Report($"batch upsert, update {loaded:N0} existing entities ({Batch} a request)", loaded, update.Elapsed);

            await MqttAsync(app.Services, mqttPort, messages, cancellationToken);
            await NotificationDelayAsync(client, cancellationToken);
        }
        finally
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
        return 0;
    }

    /// <summary>Traffic detectors spread over Hangzhou's centre (about 20 × 20 km), written in batches of <see cref="Batch"/>.</summary>
    private static async Task UpsertAsync(HttpClient client, int from, int to, int round, CancellationToken cancellationToken)
    {
        for (var start = from; start < to; start += Batch)
        {
            var body = new StringBuilder("[");
            for (var i = start; i < Math.Min(to, start + Batch); i++)
            {
                var (lon, lat) = Position(i);
                body.Append(CultureInfo.InvariantCulture, $$$"""{"id":"urn:ngsi-ld:TrafficFlowObserved:d{{{i}}}","type":"TrafficFlowObserved","intensity":{{{(i * 7 + round * 13) % 2000}}},"averageVehicleSpeed":{{{(i + round) % 80}}},"district":"3301{{{i % 13:D2}}}","location":{"type":"Point","coordinates":[{{{lon:F6}}},{{{lat:F6}}}]}},""");
            }
            body[^1] = ']';
            using var response = await client.PostAsync("entityOperations/upsert", new StringContent(body.ToString(), Encoding.UTF8, "application/json"), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"upsert answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
    }

    /// <summary>
    /// <see cref="CarParks"/> entities of a second type beside the detectors, so that a query by that type shows what the
    /// type index saves: it reads only the car parks, however many detectors there are.
    /// </summary>
    private static async Task CarParksAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var body = new StringBuilder("[");
        for (var i = 0; i < CarParks; i++)
        {
            body.Append(CultureInfo.InvariantCulture, $$$"""{"id":"urn:ngsi-ld:OffStreetParking:p{{{i}}}","type":"OffStreetParking","availableSpotNumber":{{{i * 37 % 400}}},"district":"3301{{{i % 13:D2}}}"},""");
        }
        body[^1] = ']';
        using var response = await client.PostAsync("entityOperations/upsert", new StringContent(body.ToString(), Encoding.UTF8, "application/json"), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"upsert answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
    }

    private static (double Lon, double Lat) Position(int i) => (120.05 + (i * 0.6180339887 % 1) * 0.2, 30.15 + (i * 0.7548776662 % 1) * 0.18);

    private static async Task QueriesAsync(HttpClient client, int entities, int count, bool geoOnly, CancellationToken cancellationToken)
    {
        var random = new Random(42);
        string Near()
        {
            var (lon, lat) = Position(random.Next(entities));
            return string.Create(CultureInfo.InvariantCulture, $"entities?type=TrafficFlowObserved&georel=near%3BmaxDistance%3D%3D1000&geometry=Point&coordinates=%5B{lon:F5},{lat:F5}%5D&limit=20");
        }
        // A square of about 1 × 1 km (0.01° of longitude, 0.009° of latitude) around a detector.
        string Within()
        {
            var (lon, lat) = Position(random.Next(entities));
            return string.Create(CultureInfo.InvariantCulture,
                $"entities?type=TrafficFlowObserved&georel=within&geometry=Polygon&coordinates=%5B%5B%5B{lon - 0.005:F5},{lat - 0.0045:F5}%5D,%5B{lon + 0.005:F5},{lat - 0.0045:F5}%5D,%5B{lon + 0.005:F5},{lat + 0.0045:F5}%5D,%5B{lon - 0.005:F5},{lat + 0.0045:F5}%5D,%5B{lon - 0.005:F5},{lat - 0.0045:F5}%5D%5D%5D&limit=20");
        }
        var kinds = new (string Name, Func<string> Path)[]
        {
            ("by id", () => $"entities/urn:ngsi-ld:TrafficFlowObserved:d{random.Next(entities)}"),
            ("type + q (intensity range, district), limit 20", () => $"entities?type=TrafficFlowObserved&q=intensity%3E{random.Next(1900)}%3Bdistrict%3D%3D%223301{random.Next(13):D2}%22&limit=20"),
            ("geo: near, max 1 km, limit 20", Near),
            ("geo: within a 1 km square, limit 20", Within),
            ("type, count=true, limit 1", () => "entities?type=TrafficFlowObserved&count=true&limit=1"),
            ($"another type ({CarParks:N0} car parks) + q, limit 20", () => $"entities?type=OffStreetParking&q=availableSpotNumber%3E{random.Next(400)}&limit=20"),
        };
        foreach (var (name, path) in kinds.Where(k => !geoOnly || k.Name.StartsWith("geo:", StringComparison.Ordinal)))
        {
            var latencies = new List<double>(count);
            var processor = Process.GetCurrentProcess().TotalProcessorTime;
            var server = PostgresProcessorTime();
            for (var i = 0; i < count; i++)
            {
                var watch = Stopwatch.StartNew();
                using var response = await client.GetAsync(path(), cancellationToken);
                await response.Content.ReadAsByteArrayAsync(cancellationToken);
                latencies.Add(watch.Elapsed.TotalMilliseconds);
                if (!response.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException($"query {name} answered {(int)response.StatusCode}");
                }
            }
            latencies.Sort();
            // Processor time per request (client and server share the process) is what a loaded machine disturbs least.
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - processor).TotalMilliseconds / count;
            // PostGIS works in the PostgreSQL server's processes, which the line above does not see.
            var serverCpu = (PostgresProcessorTime() - server).TotalMilliseconds / count;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"query at {entities:N0} entities, {name}: p50 {Percentile(latencies, 0.50):F2} ms, p99 {Percentile(latencies, 0.99):F2} ms, {cpu:F2} ms of processor time per request + {serverCpu:F2} ms in PostgreSQL ({count} sequential requests)"));
        }
    }

    private static async Task MqttAsync(IServiceProvider services, int port, int messages, CancellationToken cancellationToken)
    {
        const int devices = 1000;
        var registry = services.GetRequiredService<IDeviceRegistry>();
        for (var d = 0; d < devices; d++)
        {
            await registry.RegisterAsync($"det-{d}", System.Text.Json.JsonSerializer.SerializeToElement(new
            {
                entityId = $"urn:ngsi-ld:TrafficFlowObserved:mqtt{d}",
                entityType = "TrafficFlowObserved",
                fields = new { flow = new { attribute = "intensity", kind = "number" }, speed = new { attribute = "averageVehicleSpeed", kind = "number" } },
            }), cancellationToken);
        }
        var ingest = services.GetRequiredService<MqttIngest>();
        await ingest.Subscribed.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        var before = ingest.Applied;
        using var device = new MqttClientFactory().CreateMqttClient();
        await device.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId("bench-devices").Build(), cancellationToken);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < messages; i++)
        {
            await device.PublishAsync(new MqttApplicationMessageBuilder()
                .WithTopic(IDeviceRegistry.TopicOf($"det-{i % devices}"))
                .WithPayload($$"""{"flow":{{i % 2000}},"speed":{{i % 80}}}""")
                .Build(), cancellationToken);
        }
        var published = watch.Elapsed;
        while (ingest.Applied - before < messages)
        {
            if (watch.Elapsed > TimeSpan.FromMinutes(5))
            {
                throw new InvalidOperationException($"only {ingest.Applied - before:N0} of {messages:N0} MQTT messages applied after 5 minutes");
            }
            await Task.Delay(10, cancellationToken);
        }
        Report($"MQTT ingest, {messages:N0} device messages (1,000 devices, QoS 0; publishing took {published.TotalSeconds:F1} s) to entity updates", messages, watch.Elapsed);
    }

    /// <summary>From the PATCH's answer to the receiver's hand: one subscription, an HTTP receiver on loopback, sequential changes.</summary>
    private static async Task NotificationDelayAsync(HttpClient client, CancellationToken cancellationToken)
    {
        var arrivals = Channel.CreateUnbounded<long>();
        using var listener = new HttpListener();
        var port = FreePort();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        var receiving = Task.Run(async () =>
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var context = await listener.GetContextAsync();
                await context.Request.InputStream.CopyToAsync(Stream.Null, cancellationToken);
                arrivals.Writer.TryWrite(Stopwatch.GetTimestamp());
                context.Response.StatusCode = 204;
                context.Response.Close();
            }
        }, cancellationToken);
        using var subscription = await client.PostAsync("subscriptions", new StringContent($$$"""
            {"type":"Subscription","entities":[{"id":"urn:ngsi-ld:TrafficFlowObserved:d0","type":"TrafficFlowObserved"}],"watchedAttributes":["intensity"],
             "notification":{"endpoint":{"uri":"http://127.0.0.1:{{{port}}}/notify","accept":"application/json"} } }
            """, Encoding.UTF8, "application/json"), cancellationToken);
        subscription.EnsureSuccessStatusCode();
        var delays = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var sent = Stopwatch.GetTimestamp();
            using var patch = await client.PatchAsync("entities/urn:ngsi-ld:TrafficFlowObserved:d0/attrs",
                new StringContent($$"""{"intensity":{{5000 + i}}}""", Encoding.UTF8, "application/json"), cancellationToken);
            patch.EnsureSuccessStatusCode();
            var arrived = await arrivals.Reader.ReadAsync(cancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            delays.Add(Stopwatch.GetElapsedTime(sent, arrived).TotalMilliseconds);
        }
        delays.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"notification delay (PATCH sent to HTTP receiver), 200 sequential changes: p50 {Percentile(delays, 0.50):F2} ms, p99 {Percentile(delays, 0.99):F2} ms"));
        listener.Stop();
        _ = receiving;
    }

    /// <summary>
    /// User and system time of every process named postgres on this machine (/proc, clock ticks of 10 ms): the server's
    /// share of a query. Zero on SQLite; includes other clusters' work, if any run here.
    /// </summary>
    private static TimeSpan PostgresProcessorTime()
    {
        long ticks = 0;
        foreach (var directory in Directory.Exists("/proc") ? Directory.EnumerateDirectories("/proc") : [])
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var close = stat.LastIndexOf(')');
                if (close < 0 || !stat.AsSpan(stat.IndexOf('(') + 1, close - stat.IndexOf('(') - 1).SequenceEqual("postgres"))
                {
                    continue;
                }
                // After "pid (comm) ", utime and stime are the 12th and 13th fields.
                var fields = stat[(close + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended meanwhile, or is not readable.
            }
        }
        return TimeSpan.FromMilliseconds(ticks * 10);
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static void Report(string what, int count, TimeSpan elapsed) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{what}: {count:N0} in {elapsed.TotalSeconds:F2} s = {count / elapsed.TotalSeconds:N0}/s (load average {LoadAverage()})"));

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

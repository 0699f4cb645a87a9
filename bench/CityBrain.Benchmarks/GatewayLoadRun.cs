using System.Globalization;
using System.Net.Http.Headers;
using CityBrain.Benchmarks.Load;

namespace CityBrain.Benchmarks;

/// <summary>
/// <c>gateway</c>: the same person lookup three ways, on loopback, in one run: straight to the department's service,
/// through a plain YARP proxy, and through the hub (token, registry, grant, quota, masking, audit chain). Rounds
/// interleave the three so that a slow spell of the machine hits them alike. Two measures: the most each serves with
/// <c>--connections</c> callers (closed loop), and latency at a fixed <c>--rate</c> every target can serve.
/// </summary>
internal static class GatewayLoadRun
{
    public static async Task<int> RunAsync(LoadRunArgs args, CancellationToken cancellationToken)
    {
        var seconds = args.Int("seconds", 10);
        var connections = args.Int("connections", 32);
        var rounds = args.Int("rounds", 3);
        var rate = args.Int("rate", 1000);

        await using var backend = await PersonBackend.StartAsync(cancellationToken);
        await using var proxy = await PlainProxy.StartAsync(backend.BaseUrl, cancellationToken);
        await using var hub = await HubUnderLoad.StartAsync(backend.BaseUrl, cancellationToken);
        await hub.CheckOneCallAsync(cancellationToken);

        var ids = PersonBackend.ResidentIds;
        var hubAuthorization = new AuthenticationHeaderValue("Bearer", hub.ConsumerToken);
        LoadTarget[] targets =
        [
            new("direct", n => WithKey(new HttpRequestMessage(HttpMethod.Get, $"{backend.BaseUrl}/persons/{ids[(int)(n % ids.Count)]}"))),
            new("plain YARP", n => WithKey(new HttpRequestMessage(HttpMethod.Get, $"{proxy.BaseUrl}/persons/{ids[(int)(n % ids.Count)]}"))),
            new("hub", n =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, $"{hub.BaseUrl}/hub/call/police-pop/person/{ids[(int)(n % ids.Count)]}");
                request.Headers.Authorization = hubAuthorization;
                request.Headers.Add("X-Purpose", HubUnderLoad.Purpose);
                return request;
            }),
        ];

        Console.WriteLine($"gateway load run: {Environment.ProcessorCount} cores, .NET {Environment.Version}, {seconds} s per phase, {connections} connections, {rounds} rounds, paced at {rate} requests/s");
        using var load = new LoadGenerator(connections);
        foreach (var target in targets)
        {
            await load.RunAsync(target, TimeSpan.FromSeconds(3), null, new LoadResult(target.Name), cancellationToken);
        }

        var saturated = targets.Select(t => new LoadResult(t.Name)).ToArray();
        var paced = targets.Select(t => new LoadResult(t.Name)).ToArray();
        for (var round = 1; round <= rounds; round++)
        {
            for (var i = 0; i < targets.Length; i++)
            {
                await load.RunAsync(targets[i], TimeSpan.FromSeconds(seconds), null, saturated[i], cancellationToken);
                Console.WriteLine($"  round {round} {targets[i].Name,-10} closed loop: {saturated[i].RequestsPerSecond,9:N0} requests/s so far");
            }
            for (var i = 0; i < targets.Length; i++)
            {
                await load.RunAsync(targets[i], TimeSpan.FromSeconds(seconds), rate, paced[i], cancellationToken);
            }
        }

        Console.WriteLine();
        Console.WriteLine($"| path | requests/s ({connections} conn.) | p50 ms | p99 ms | CPU µs/request | KB allocated/request | p50 ms at {rate}/s | p99 ms at {rate}/s | failed |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        for (var i = 0; i < targets.Length; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {targets[i].Name} | {saturated[i].RequestsPerSecond:N0} | {saturated[i].PercentileMs(50):F2} | {saturated[i].PercentileMs(99):F2} | {saturated[i].ProcessorMicrosecondsPerRequest:F0} | {saturated[i].AllocatedKilobytesPerRequest:F1} | {paced[i].PercentileMs(50):F2} | {paced[i].PercentileMs(99):F2} | {saturated[i].Failures + paced[i].Failures} |"));
        }
        var (yarp, through) = (1, 2);
        var throughputShare = saturated[through].RequestsPerSecond / saturated[yarp].RequestsPerSecond;
        var addedP99 = paced[through].PercentileMs(99) - paced[yarp].PercentileMs(99);
        var addedP99Saturated = saturated[through].PercentileMs(99) - saturated[yarp].PercentileMs(99);
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hub / plain YARP throughput: {throughputShare:P0} (target >= 50%)"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"hub - plain YARP p99 at {rate}/s: {addedP99:+0.00;-0.00} ms (target < 2 ms); at saturation: {addedP99Saturated:+0.00;-0.00} ms"));
        var audited = await CountAuditAsync(hub, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"audit records written by the hub during the run: {audited:N0}"));
        return 0;
    }

    private static HttpRequestMessage WithKey(HttpRequestMessage request)
    {
        request.Headers.Add("X-Api-Key", PersonBackend.ApiKey);
        return request;
    }

    private static async Task<long> CountAuditAsync(HubUnderLoad hub, CancellationToken cancellationToken)
    {
        var store = hub.Services.GetRequiredService<CityBrain.Kernel.Storage.IOperationalStore>();
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM hub_audit WHERE action = 'gateway.call'";
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }
}

using System.Diagnostics;
using System.Net;

namespace CityBrain.Benchmarks.Load;

/// <summary>What one load phase measured: every request's latency kept, so percentiles are exact, not estimated.</summary>
internal sealed class LoadResult(string target)
{
    private readonly List<long> _latencyTicks = [];

    public string Target { get; } = target;

    public long Requests { get; private set; }

    public long Failures { get; private set; }

    public TimeSpan Elapsed { get; private set; }

    /// <summary>Processor time the whole process (load, proxy, hub, backend) spent during the phases.</summary>
    public TimeSpan ProcessorTime { get; private set; }

    /// <summary>Processor time per answered request: how much work a call costs, whatever else the machine is doing.</summary>
    public double ProcessorMicrosecondsPerRequest => Requests == 0 ? double.NaN : ProcessorTime.TotalMicroseconds / Requests;

    /// <summary>Bytes the whole process allocated during the phases.</summary>
    public long AllocatedBytes { get; private set; }

    public double AllocatedKilobytesPerRequest => Requests == 0 ? double.NaN : AllocatedBytes / 1024.0 / Requests;

    public double RequestsPerSecond => Elapsed.TotalSeconds == 0 ? 0 : Requests / Elapsed.TotalSeconds;

    public void Add(IReadOnlyList<long> latencyTicks, long failures, TimeSpan elapsed, TimeSpan processorTime = default, long allocatedBytes = 0)
    {
        AllocatedBytes += allocatedBytes;
        ProcessorTime += processorTime;
        _latencyTicks.AddRange(latencyTicks);
        Requests += latencyTicks.Count;
        Failures += failures;
        Elapsed += elapsed;
    }

    /// <summary>The latency below which <paramref name="percent"/> of requests fell (nearest-rank on the sorted samples).</summary>
    public double PercentileMs(double percent)
    {
        if (_latencyTicks.Count == 0)
        {
            return double.NaN;
        }
        _latencyTicks.Sort();
        var rank = (int)Math.Ceiling(percent / 100 * _latencyTicks.Count);
        return _latencyTicks[Math.Clamp(rank - 1, 0, _latencyTicks.Count - 1)] * 1000.0 / Stopwatch.Frequency;
    }
}

/// <summary>
/// An in-process HTTP load generator. Closed loop: <c>connections</c> workers, each sending its next request as soon
/// as the last one is answered (how much a target can serve). Paced: the same workers send at a fixed total rate; a
/// request sent late because the target was slow counts from when it was due, so a stall is not hidden by fewer
/// requests being sent (coordinated omission).
/// </summary>
internal sealed class LoadGenerator(int connections) : IDisposable
{
    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        UseProxy = false,
        UseCookies = false,
        AllowAutoRedirect = false,
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    })
    {
        Timeout = TimeSpan.FromSeconds(30),
    };

    public int Connections => connections;

    /// <summary>Runs one phase against <paramref name="target"/> and adds what it measured to <paramref name="result"/>.</summary>
    public async Task RunAsync(LoadTarget target, TimeSpan duration, double? requestsPerSecond, LoadResult result, CancellationToken cancellationToken)
    {
        var latencies = new List<long>[connections];
        var failures = new long[connections];
        using var process = Process.GetCurrentProcess();
        var processorBefore = process.TotalProcessorTime;
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        // Paced: worker w sends requests w, w + C, w + 2C, ... of a global schedule at the given rate.
        var interval = requestsPerSecond is { } rate ? Stopwatch.Frequency / rate : 0;
        var workers = Enumerable.Range(0, connections).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<long>(1 << 16);
            for (long n = w; ; n += connections)
            {
                var due = interval > 0 ? start + (long)(n * interval) : Stopwatch.GetTimestamp();
                if (due >= end)
                {
                    break;
                }
                var wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                }
                // Behind schedule because the target answered late: count from when the request was due. Ahead of it:
                // count from the send, so the timer's oversleep is not charged to the target.
                var sent = wait > 0 ? Stopwatch.GetTimestamp() : due;
                using var request = target.CreateRequest(n);
                try
                {
                    using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        failures[w]++;
                        continue;
                    }
                }
                catch (HttpRequestException)
                {
                    failures[w]++;
                    continue;
                }
                mine.Add(Stopwatch.GetTimestamp() - sent);
            }
        }, cancellationToken)).ToArray();
        await Task.WhenAll(workers);
        var elapsed = Stopwatch.GetElapsedTime(start);
        process.Refresh();
        var processorTime = process.TotalProcessorTime - processorBefore;
        foreach (var (list, failed) in latencies.Zip(failures))
        {
            result.Add(list, failed, TimeSpan.Zero);
        }
        result.Add([], 0, elapsed, processorTime, GC.GetTotalAllocatedBytes() - allocatedBefore);
    }

    public void Dispose() => _client.Dispose();
}

/// <summary>One thing to load: how to build its n-th request.</summary>
internal sealed record LoadTarget(string Name, Func<long, HttpRequestMessage> CreateRequest);

using System.Text.Json;
using BenchmarkDotNet.Attributes;
using CityBrain.Scenarios.Traffic;
using CityBrain.Scenarios.Traffic.Live;
using CityBrain.Scenarios.Traffic.Network;

namespace CityBrain.Benchmarks.Traffic;

/// <summary>
/// The live view's cost per frame on HZ1 at 15 minutes into the morning hour (a few hundred vehicles on the roads): reading
/// the frame from the session, and the frame as the JSON the page pushes over its SignalR circuit (docs/benchmarks.md).
/// </summary>
[MemoryDiagnoser]
[InProcess] // no separate build of the benchmark: on the shared two cores it outlasts BenchmarkDotNet's build timeout
public class TrafficLiveBenchmarks
{
    private TrafficSession _session = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dataset = TrafficReference.Datasets.First(d => d.Name == "HZ1");
        var folder = Path.Combine(SharedDatasets(), dataset.Folder);
        var network = CityFlowReader.ReadRoadNetwork(Path.Combine(folder, dataset.Roadnet));
        _session = new TrafficSession(network, CityFlowReader.ReadDemand(Path.Combine(folder, dataset.Flow), network), "best");
        for (var step = 0; step < 900; step++)
        {
            _session.Step();
        }
        var frame = _session.Frame();
        Console.WriteLine($"// HZ1 at 900 s: {frame.Figures.Running} vehicles, frame {FrameJson().Length} bytes as JSON, map {JsonSerializer.SerializeToUtf8Bytes(_session.Map, JsonSerializerOptions.Web).Length} bytes once");
    }

    [Benchmark]
    public TrafficFrame Frame() => _session.Frame();

    [Benchmark]
    public byte[] FrameJson() => JsonSerializer.SerializeToUtf8Bytes(_session.Frame(), JsonSerializerOptions.Web);

    private static string SharedDatasets()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CityBrain.slnx")))
        {
            directory = directory.Parent;
        }
        return Path.Combine(directory?.Parent?.FullName ?? throw new InvalidOperationException("CityBrain.slnx not found above the benchmark"),
            "shared", "datasets", "traffic");
    }
}

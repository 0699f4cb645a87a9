using CityBrain.Scenarios.Traffic.Network;

namespace CityBrain.Scenarios.Traffic.Tests;

/// <summary>
/// The smallest real dataset (HZ1, ../shared/datasets/traffic beside the repository) under the roadnet's own plan, against
/// CityFlow's figures in REFERENCE.md: the simulator must stay within 5 %. About a second; the full table is docs/traffic.md.
/// </summary>
public sealed class FidelityTests
{
    [Fact]
    public void Run_Hangzhou4x4WithItsOwnPlan_MatchesCityFlowWithinFivePercent()
    {
        var dataset = TrafficReference.Datasets.Single(d => d.Name == "HZ1");
        var folder = Path.Combine(SharedDatasets(), dataset.Folder);
        var network = CityFlowReader.ReadRoadNetwork(Path.Combine(folder, dataset.Roadnet));
        var demand = CityFlowReader.ReadDemand(Path.Combine(folder, dataset.Flow), network);

        var result = TrafficRun.Run(network, demand, "plan", steps: 3600, seed: 0);

        var cityFlow = dataset.CityFlow["plan"];
        Assert.Equal(2983, result.Vehicles);
        Assert.InRange(result.AverageTravelTime, cityFlow.EngineTravelTime * 0.95, cityFlow.EngineTravelTime * 1.05);
        Assert.InRange(result.PaperTravelTime, cityFlow.PaperTravelTime * 0.95, cityFlow.PaperTravelTime * 1.05);
        Assert.InRange(result.Throughput, cityFlow.Throughput * 0.95, cityFlow.Throughput * 1.05);
    }

    internal static string SharedDatasets()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CityBrain.slnx")))
        {
            directory = directory.Parent;
        }
        return Path.Combine(directory?.Parent?.FullName ?? throw new InvalidOperationException("CityBrain.slnx not found above the test binaries"),
            "shared", "datasets", "traffic");
    }
}

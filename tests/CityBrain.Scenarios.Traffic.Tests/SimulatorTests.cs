using System.Text;
using CityBrain.Scenarios.Traffic.Control;
using CityBrain.Scenarios.Traffic.Network;
using CityBrain.Scenarios.Traffic.Simulation;

namespace CityBrain.Scenarios.Traffic.Tests;

public sealed class SimulatorTests
{
    private const string Vehicle = """{"length":5,"width":2,"maxPosAcc":2,"maxNegAcc":4.5,"usualPosAcc":2,"usualNegAcc":4.5,"minGap":2.5,"maxSpeed":11.111,"headwayTime":2}""";

    private static (RoadNetwork Network, Demand Demand) OneVehicle(params string[] route)
    {
        var network = CityFlowReader.ReadRoadNetwork(new MemoryStream(Encoding.UTF8.GetBytes(GridCity.Generate(1, 1, 0).Roadnet)), "roadnet.json");
        var flow = $$"""[{"vehicle":{{Vehicle}},"route":[{{string.Join(',', route.Select(r => $"\"{r}\""))}}],"interval":1,"startTime":0,"endTime":0}]""";
        return (network, CityFlowReader.ReadDemand(new MemoryStream(Encoding.UTF8.GetBytes(flow)), network, "flow.json"));
    }

    [Fact]
    public void Step_VehicleOnGreen_CompletesItsRouteAndLeaves()
    {
        var (network, demand) = OneVehicle("road_0_1_0", "road_1_1_0");
        var simulator = new Simulator(network, demand, horizonSteps: 200, seed: 0);
        var signal = Array.IndexOf(network.IntersectionIds, "intersection_1_1");

        var seenOnExitRoad = false;
        while (simulator.Time < 200 && simulator.FinishedCount == 0)
        {
            simulator.SetPhase(signal, 1); // WT_ET: straight on from the west
            simulator.Step();
            if (simulator.RunningCount == 1)
            {
                var view = simulator.Vehicle(simulator.RunningVehicle(0));
                seenOnExitRoad |= view.Drivable < network.LaneCount && network.LaneRoad[view.Drivable] == network.RoadIndex("road_1_1_0");
            }
        }

        Assert.True(seenOnExitRoad);
        Assert.Equal(1, simulator.FinishedCount);
        Assert.Equal(0, simulator.RunningCount);
        // 285 m + about 15 m across the signal + 285 m at up to 11.1 m/s from standstill: a little over 53 s.
        var metrics = simulator.Metrics();
        Assert.InRange(metrics.EngineTravelTime, 53, 60);
        Assert.Equal(1, metrics.Finished);
    }

    [Fact]
    public void Step_VehicleOnRed_StopsBeforeTheStopLine()
    {
        var (network, demand) = OneVehicle("road_0_1_0", "road_1_1_0");
        var simulator = new Simulator(network, demand, horizonSteps: 200, seed: 0);
        var signal = Array.IndexOf(network.IntersectionIds, "intersection_1_1");

        for (var step = 0; step < 120; step++)
        {
            simulator.SetPhase(signal, 2); // NT_ST: the west approach is red
            simulator.Step();
        }

        var view = simulator.Vehicle(simulator.RunningVehicle(0));
        var lane = view.Drivable;
        Assert.True(lane < network.LaneCount, "still on its lane");
        Assert.Equal(network.RoadIndex("road_0_1_0"), network.LaneRoad[lane]);
        Assert.InRange(network.LaneLength[lane] - view.Distance, 0, 5);
        Assert.Equal(0, view.Speed, 3);
        Assert.Equal((1, 1), simulator.LaneCounts(lane));
        Assert.Equal(2, simulator.PhaseOf(signal));
    }

    [Fact]
    public void Step_RightTurnOnRed_GoesAsInCityFlow()
    {
        var (network, demand) = OneVehicle("road_0_1_0", "road_1_1_3");
        var simulator = new Simulator(network, demand, horizonSteps: 200, seed: 0);
        var signal = Array.IndexOf(network.IntersectionIds, "intersection_1_1");

        while (simulator.Time < 200 && simulator.FinishedCount == 0)
        {
            simulator.SetPhase(signal, 2); // red for the west approach's straight and left, but right turns are in every phase
            simulator.Step();
        }

        Assert.Equal(1, simulator.FinishedCount);
    }

    [Fact]
    public void Run_SameSeed_GivesTheSameRunVehicleByVehicle()
    {
        var (network, demand) = GridCity.Build(rows: 2, columns: 2, vehicles: 600, seconds: 300, seed: 7);

        var first = new Simulator(network, demand, 300, seed: 3);
        var second = new Simulator(network, demand, 300, seed: 3);
        var controller1 = new MaxPressureController();
        var controller2 = new MaxPressureController();
        for (var step = 0; step < 300; step++)
        {
            controller1.Act(first);
            first.Step();
            controller2.Act(second);
            second.Step();
        }

        Assert.Equal(first.Metrics(), second.Metrics());
        Assert.Equal(first.RunningCount, second.RunningCount);
        for (var slot = 0; slot < first.RunningCount; slot++)
        {
            Assert.Equal(first.Vehicle(first.RunningVehicle(slot)), second.Vehicle(second.RunningVehicle(slot)));
        }
        Assert.True(first.FinishedCount > 100, $"{first.FinishedCount} finished");
    }

    [Fact]
    public void Step_BusyGrid_AllocatesNothing()
    {
        var (network, demand) = GridCity.Build(rows: 3, columns: 3, vehicles: 2000, seconds: 600, seed: 5);
        var simulator = new Simulator(network, demand, 600, seed: 0);
        var controller = new MaxPressureController();
        for (var step = 0; step < 100; step++)
        {
            controller.Act(simulator);
            simulator.Step();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var step = 100; step < 400; step++)
        {
            controller.Act(simulator);
            simulator.Step();
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(simulator.RunningCount > 50, $"{simulator.RunningCount} running");
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Run_TwoThreads_GivesTheSameFiguresAsOne()
    {
        var (network, demand) = GridCity.Build(rows: 2, columns: 2, vehicles: 1500, seconds: 400, seed: 1);

        var one = TrafficRun.Run(network, demand, "maxpressure", steps: 400, seed: 0, threads: 1);
        var two = TrafficRun.Run(network, demand, "maxpressure", steps: 400, seed: 0, threads: 2);

        Assert.Equal(one with { WallSeconds = 0 }, two with { WallSeconds = 0 });
    }

    [Fact]
    public void Run_CongestedSmallGrid_MaxPressureBeatsFixedTime()
    {
        // 2,400 vehicles an hour into a 2x2 grid, 10 minutes: queues form under fixed time.
        var (network, demand) = GridCity.Build(rows: 2, columns: 2, vehicles: 400, seconds: 600, seed: 11);

        var fixedTime = TrafficRun.Run(network, demand, "fixed", steps: 900);
        var maxPressure = TrafficRun.Run(network, demand, "maxpressure", steps: 900);
        var best = TrafficRun.Run(network, demand, "best", steps: 900);

        Assert.True(maxPressure.AverageTravelTime < fixedTime.AverageTravelTime * 0.9,
            $"max-pressure {maxPressure.AverageTravelTime:F1} s against fixed {fixedTime.AverageTravelTime:F1} s");
        Assert.True(maxPressure.Throughput >= fixedTime.Throughput);
        Assert.True(best.AverageTravelTime < fixedTime.AverageTravelTime * 0.9,
            $"best {best.AverageTravelTime:F1} s against fixed {fixedTime.AverageTravelTime:F1} s");
    }

    [Fact]
    public void Run_UnknownController_IsRefusedBeforeSimulating()
    {
        var (network, demand) = GridCity.Build(1, 1, 10, 60);

        var error = Assert.Throws<ArgumentException>(() => TrafficRun.Run(network, demand, "greenwave"));

        Assert.Contains("unknown controller 'greenwave'", error.Message, StringComparison.Ordinal);
    }
}

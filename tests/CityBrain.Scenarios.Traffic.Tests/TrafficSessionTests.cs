using System.Text;
using CityBrain.Scenarios.Traffic.Live;
using CityBrain.Scenarios.Traffic.Network;

namespace CityBrain.Scenarios.Traffic.Tests;

public sealed class TrafficSessionTests
{
    private static (RoadNetwork Network, Demand Demand) Grid(int vehicles = 400)
    {
        var (roadnet, flow) = GridCity.Generate(2, 2, vehicles, seconds: 300, seed: 1);
        var network = CityFlowReader.ReadRoadNetwork(new MemoryStream(Encoding.UTF8.GetBytes(roadnet)), "roadnet.json");
        return (network, CityFlowReader.ReadDemand(new MemoryStream(Encoding.UTF8.GetBytes(flow)), network, "flow.json"));
    }

    [Fact]
    public void Step_WholeHorizon_SameFiguresAsABatchRun()
    {
        var (network, demand) = Grid();
        var session = new TrafficSession(network, demand, "maxpressure", steps: 300, seed: 3);

        while (!session.Finished)
        {
            session.Step();
        }

        var batch = TrafficRun.Run(network, demand, "maxpressure", 300, 3);
        var figures = session.Frame().Figures;
        Assert.Equal(300, session.Time);
        Assert.Equal(batch.Throughput, figures.Finished);
        Assert.Equal(batch.AverageTravelTime, figures.AverageTravelTime, 6);
        Assert.Equal(batch.AverageQueue, figures.AverageQueue, 6);
    }

    [Fact]
    public void Frame_MidRun_VehiclesLieOnTheMapAndLanesCountThem()
    {
        var (network, demand) = Grid();
        var session = new TrafficSession(network, demand, "fixed", steps: 300);
        for (var step = 0; step < 120; step++)
        {
            session.Step();
        }
        // Out of the yellow, so that every signal shows a green movement and red ones.
        while (session.Frame().SignalPhases.Contains(0))
        {
            session.Step();
        }

        var frame = session.Frame();
        var map = session.Map;

        Assert.Equal(4, map.Signals.Count);
        Assert.Equal(map.Signals.Count, frame.SignalPhases.Length);
        Assert.Equal(map.Lanes.Count, frame.LaneVehicles.Length);
        Assert.True(frame.Figures.Running > 0, "vehicles on the roads after two minutes");
        Assert.Equal(frame.Figures.Running * 3, frame.Vehicles.Length);
        Assert.InRange(frame.LaneVehicles.Sum(), 1, frame.Figures.Running);
        for (var v = 0; v < frame.Figures.Running; v++)
        {
            Assert.InRange(frame.Vehicles[3 * v], map.MinX - 50, map.MaxX + 50);
            Assert.InRange(frame.Vehicles[3 * v + 1], map.MinY - 50, map.MaxY + 50);
            Assert.InRange(frame.Vehicles[3 * v + 2], 0, 20);
        }
        Assert.All(frame.LaneWaiting.Zip(frame.LaneVehicles), pair => Assert.InRange(pair.First, 0, pair.Second));
        Assert.Contains(frame.LaneLights, light => light == LaneLight.Green);
        Assert.Contains(frame.LaneLights, light => light == LaneLight.Red);
        Assert.Equal(frame.LaneWaiting.Where((_, lane) => frame.LaneLights[lane] != LaneLight.None).Sum(), frame.Figures.Waiting);
    }

    [Fact]
    public void SwitchController_MidRun_SignalsKeepTheirPhaseAndTheRunGoesOn()
    {
        var (network, demand) = Grid();
        var session = new TrafficSession(network, demand, "plan", steps: 300);
        for (var step = 0; step < 100; step++)
        {
            session.Step();
        }
        var before = session.Frame();

        session.SwitchController("best");
        var after = session.Frame();
        while (!session.Finished)
        {
            session.Step();
        }

        Assert.Equal("best", after.Controller);
        Assert.Equal(before.SignalPhases, after.SignalPhases);
        Assert.Equal(before.Figures.Finished, after.Figures.Finished);
        Assert.True(session.Frame().Figures.Finished > before.Figures.Finished, "vehicles go on finishing under the new controller");
    }

    [Fact]
    public void SwitchController_UnknownName_SaysWhichNamesExist()
    {
        var (network, demand) = Grid(10);
        var session = new TrafficSession(network, demand, "plan", steps: 10);

        var error = Assert.Throws<ArgumentException>(() => session.SwitchController("greedy"));

        Assert.Contains("greedy", error.Message, StringComparison.Ordinal);
        Assert.Contains("maxpressure", error.Message, StringComparison.Ordinal);
        Assert.Equal("plan", session.Controller);
    }

    [Fact]
    public void Map_Grid_DrawnToScaleInMetres()
    {
        var (network, demand) = Grid(10);
        var map = new TrafficSession(network, demand, "plan", steps: 10).Map;

        // Two columns of 300 m roads: the signals lie 300 m apart, the lanes span them and the roads beyond.
        var xs = map.Signals.Select(s => s.X).Distinct().Order().ToArray();
        Assert.Equal(2, xs.Length);
        Assert.Equal(300, xs[1] - xs[0], 1);
        Assert.True(map.MaxX - map.MinX >= 300, "the map spans the roads");
        Assert.All(map.Lanes, lane => Assert.True(lane.Points.Length >= 4 && lane.Points.Length % 2 == 0, "a polyline of points"));
        Assert.All(map.Signals, signal => Assert.Equal("yellow", signal.PhaseNames[0]));
        Assert.Equal(network.RoadIds.Length, map.Lanes.Select(l => l.Road).Distinct().Count());
    }
}

using System.Text;
using CityBrain.Scenarios.Traffic.Live;
using CityBrain.Scenarios.Traffic.Network;
using CityBrain.Scenarios.Traffic.Simulation;

namespace CityBrain.Scenarios.Traffic.Tests;

public sealed class RoadDetectorsTests
{
    private const string Vehicle = """{"length":5,"width":2,"maxPosAcc":2,"maxNegAcc":4.5,"usualPosAcc":2,"usualNegAcc":4.5,"minGap":2.5,"maxSpeed":11.111,"headwayTime":2}""";

    /// <summary>One signal, four approaches of 300 m; vehicles from the west going straight on east, released at the given seconds.</summary>
    private static (RoadNetwork Network, Demand Demand) WestToEast(params int[] releases)
    {
        var network = CityFlowReader.ReadRoadNetwork(new MemoryStream(Encoding.UTF8.GetBytes(GridCity.Generate(1, 1, 0).Roadnet)), "roadnet.json");
        var flows = releases.Select(t => $$"""{"vehicle":{{Vehicle}},"route":["road_0_1_0","road_1_1_0"],"interval":1,"startTime":{{t}},"endTime":{{t}}}""");
        return (network, CityFlowReader.ReadDemand(new MemoryStream(Encoding.UTF8.GetBytes($"[{string.Join(',', flows)}]")), network, "flow.json"));
    }

    private static int Signal(RoadNetwork network) => Array.IndexOf(network.IntersectionIds, "intersection_1_1");

    /// <summary>Steps the simulator under one phase, sampling the detectors after each step as the session does.</summary>
    private static void Run(Simulator simulator, RoadDetectors detectors, int phase, int seconds, Action? afterStep = null)
    {
        for (var second = 0; second < seconds; second++)
        {
            simulator.SetPhase(Signal(simulator.Network), phase);
            simulator.Step();
            detectors.Sample(simulator);
            afterStep?.Invoke();
        }
    }

    [Fact]
    public void Close_TwoVehiclesThroughAGreenSignal_CountsThemAndTheirMeanSpeed()
    {
        var (network, demand) = WestToEast(0, 1);
        var simulator = new Simulator(network, demand, horizonSteps: 120, seed: 0);
        var detectors = new RoadDetectors(network);
        var west = network.RoadIndex("road_0_1_0");
        var east = network.RoadIndex("road_1_1_0");
        // The expected mean speed, read from the vehicles themselves: those on the west road after each second of the minute.
        var (speedSum, vehicleSeconds) = (0.0, 0);
        void Observe()
        {
            for (var slot = 0; slot < simulator.RunningCount; slot++)
            {
                var vehicle = simulator.Vehicle(simulator.RunningVehicle(slot));
                if (vehicle.Drivable < network.LaneCount && network.LaneRoad[vehicle.Drivable] == west)
                {
                    speedSum += vehicle.Speed;
                    vehicleSeconds++;
                }
            }
        }

        Run(simulator, detectors, phase: 1, seconds: 60, Observe); // WT_ET: the west approach is green
        var minute = detectors.Close(simulator);

        Assert.Equal((0, 60), (minute.From, minute.To));
        Assert.Equal("road_0_1_0", detectors.Sites[west].Road);
        // Both crossed the stop line (300 m from standstill takes about 30 s) and reached the end of the east road (about 55 s).
        Assert.Equal(2, minute.Readings[west].Intensity);
        Assert.Equal(2, minute.Readings[east].Intensity);
        Assert.True(vehicleSeconds > 40, $"{vehicleSeconds} vehicle-seconds on the west road");
        Assert.Equal(speedSum / vehicleSeconds, minute.Readings[west].AverageSpeed!.Value, 9);
        Assert.InRange(minute.Readings[west].AverageSpeed!.Value, 5, 11.111);
        Assert.False(minute.Readings[west].Congested);
        // Every other road saw nothing.
        Assert.All(Enumerable.Range(0, network.RoadCount).Where(r => r != west && r != east),
            r => Assert.Equal(new DetectorReading(0, null, 0, false), minute.Readings[r]));

        // The next minute starts from zero: the vehicles have gone.
        Run(simulator, detectors, phase: 1, seconds: 60);
        var next = detectors.Close(simulator);
        Assert.Equal((60, 120), (next.From, next.To));
        Assert.All(next.Readings, r => Assert.Equal(new DetectorReading(0, null, 0, false), r));
    }

    [Fact]
    public void Close_VehicleHeldAtRed_NoneThroughCongestedAndItsLoopCovered()
    {
        var (network, demand) = WestToEast(0);
        var simulator = new Simulator(network, demand, horizonSteps: 60, seed: 0);
        var detectors = new RoadDetectors(network);
        var west = network.RoadIndex("road_0_1_0");
        var secondsOnLoop = 0;

        Run(simulator, detectors, phase: 2, seconds: 60, () => // NT_ST: the west approach is red
        {
            var vehicle = simulator.Vehicle(simulator.RunningVehicle(0));
            secondsOnLoop += network.LaneLength[vehicle.Drivable] - vehicle.Distance <= RoadDetectors.LoopLength ? 1 : 0;
        });
        var reading = detectors.Close(simulator).Readings[west];

        Assert.Equal(0, reading.Intensity);
        Assert.True(reading.Congested, $"mean speed {reading.AverageSpeed} m/s");
        // It drives about 30 s to the stop line and waits there the rest of the minute, on one of the road's three lanes.
        Assert.InRange(secondsOnLoop, 20, 40);
        Assert.Equal(secondsOnLoop / (60.0 * 3), reading.Occupancy, 9);
    }

    [Fact]
    public void Step_MinuteBoundaries_ReadingsOnlyAfterEachSimulatedMinute()
    {
        var (roadnet, flow) = GridCity.Generate(2, 2, 400, seconds: 300, seed: 1);
        var network = CityFlowReader.ReadRoadNetwork(new MemoryStream(Encoding.UTF8.GetBytes(roadnet)), "roadnet.json");
        var session = new TrafficSession(network, CityFlowReader.ReadDemand(new MemoryStream(Encoding.UTF8.GetBytes(flow)), network, "flow.json"), "maxpressure", steps: 150);
        var minutes = new List<DetectorMinute>();

        while (!session.Finished)
        {
            session.Step();
            if (session.MinuteJustEnded is { } minute)
            {
                Assert.Equal(session.Time, minute.To);
                minutes.Add(minute);
            }
        }
        session.Step();

        // Two whole minutes in 150 s; the last 30 s are not a minute. Vehicles went through in both.
        Assert.Equal([(0, 60), (60, 120)], minutes.Select(m => (m.From, m.To)));
        Assert.All(minutes, m => Assert.Equal(session.Detectors.Count, m.Readings.Count));
        Assert.All(minutes, m => Assert.True(m.Readings.Sum(r => r.Intensity) > 0));
        Assert.Null(session.MinuteJustEnded);
    }

    [Fact]
    public void ToLonLat_KilometreEastAndNorth_AKilometreAwayOnTheGround()
    {
        var anchor = GeoAnchor.Gudang;

        var (lon, lat) = anchor.ToLonLat(1000, 1000);

        // Haversine on a sphere of the mean radius: within 0.5 % of the local plane's distance for a point this close.
        static double Radians(double degrees) => degrees * Math.PI / 180;
        var dLat = Radians(lat - anchor.Latitude);
        var dLon = Radians(lon - anchor.Longitude);
        var a = Math.Pow(Math.Sin(dLat / 2), 2) + Math.Cos(Radians(anchor.Latitude)) * Math.Cos(Radians(lat)) * Math.Pow(Math.Sin(dLon / 2), 2);
        var metres = 2 * 6_371_008.8 * Math.Asin(Math.Sqrt(a));
        Assert.InRange(metres, Math.Sqrt(2) * 1000 * 0.995, Math.Sqrt(2) * 1000 * 1.005);
        Assert.True(lon > anchor.Longitude && lat > anchor.Latitude);
        // A degree of latitude is 110.857 km at 30.28° N, a degree of longitude 96.212 km (to 0.1 m on a kilometre).
        Assert.Equal(1000 / 110_857.0, lat - anchor.Latitude, 1e-6);
        Assert.Equal(1000 / 96_212.0, lon - anchor.Longitude, 1e-6);
        Assert.Equal((anchor.Longitude, anchor.Latitude), anchor.ToLonLat(0, 0));
    }
}

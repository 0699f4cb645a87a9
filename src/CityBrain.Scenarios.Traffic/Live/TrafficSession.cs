using CityBrain.Scenarios.Traffic.Control;
using CityBrain.Scenarios.Traffic.Network;
using CityBrain.Scenarios.Traffic.Simulation;

namespace CityBrain.Scenarios.Traffic.Live;

/// <summary>
/// A simulation to watch: stepped by its owner, its controller switched mid-run (the new controller takes over from the
/// signals as they are), its state read as a <see cref="TrafficFrame"/> at any step. Not thread-safe: one owner steps it
/// and reads it.
/// </summary>
public sealed class TrafficSession
{
    private readonly Simulator _simulator;
    private readonly RoadNetwork _network;
    private readonly int[] _signals;
    private readonly int[] _enteringLanes;
    // Per drivable: cumulative length at each point of its polyline, to place a vehicle by its distance along it.
    private readonly double[][] _cumulative;
    private readonly RoadDetectors _detectors;
    private ISignalController _controller;

    public TrafficSession(RoadNetwork network, Demand demand, string controller, int steps = 3600, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(demand);
        _network = network;
        _controller = TrafficRun.CreateController(controller);
        Controller = controller;
        _simulator = new Simulator(network, demand, steps, seed);
        _signals = [.. Enumerable.Range(0, network.IntersectionCount).Where(i => !network.IntersectionVirtual[i])];
        _enteringLanes = [.. Enumerable.Range(0, network.LaneCount).Where(network.IsEnteringLane)];
        _cumulative = new double[network.DrivableCount][];
        for (var d = 0; d < network.DrivableCount; d++)
        {
            _cumulative[d] = Cumulative(Points(d));
        }
        Map = TrafficMap.Of(network, _signals);
        _detectors = new RoadDetectors(network);
    }

    public TrafficMap Map { get; }
    public string Controller { get; private set; }
    /// <summary>Simulated seconds so far.</summary>
    public int Time => _simulator.Time;
    public int Steps => _simulator.HorizonSteps;
    public bool Finished => _simulator.Time >= _simulator.HorizonSteps;

    /// <summary>The road detectors, one per road, in the order of each <see cref="DetectorMinute"/>'s readings.</summary>
    public IReadOnlyList<DetectorSite> Detectors => _detectors.Sites;

    /// <summary>
    /// The detectors' readings of the simulated minute that the last <see cref="Step"/> completed; null after any other step.
    /// A last minute cut short by the horizon is not read.
    /// </summary>
    public DetectorMinute? MinuteJustEnded { get; private set; }

    /// <summary>From the next step on, the signals follow <paramref name="controller"/> (plan, fixed, sotl, maxpressure, best).</summary>
    public void SwitchController(string controller)
    {
        _controller = TrafficRun.CreateController(controller);
        Controller = controller;
    }

    /// <summary>One simulated second: the controller sets the signals, then the vehicles move. Nothing once finished.</summary>
    public void Step()
    {
        if (Finished)
        {
            MinuteJustEnded = null;
            return;
        }
        _controller.Act(_simulator);
        _simulator.Step();
        _detectors.Sample(_simulator);
        MinuteJustEnded = _simulator.Time % RoadDetectors.PeriodSeconds == 0 ? _detectors.Close(_simulator) : null;
    }

    /// <summary>The run's figures so far, as <see cref="TrafficRun.Run"/> reports them; <paramref name="wallSeconds"/> is the caller's measure of its stepping.</summary>
    public TrafficRunResult Result(double wallSeconds) => TrafficRun.ResultOf(Controller, _simulator.Metrics(), wallSeconds);

    /// <summary>What the map shows now: each signal's phase, each lane's vehicles, queue and light, each vehicle's place.</summary>
    public TrafficFrame Frame()
    {
        var net = _network;
        var phases = new int[_signals.Length];
        for (var s = 0; s < _signals.Length; s++)
        {
            phases[s] = _simulator.PhaseOf(_signals[s]);
        }
        var laneVehicles = new int[net.LaneCount];
        var laneWaiting = new int[net.LaneCount];
        var laneLight = new int[net.LaneCount];
        for (var lane = 0; lane < net.LaneCount; lane++)
        {
            (laneVehicles[lane], laneWaiting[lane]) = _simulator.LaneCounts(lane);
            laneLight[lane] = Light(lane);
        }
        var waiting = 0;
        foreach (var lane in _enteringLanes)
        {
            waiting += laneWaiting[lane];
        }

        var running = _simulator.RunningCount;
        var vehicles = new float[running * 3];
        for (var slot = 0; slot < running; slot++)
        {
            var vehicle = _simulator.Vehicle(_simulator.RunningVehicle(slot));
            var (x, y) = Place(vehicle.Drivable, vehicle.Distance);
            vehicles[3 * slot] = (float)Math.Round(x, 1);
            vehicles[3 * slot + 1] = (float)Math.Round(y, 1);
            vehicles[3 * slot + 2] = (float)Math.Round(vehicle.Speed, 1);
        }

        var metrics = _simulator.Metrics();
        var figures = new LiveFigures(metrics.Released, running, waiting, metrics.Finished, metrics.EngineTravelTime, metrics.PaperTravelTime,
            metrics.AverageQueue, metrics.CongestionIndex);
        return new TrafficFrame(Time, Steps, Controller, phases, laneVehicles, laneWaiting, laneLight, vehicles, figures);
    }

    /// <summary>The light a lane's vehicles face: green when one of its movements is open, amber in the yellow phase, else red.</summary>
    private int Light(int lane)
    {
        var net = _network;
        var first = net.LaneLinkStart[lane];
        var last = net.LaneLinkStart[lane + 1];
        if (first == last || !net.IsEnteringLane(lane))
        {
            return LaneLight.None;
        }
        for (var k = first; k < last; k++)
        {
            if (_simulator.IsOpen(net.LinkRoadLink[net.LaneLinks[k]]))
            {
                return LaneLight.Green;
            }
        }
        var intersection = net.RoadEndIntersection[net.LaneRoad[lane]];
        return _simulator.PhaseOf(intersection) == RoadNetwork.YellowPhase ? LaneLight.Amber : LaneLight.Red;
    }

    private double[] Points(int drivable) =>
        drivable < _network.LaneCount ? _network.LanePoints[drivable] : _network.LinkPoints[drivable - _network.LaneCount];

    private (double X, double Y) Place(int drivable, double distance)
    {
        var points = Points(drivable);
        var cumulative = _cumulative[drivable];
        var j = 1;
        while (j < cumulative.Length - 1 && cumulative[j] < distance)
        {
            j++;
        }
        var span = cumulative[j] - cumulative[j - 1];
        var t = span <= 0 ? 0 : Math.Clamp((distance - cumulative[j - 1]) / span, 0, 1);
        return (points[2 * j - 2] + (points[2 * j] - points[2 * j - 2]) * t, points[2 * j - 1] + (points[2 * j + 1] - points[2 * j - 1]) * t);
    }

    private static double[] Cumulative(double[] points)
    {
        var n = points.Length / 2;
        var cumulative = new double[n];
        for (var j = 1; j < n; j++)
        {
            var dx = points[2 * j] - points[2 * j - 2];
            var dy = points[2 * j + 1] - points[2 * j - 1];
            cumulative[j] = cumulative[j - 1] + Math.Sqrt(dx * dx + dy * dy);
        }
        return cumulative;
    }
}

/// <summary>The light a lane faces in a <see cref="TrafficFrame"/>: none (it does not end at a signal), green, amber, red.</summary>
public static class LaneLight
{
    public const int None = 0;
    public const int Green = 1;
    public const int Amber = 2;
    public const int Red = 3;
}

/// <summary>
/// One moment of a <see cref="TrafficSession"/>. Per signal (in <see cref="TrafficMap.Signals"/> order) its phase; per lane
/// (in <see cref="TrafficMap.Lanes"/> order) its vehicles, those waiting and its <see cref="LaneLight"/>; per running vehicle
/// x, y (m) and speed (m/s) in <see cref="Vehicles"/>, three numbers each.
/// </summary>
public sealed record TrafficFrame(
    int Time, int Steps, string Controller, int[] SignalPhases, int[] LaneVehicles, int[] LaneWaiting, int[] LaneLights, float[] Vehicles,
    LiveFigures Figures);

/// <summary>
/// The run so far: vehicles released, running now, waiting now on the lanes entering signals (the queue), through; the
/// engine and paper ATT, average queue and congestion index as <see cref="TrafficRunResult"/> defines them, to this step.
/// </summary>
public sealed record LiveFigures(
    int Released, int Running, int Waiting, int Finished, double AverageTravelTime, double PaperTravelTime, double AverageQueue, double CongestionIndex);

/// <summary>
/// The network to scale, in metres as the roadnet gives them: every lane's polyline (cut back at intersections), every
/// lane link's curve across its intersection, and the signals with the names of their phases.
/// </summary>
public sealed record TrafficMap(double MinX, double MinY, double MaxX, double MaxY, IReadOnlyList<MapLane> Lanes, IReadOnlyList<float[]> Links,
    IReadOnlyList<MapSignal> Signals)
{
    internal static TrafficMap Of(RoadNetwork network, int[] signals)
    {
        var lanes = new MapLane[network.LaneCount];
        double minX = double.MaxValue, minY = double.MaxValue, maxX = double.MinValue, maxY = double.MinValue;
        for (var lane = 0; lane < network.LaneCount; lane++)
        {
            var points = network.LanePoints[lane];
            for (var j = 0; j < points.Length; j += 2)
            {
                minX = Math.Min(minX, points[j]);
                maxX = Math.Max(maxX, points[j]);
                minY = Math.Min(minY, points[j + 1]);
                maxY = Math.Max(maxY, points[j + 1]);
            }
            var road = network.LaneRoad[lane];
            lanes[lane] = new MapLane(network.RoadIds[road], network.LaneIndexInRoad[lane], Floats(points), network.LaneWidth[lane]);
        }
        var links = network.LinkPoints.Select(Floats).ToArray();
        var mapSignals = signals.Select(i => new MapSignal(network.IntersectionIds[i], network.IntersectionX[i], network.IntersectionY[i],
            [.. Enumerable.Range(0, network.Phases[i].Length).Select(p => PhaseName(network.Phases[i].Length, p))])).ToArray();
        return new TrafficMap(minX, minY, maxX, maxY, lanes, links, mapSignals);
    }

    /// <summary>Phase 0 is the yellow; with the standard nine phases, 1-4 are the four the papers control.</summary>
    private static string PhaseName(int count, int phase) => (count >= 5, phase) switch
    {
        (_, RoadNetwork.YellowPhase) when count > 1 => "yellow",
        (true, 1) => "WT_ET",
        (true, 2) => "NT_ST",
        (true, 3) => "WL_EL",
        (true, 4) => "NL_SL",
        _ => $"phase {phase}",
    };

    private static float[] Floats(double[] points) => [.. points.Select(p => (float)Math.Round(p, 1))];
}

/// <summary>A lane: its road, its index in the road (0 nearest the centre line), its polyline x0, y0, x1, y1, ... and width (m).</summary>
public sealed record MapLane(string Road, int Index, float[] Points, double Width);

/// <summary>A signalised intersection: its id, centre (m) and the names of its phases (index = phase).</summary>
public sealed record MapSignal(string Id, double X, double Y, IReadOnlyList<string> PhaseNames);

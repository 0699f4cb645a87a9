using CityBrain.Scenarios.Traffic.Network;
using CityBrain.Scenarios.Traffic.Simulation;

namespace CityBrain.Scenarios.Traffic.Control;

/// <summary>Sets the signals before each simulation step.</summary>
internal interface ISignalController
{
    void Act(Simulator simulator);
}

/// <summary>The roadnet's own plan: every phase for its duration, in turn, as CityFlow runs a roadnet without RL control.</summary>
internal sealed class PlanController : ISignalController
{
    private double[] _remaining = [];

    public void Act(Simulator simulator)
    {
        var net = simulator.Network;
        if (_remaining.Length == 0)
        {
            _remaining = new double[net.IntersectionCount];
            for (var i = 0; i < net.IntersectionCount; i++)
            {
                // From the phase the signal shows now: phase 0 on a fresh run, another when this plan takes over mid-run.
                _remaining[i] = net.IntersectionVirtual[i] ? 0 : net.Phases[i][simulator.PhaseOf(i)].Duration;
            }
            return;
        }
        for (var i = 0; i < net.IntersectionCount; i++)
        {
            if (net.IntersectionVirtual[i])
            {
                continue;
            }
            // CityFlow's TrafficLight::passTime after each step.
            _remaining[i] -= 1;
            while (_remaining[i] <= 0)
            {
                var phase = (simulator.PhaseOf(i) + 1) % net.Phases[i].Length;
                simulator.SetPhase(i, phase);
                _remaining[i] += Math.Max(net.Phases[i][phase].Duration, 1);
            }
        }
    }
}

/// <summary>The papers' fixed time as CityFlow was measured in REFERENCE.md: each controlled phase 25 s green then 5 s yellow, in turn.</summary>
internal sealed class FixedTimeController(int green = 25, int yellow = 5) : ISignalController
{
    public void Act(Simulator simulator)
    {
        var net = simulator.Network;
        var cycle = green + yellow;
        for (var i = 0; i < net.IntersectionCount; i++)
        {
            if (net.IntersectionVirtual[i])
            {
                continue;
            }
            var phases = SignalLayout.ControlledPhases(net, i);
            var position = simulator.Time % (cycle * phases.Length);
            var phase = position % cycle < green ? phases[position / cycle] : RoadNetwork.YellowPhase;
            if (simulator.PhaseOf(i) != phase)
            {
                simulator.SetPhase(i, phase);
            }
        }
    }
}

/// <summary>
/// The protocol of the literature: a decision every 15 s per intersection; a change of phase spends the first 5 s of the
/// interval in yellow (roadnet phase 0). Subclasses choose the phase from the lane counts at the decision.
/// </summary>
internal abstract class ActionIntervalController : ISignalController
{
    public const int ActionInterval = 15;
    public const int YellowTime = 5;

    private int[] _green = [];
    private int[] _pending = [];
    private int _switchAt = -1;
    private int[] _laneVehicles = [];
    private int[] _laneWaiting = [];

    protected SignalLayout Layout { get; private set; } = null!;
    protected ReadOnlySpan<int> LaneVehicles => _laneVehicles;
    protected ReadOnlySpan<int> LaneWaiting => _laneWaiting;

    public void Act(Simulator simulator)
    {
        var net = simulator.Network;
        if (_green.Length == 0)
        {
            Layout = new SignalLayout(net);
            _green = new int[net.IntersectionCount];
            _pending = new int[net.IntersectionCount];
            _laneVehicles = new int[net.LaneCount];
            _laneWaiting = new int[net.LaneCount];
            // The phases the signals show now: all yellow on a fresh run, another controller's when this one takes over mid-run.
            foreach (var i in Layout.Signals)
            {
                _green[i] = simulator.PhaseOf(i);
                _pending[i] = _green[i];
            }
        }
        if (simulator.Time == _switchAt)
        {
            foreach (var i in Layout.Signals)
            {
                if (_pending[i] != _green[i])
                {
                    _green[i] = _pending[i];
                    simulator.SetPhase(i, _green[i]);
                }
            }
        }
        if (simulator.Time % ActionInterval != 0)
        {
            return;
        }
        for (var lane = 0; lane < net.LaneCount; lane++)
        {
            (_laneVehicles[lane], _laneWaiting[lane]) = simulator.LaneCounts(lane);
        }
        Observe(simulator);
        foreach (var i in Layout.Signals)
        {
            var phases = Layout.Phases[i];
            var current = _green[i] == RoadNetwork.YellowPhase ? -1 : Array.IndexOf(phases, _green[i]);
            var chosen = phases[Choose(simulator, i, current)];
            if (simulator.Time == 0 || chosen == _green[i])
            {
                _green[i] = chosen;
                _pending[i] = chosen;
                simulator.SetPhase(i, chosen);
            }
            else
            {
                _pending[i] = chosen;
                simulator.SetPhase(i, RoadNetwork.YellowPhase);
            }
        }
        _switchAt = simulator.Time + YellowTime;
    }

    /// <summary>Called once per decision before the intersections choose: room for counts beyond lanes.</summary>
    protected virtual void Observe(Simulator simulator)
    {
    }

    /// <summary>The index (into the intersection's controlled phases) of the phase to give green; current is -1 at the start.</summary>
    protected abstract int Choose(Simulator simulator, int intersection, int current);

    /// <summary>Vehicles waiting on the whole of a road.</summary>
    protected int RoadWaiting(RoadNetwork net, int road)
    {
        var sum = 0;
        for (var lane = net.RoadFirstLane[road]; lane < net.RoadFirstLane[road] + net.RoadLaneCount[road]; lane++)
        {
            sum += _laneWaiting[lane];
        }
        return sum;
    }
}

/// <summary>Max-Pressure as REFERENCE.md defines it: per phase, the sum over its movements of waiting on the entering lane minus waiting on the exit road.</summary>
internal sealed class MaxPressureController : ActionIntervalController
{
    protected override int Choose(Simulator simulator, int intersection, int current)
    {
        var net = simulator.Network;
        var best = 0;
        var bestPressure = double.NegativeInfinity;
        var movements = Layout.Movements[intersection];
        for (var p = 0; p < movements.Length; p++)
        {
            var pressure = 0.0;
            foreach (var (lane, exitRoad) in movements[p])
            {
                pressure += LaneWaiting[lane] - RoadWaiting(net, exitRoad);
            }
            if (pressure > bestPressure)
            {
                bestPressure = pressure;
                best = p;
            }
        }
        return best;
    }
}

/// <summary>
/// Self-organising traffic lights (Cools et al.), at the protocol's 15 s decisions: keep the green while vehicles still come
/// close on it; switch when the red approaches have built up enough waiting vehicles, to the phase that has most.
/// </summary>
internal sealed class SotlController(int switchThreshold = 4, int keepThreshold = 2, double nearDistance = 60) : ActionIntervalController
{
    private int[] _near = [];

    protected override void Observe(Simulator simulator)
    {
        var net = simulator.Network;
        if (_near.Length == 0)
        {
            _near = new int[net.LaneCount];
        }
        for (var lane = 0; lane < net.LaneCount; lane++)
        {
            _near[lane] = simulator.LaneApproaching(lane, nearDistance);
        }
    }

    protected override int Choose(Simulator simulator, int intersection, int current)
    {
        var movements = Layout.Movements[intersection];
        var most = 0;
        var mostWaiting = -1;
        for (var p = 0; p < movements.Length; p++)
        {
            var waiting = 0;
            foreach (var (lane, _) in movements[p])
            {
                waiting += LaneWaiting[lane];
            }
            if (p != current && waiting > mostWaiting)
            {
                mostWaiting = waiting;
                most = p;
            }
        }
        if (current < 0)
        {
            return most;
        }
        var stillComing = 0;
        foreach (var (lane, _) in movements[current])
        {
            stillComing += _near[lane];
        }
        return mostWaiting >= switchThreshold && stillComing <= keepThreshold ? most : current;
    }
}

/// <summary>Which phases a signal's controller chooses from and which movements each phase serves.</summary>
internal sealed class SignalLayout
{
    public SignalLayout(RoadNetwork net)
    {
        Signals = [.. Enumerable.Range(0, net.IntersectionCount).Where(i => !net.IntersectionVirtual[i])];
        Phases = new int[net.IntersectionCount][];
        Movements = new (int Lane, int ExitRoad)[net.IntersectionCount][][];
        var linksOf = Enumerable.Range(0, net.LinkCount).ToLookup(link => net.LinkRoadLink[link]);
        foreach (var i in Signals)
        {
            Phases[i] = ControlledPhases(net, i);
            Movements[i] = new (int, int)[Phases[i].Length][];
            for (var p = 0; p < Phases[i].Length; p++)
            {
                var opens = net.Phases[i][Phases[i][p]].Opens;
                var movements = new List<(int, int)>();
                for (var k = 0; k < opens.Length; k++)
                {
                    var roadLink = net.RoadLinkOffset[i] + k;
                    // Right turns are open in every phase: they add the same to each phase and are left out.
                    if (!opens[k] || net.RoadLinkKind[roadLink] == RoadLinkKind.Right)
                    {
                        continue;
                    }
                    foreach (var link in linksOf[roadLink])
                    {
                        if (!movements.Contains((net.LinkStartLane[link], net.RoadLinkEndRoad[roadLink])))
                        {
                            movements.Add((net.LinkStartLane[link], net.RoadLinkEndRoad[roadLink]));
                        }
                    }
                }
                Movements[i][p] = [.. movements];
            }
        }
    }

    public int[] Signals { get; }
    public int[][] Phases { get; }
    /// <summary>Per signal, per controlled phase: its movements as (entering lane, exit road).</summary>
    public (int Lane, int ExitRoad)[][][] Movements { get; }

    /// <summary>Phases 1-4 (WT_ET, NT_ST, WL_EL, NL_SL) when the roadnet has them; otherwise every phase but the yellow one.</summary>
    public static int[] ControlledPhases(RoadNetwork net, int intersection)
    {
        var count = net.Phases[intersection].Length;
        return count >= 5 ? [1, 2, 3, 4] : count == 1 ? [0] : [.. Enumerable.Range(1, count - 1)];
    }
}

using CityBrain.Scenarios.Traffic.Simulation;

namespace CityBrain.Scenarios.Traffic.Control;

/// <summary>
/// Our controller ("best"), under the same protocol as the others (a decision every 15 s, 5 s yellow on a change).
/// Max-Pressure gives green to the largest difference of stopped vehicles, however many of them the green can actually
/// serve. This one gives green to the phase that lets the most vehicles through in the coming interval: on each of its
/// entering lanes, the vehicles waiting plus those moving within reach of the stop line, capped by what one lane
/// discharges in the green that remains (15 s if the phase is kept, 10 s after a yellow). Max-Pressure's own score breaks ties.
/// Tuned on HZ1 and JN1 (docs/traffic.md gives the figures); weights that stayed within 1 s of the best were left round.
/// </summary>
internal sealed class AdaptiveController : ActionIntervalController
{
    /// <summary>Vehicles one lane discharges in a full 15 s green (2 s headway, plus the start-up of the queue).</summary>
    private const double ServedPerInterval = 7.5;
    /// <summary>How far from the stop line a moving vehicle counts as arriving within the interval (11 m/s for about 14 s).</summary>
    private const double ReachDistance = 150;
    /// <summary>A moving vehicle of another phase counts half: it may not arrive before its green ends.</summary>
    private const double ApproachWeight = 0.5;
    private const double TieBreak = 0.01;

    private int[] _approaching = [];

    protected override void Observe(Simulator simulator)
    {
        var net = simulator.Network;
        if (_approaching.Length == 0)
        {
            _approaching = new int[net.LaneCount];
        }
        for (var lane = 0; lane < net.LaneCount; lane++)
        {
            _approaching[lane] = simulator.LaneApproaching(lane, ReachDistance);
        }
    }

    protected override int Choose(Simulator simulator, int intersection, int current)
    {
        var net = simulator.Network;
        var movements = Layout.Movements[intersection];
        var best = 0;
        var bestScore = double.NegativeInfinity;
        for (var p = 0; p < movements.Length; p++)
        {
            var kept = p == current;
            var capacity = kept ? ServedPerInterval : ServedPerInterval * (ActionInterval - YellowTime) / ActionInterval;
            var served = 0.0;
            var pressure = 0.0;
            foreach (var (lane, exitRoad) in movements[p])
            {
                var demand = LaneWaiting[lane] + (kept ? 1 : ApproachWeight) * _approaching[lane];
                served += Math.Min(demand, capacity);
                pressure += LaneWaiting[lane] - RoadWaiting(net, exitRoad);
            }
            var score = served + TieBreak * pressure;
            if (score > bestScore)
            {
                bestScore = score;
                best = p;
            }
        }
        return best;
    }
}

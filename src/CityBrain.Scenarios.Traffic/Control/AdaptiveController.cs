using CityBrain.Scenarios.Traffic.Simulation;

namespace CityBrain.Scenarios.Traffic.Control;

/// <summary>
/// Our controller ("best"), under the same protocol as the others (a decision every 15 s, 5 s yellow on a change).
/// Max-Pressure counts only vehicles already stopped, and switches for any small difference, paying 5 s of yellow each
/// time. This one scores a phase by the vehicles it can serve in the coming interval: those waiting on its entering lanes
/// plus those moving and close enough to reach the stop line within the interval, weighed down when the exit road is
/// filling up (a green into a full road serves nobody); and it keeps the current phase unless another is better by more
/// than what the yellow costs.
/// </summary>
internal sealed class AdaptiveController(double approachWeight = 1.0, double exitWeight = 1.0, double switchCost = 2.0) : ActionIntervalController
{
    /// <summary>A vehicle moving at 11 m/s covers about this much in the 15 s interval.</summary>
    private const double ReachDistance = 150;

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
            var score = 0.0;
            foreach (var (lane, exitRoad) in movements[p])
            {
                var demand = LaneWaiting[lane] + approachWeight * _approaching[lane];
                score += demand - exitWeight * RoadWaiting(net, exitRoad);
            }
            if (p == current)
            {
                score += switchCost;
            }
            if (score > bestScore)
            {
                bestScore = score;
                best = p;
            }
        }
        return best;
    }
}

using CityBrain.Scenarios.Traffic.Network;

namespace CityBrain.Scenarios.Traffic.WhatIf;

/// <summary>Runs the hour as it is and under a restriction, with the same controller and seed, side by side.</summary>
public static class RestrictionWhatIf
{
    public static WhatIfResult Compare(RoadNetwork network, Demand demand, Restriction restriction, string controller = "best", int steps = 3600,
        int seed = 0, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(demand);
        ArgumentNullException.ThrowIfNull(restriction);
        if (restriction.Compliance is < 0 or > 1 || restriction.PeakShiftShare is < 0 or > 1)
        {
            throw new TrafficDataException($"compliance ({restriction.Compliance}) and peak shift share ({restriction.PeakShiftShare}) are shares between 0 and 1");
        }
        var closed = new HashSet<int>();
        foreach (var road in restriction.ClosedRoads)
        {
            var index = network.RoadIndex(road);
            if (index < 0)
            {
                throw new TrafficDataException($"closed road '{road}' does not exist in the roadnet");
            }
            closed.Add(index);
        }

        var (restricted, effect) = Apply(network, demand, restriction, closed, seed);
        var baseline = TrafficRun.Run(network, demand, controller, steps, seed, 1, cancellationToken);
        var scenario = TrafficRun.Run(network, restricted, controller, steps, seed, 1, cancellationToken);
        return new WhatIfResult(baseline, scenario, effect);
    }

    internal static (Demand Demand, RestrictionEffect Effect) Apply(RoadNetwork network, Demand demand, Restriction restriction, HashSet<int> closed, int seed)
    {
        var random = new Random(seed);
        var banned = restriction.BannedTails.TryGetValue(restriction.Day, out var tails) ? tails : [];
        var builder = new DemandBuilder();
        int byTail = 0, shifted = 0, rerouted = 0, cancelled = 0;
        foreach (var flow in demand.Flows)
        {
            // Draws in a fixed order per flow, whether used or not, so that one lever does not change who another picks.
            var tail = random.Next(10);
            var obeys = random.NextDouble() < restriction.Compliance;
            var shifts = random.NextDouble() < restriction.PeakShiftShare;
            var clock = restriction.ClockStart.Add(TimeSpan.FromSeconds(flow.StartTime));
            if (banned.Contains(tail) && obeys && restriction.Windows.Any(w => clock >= w.From && clock < w.To))
            {
                byTail++;
                continue;
            }
            if (shifts)
            {
                shifted++;
                continue;
            }
            var route = flow.Route;
            if (route.Any(closed.Contains))
            {
                if (closed.Contains(route[0]) || closed.Contains(route[^1]) || ShortestOpenRoute(network, route[0], route[^1], closed) is not { } detour)
                {
                    cancelled++;
                    continue;
                }
                route = detour;
                rerouted++;
            }
            builder.AddFlow(flow.Vehicle, route, flow.StartTime, flow.EndTime, flow.Interval);
        }
        return (builder.Build(), new RestrictionEffect(demand.FlowCount, byTail, shifted, rerouted, cancelled));
    }

    /// <summary>Dijkstra over roads by length, avoiding closed roads; null when no open way exists.</summary>
    private static int[]? ShortestOpenRoute(RoadNetwork network, int from, int to, HashSet<int> closed)
    {
        var distance = new double[network.RoadCount];
        var previous = new int[network.RoadCount];
        Array.Fill(distance, double.PositiveInfinity);
        Array.Fill(previous, -1);
        distance[from] = 0;
        var queue = new PriorityQueue<int, double>();
        queue.Enqueue(from, 0);
        var successors = Successors(network);
        while (queue.TryDequeue(out var road, out var d))
        {
            if (d > distance[road])
            {
                continue;
            }
            if (road == to)
            {
                var route = new List<int>();
                for (var r = to; r != -1; r = previous[r])
                {
                    route.Add(r);
                }
                route.Reverse();
                return [.. route];
            }
            foreach (var next in successors[road])
            {
                if (closed.Contains(next))
                {
                    continue;
                }
                var through = d + network.LaneLength[network.RoadFirstLane[next]];
                if (through < distance[next])
                {
                    distance[next] = through;
                    previous[next] = road;
                    queue.Enqueue(next, through);
                }
            }
        }
        return null;
    }

    private static List<int>[] Successors(RoadNetwork network)
    {
        var successors = new List<int>[network.RoadCount];
        for (var r = 0; r < network.RoadCount; r++)
        {
            successors[r] = [];
        }
        for (var k = 0; k < network.RoadLinkStartRoad.Length; k++)
        {
            if (!successors[network.RoadLinkStartRoad[k]].Contains(network.RoadLinkEndRoad[k]))
            {
                successors[network.RoadLinkStartRoad[k]].Add(network.RoadLinkEndRoad[k]);
            }
        }
        return successors;
    }
}

/// <summary>What the restriction did to the demand: trips kept off the road by the tail-number rule, moved out of the peak, rerouted, cancelled.</summary>
public sealed record RestrictionEffect(int Trips, int KeptOffByTailNumber, int MovedOutOfPeak, int Rerouted, int Cancelled);

public sealed record WhatIfResult(TrafficRunResult Baseline, TrafficRunResult Scenario, RestrictionEffect Effect);

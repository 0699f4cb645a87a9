namespace CityBrain.Scenarios.Traffic.Network;

/// <summary>
/// A CityFlow road network compiled to flat arrays: lanes and lane links ("drivables") are numbered so that the simulator
/// walks plain int indices. Drivable d is a lane when d &lt; LaneCount, otherwise lane link d - LaneCount.
/// Built only by <see cref="CityFlowReader"/>, which has checked every reference.
/// </summary>
public sealed class RoadNetwork
{
    internal string[] RoadIds { get; init; } = null!;
    internal int[] RoadStartIntersection { get; init; } = null!;
    internal int[] RoadEndIntersection { get; init; } = null!;
    internal int[] RoadFirstLane { get; init; } = null!;
    internal int[] RoadLaneCount { get; init; } = null!;
    /// <summary>Road polylines as x0, y0, x1, y1, ... (m): with lane widths and intersection points, what a map of the network draws.</summary>
    internal double[][] RoadPoints { get; init; } = null!;

    internal int[] LaneRoad { get; init; } = null!;
    internal int[] LaneIndexInRoad { get; init; } = null!;
    internal double[] LaneLength { get; init; } = null!;
    internal double[] LaneMaxSpeed { get; init; } = null!;
    internal double[] LaneWidth { get; init; } = null!;
    /// <summary>Lane polylines as x0, y0, x1, y1, ... (m), cut back at real intersections: where a vehicle on the lane is drawn.</summary>
    internal double[][] LanePoints { get; init; } = null!;
    /// <summary>Lane links leaving lane l: LaneLinks[LaneLinkStart[l] .. LaneLinkStart[l + 1]).</summary>
    internal int[] LaneLinkStart { get; init; } = null!;
    internal int[] LaneLinks { get; init; } = null!;

    internal int[] LinkStartLane { get; init; } = null!;
    internal int[] LinkEndLane { get; init; } = null!;
    internal double[] LinkLength { get; init; } = null!;
    internal int[] LinkRoadLink { get; init; } = null!;
    /// <summary>Lane link curves as x0, y0, x1, y1, ... (m), the path a vehicle takes across the intersection.</summary>
    internal double[][] LinkPoints { get; init; } = null!;

    internal int[] RoadLinkIntersection { get; init; } = null!;
    internal int[] RoadLinkStartRoad { get; init; } = null!;
    internal int[] RoadLinkEndRoad { get; init; } = null!;
    internal RoadLinkKind[] RoadLinkKind { get; init; } = null!;

    internal string[] IntersectionIds { get; init; } = null!;
    internal bool[] IntersectionVirtual { get; init; } = null!;
    internal double[] IntersectionX { get; init; } = null!;
    internal double[] IntersectionY { get; init; } = null!;
    /// <summary>Road links of intersection i: global indices RoadLinkOffset[i] .. RoadLinkOffset[i + 1).</summary>
    internal int[] RoadLinkOffset { get; init; } = null!;
    /// <summary>The roadnet's own signal plan: phases of intersection i, each its duration and the road links it opens.</summary>
    internal SignalPhase[][] Phases { get; init; } = null!;
    internal Crossings Crossings { get; init; } = null!;

    internal int LaneCount => LaneRoad.Length;
    internal int LinkCount => LinkStartLane.Length;
    internal int DrivableCount => LaneCount + LinkCount;
    internal int RoadCount => RoadIds.Length;
    internal int IntersectionCount => IntersectionIds.Length;

    /// <summary>Whether the lane's road ends at a signalised (not virtual) intersection: the lanes the papers' travel time counts.</summary>
    internal bool IsEnteringLane(int lane) => !IntersectionVirtual[RoadEndIntersection[LaneRoad[lane]]];

    internal double DrivableLength(int drivable) => drivable < LaneCount ? LaneLength[drivable] : LinkLength[drivable - LaneCount];

    internal bool IsTurn(int link) => RoadLinkKind[LinkRoadLink[link]] != Network.RoadLinkKind.Straight;

    /// <summary>CityFlow's right of way between movements: straight before left before right.</summary>
    internal int Priority(int link) => RoadLinkKind[LinkRoadLink[link]] switch
    {
        Network.RoadLinkKind.Straight => 3,
        Network.RoadLinkKind.Left => 2,
        _ => 1,
    };

    /// <summary>Whether a lane has at least one lane link into the given road.</summary>
    internal bool LaneReaches(int lane, int road)
    {
        for (var k = LaneLinkStart[lane]; k < LaneLinkStart[lane + 1]; k++)
        {
            if (LaneRoad[LinkEndLane[LaneLinks[k]]] == road)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Whether any road link leads from one road to the other: the check for an impossible route.</summary>
    internal bool Connects(int fromRoad, int toRoad)
    {
        var first = RoadFirstLane[fromRoad];
        for (var lane = first; lane < first + RoadLaneCount[fromRoad]; lane++)
        {
            if (LaneReaches(lane, toRoad))
            {
                return true;
            }
        }
        return false;
    }

    internal int RoadIndex(string id) => Array.IndexOf(RoadIds, id);

    /// <summary>The four phases the papers control (WT_ET, NT_ST, WL_EL, NL_SL) are the roadnet's phases 1-4; phase 0 is yellow.</summary>
    internal const int YellowPhase = 0;
}

internal enum RoadLinkKind
{
    Straight,
    Left,
    Right,
}

internal sealed record SignalPhase(double Duration, bool[] Opens);

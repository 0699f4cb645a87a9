namespace CityBrain.Scenarios.Traffic.Network;

/// <summary>The vehicles of a CityFlow flow file: each flow releases a vehicle at startTime, then every interval seconds until endTime.</summary>
public sealed class Demand
{
    internal FlowRecord[] Flows { get; init; } = null!;

    public int FlowCount => Flows.Length;

    /// <summary>
    /// The vehicles released within the first <paramref name="steps"/> one-second steps, in release order (then flow order),
    /// with CityFlow's release arithmetic: a flow keeps time since its last vehicle and releases one whenever that reaches
    /// its interval, starting with one at startTime.
    /// </summary>
    internal List<VehicleRelease> Releases(int steps)
    {
        var releases = new List<VehicleRelease>();
        for (var f = 0; f < Flows.Length; f++)
        {
            var flow = Flows[f];
            var sinceLast = flow.Interval;
            var count = 0;
            for (var t = flow.StartTime; t < steps && (flow.EndTime == -1 || t <= flow.EndTime); t++)
            {
                while (sinceLast >= flow.Interval)
                {
                    releases.Add(new VehicleRelease(f, count++, t));
                    sinceLast -= flow.Interval;
                    if (flow.Interval == 0)
                    {
                        break;
                    }
                }
                sinceLast += 1;
            }
        }
        // Stable: within a second, flows release in file order, as CityFlow steps its flows.
        return [.. releases.OrderBy(r => r.Time).ThenBy(r => r.Flow).ThenBy(r => r.Index)];
    }
}

internal readonly record struct VehicleRelease(int Flow, int Index, int Time);

internal sealed record FlowRecord(VehicleParameters Vehicle, int[] Route, int StartTime, int EndTime, double Interval);

/// <summary>CityFlow's vehicle parameters (m, m/s, m/s², s).</summary>
internal readonly record struct VehicleParameters(
    double Length, double MaxPosAcc, double MaxNegAcc, double UsualPosAcc, double UsualNegAcc, double MinGap, double MaxSpeed, double HeadwayTime)
{
    /// <summary>CityFlow's defaults for what the flow file does not give.</summary>
    public const double TurnSpeed = 8.3333;
    public const double YieldDistance = 5;
}

internal sealed class DemandBuilder
{
    private readonly List<FlowRecord> _flows = [];

    public void AddFlow(VehicleParameters vehicle, int[] route, int startTime, int endTime, double interval) =>
        _flows.Add(new FlowRecord(vehicle, route, startTime, endTime, interval));

    public Demand Build() => new() { Flows = [.. _flows] };
}

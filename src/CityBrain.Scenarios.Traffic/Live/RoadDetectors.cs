using CityBrain.Scenarios.Traffic.Network;
using CityBrain.Scenarios.Traffic.Simulation;

namespace CityBrain.Scenarios.Traffic.Live;

/// <summary>
/// One detector per road, as a city's loop detectors sit at the stop line of each approach: over each period it counts the
/// vehicles that passed the road's end (intensity), the mean speed of the vehicles on the road (sampled every simulated
/// second, so weighted by the time each spent there), and the share of seconds its stop-line loops were covered
/// (occupancy, averaged over the road's lanes). Sampled by the session after each step; not thread-safe.
/// </summary>
public sealed class RoadDetectors
{
    /// <summary>The period of a reading: a simulated minute.</summary>
    public const int PeriodSeconds = 60;

    /// <summary>The length of a stop-line loop (m): an inductive loop of a Chinese signal controller is 2-5 m long.</summary>
    public const double LoopLength = 5;

    /// <summary>
    /// A road is congested when its mean speed is at most this share of its speed limit: a travel-time index of 2 or more,
    /// the level Chinese cities publish as 拥堵 (congested).
    /// </summary>
    public const double CongestedSpeedShare = 0.5;

    private readonly RoadNetwork _network;
    private readonly int[] _exitsAtStart;
    private readonly long[] _vehicleSeconds;
    private readonly double[] _speedSum;
    private readonly int[] _occupiedLaneSeconds;
    private int _periodStart;
    private int _sampledSeconds;

    internal RoadDetectors(RoadNetwork network)
    {
        _network = network;
        var roads = network.RoadCount;
        _exitsAtStart = new int[roads];
        _vehicleSeconds = new long[roads];
        _speedSum = new double[roads];
        _occupiedLaneSeconds = new int[roads];
        Sites = [.. Enumerable.Range(0, roads).Select(Site)];
    }

    /// <summary>The detectors, in the network's road order (the order of every <see cref="DetectorMinute.Readings"/>).</summary>
    public IReadOnlyList<DetectorSite> Sites { get; }

    /// <summary>Adds the state after one step to the period's sums.</summary>
    internal void Sample(Simulator simulator)
    {
        for (var road = 0; road < _network.RoadCount; road++)
        {
            var first = _network.RoadFirstLane[road];
            for (var lane = first; lane < first + _network.RoadLaneCount[road]; lane++)
            {
                var (vehicles, speedSum) = simulator.LaneSpeeds(lane);
                _vehicleSeconds[road] += vehicles;
                _speedSum[road] += speedSum;
                if (simulator.LaneEndOccupied(lane, LoopLength))
                {
                    _occupiedLaneSeconds[road]++;
                }
            }
        }
        _sampledSeconds++;
    }

    /// <summary>Closes the period at the simulator's time: each detector's reading since the last close; the sums start again.</summary>
    internal DetectorMinute Close(Simulator simulator)
    {
        var readings = new DetectorReading[_network.RoadCount];
        for (var road = 0; road < readings.Length; road++)
        {
            var exits = Exits(simulator, road);
            double? speed = _vehicleSeconds[road] == 0 ? null : _speedSum[road] / _vehicleSeconds[road];
            var laneSeconds = _sampledSeconds * _network.RoadLaneCount[road];
            var occupancy = laneSeconds == 0 ? 0 : (double)_occupiedLaneSeconds[road] / laneSeconds;
            readings[road] = new DetectorReading(exits - _exitsAtStart[road], speed, occupancy,
                speed is { } s && s <= CongestedSpeedShare * Sites[road].SpeedLimit);
            _exitsAtStart[road] = exits;
        }
        var minute = new DetectorMinute(_periodStart, simulator.Time, readings);
        Array.Clear(_vehicleSeconds);
        Array.Clear(_speedSum);
        Array.Clear(_occupiedLaneSeconds);
        _sampledSeconds = 0;
        _periodStart = simulator.Time;
        return minute;
    }

    private int Exits(Simulator simulator, int road)
    {
        var exits = 0;
        var first = _network.RoadFirstLane[road];
        for (var lane = first; lane < first + _network.RoadLaneCount[road]; lane++)
        {
            exits += simulator.LaneExits(lane);
        }
        return exits;
    }

    /// <summary>A road's detector sits at the stop line of its middle lane (the lanes are drawn at their true offsets, so the two directions of a street stay apart).</summary>
    private DetectorSite Site(int road)
    {
        var lanes = _network.RoadLaneCount[road];
        var middle = _network.RoadFirstLane[road] + lanes / 2;
        var points = _network.LanePoints[middle];
        var limit = 0.0;
        for (var lane = _network.RoadFirstLane[road]; lane < _network.RoadFirstLane[road] + lanes; lane++)
        {
            limit = Math.Max(limit, _network.LaneMaxSpeed[lane]);
        }
        return new DetectorSite(_network.RoadIds[road], points[^2], points[^1], limit);
    }
}

/// <summary>A road's detector: the road's id, where it sits (x, y in the network's metres) and the road's speed limit (m/s).</summary>
public sealed record DetectorSite(string Road, double X, double Y, double SpeedLimit);

/// <summary>
/// One detector's reading over a period: vehicles that passed its stop line; their mean speed (m/s) on the road, null when no
/// vehicle was on it; the share of time its loops were covered (0-1); whether it is congested (mean speed at most
/// <see cref="RoadDetectors.CongestedSpeedShare"/> of the limit).
/// </summary>
public sealed record DetectorReading(int Intensity, double? AverageSpeed, double Occupancy, bool Congested);

/// <summary>Every detector's reading over the simulated seconds [<paramref name="From"/>, <paramref name="To"/>), in <see cref="RoadDetectors.Sites"/> order.</summary>
public sealed record DetectorMinute(int From, int To, IReadOnlyList<DetectorReading> Readings);

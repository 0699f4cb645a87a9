using CityBrain.Scenarios.Traffic.Network;

namespace CityBrain.Scenarios.Traffic.Simulation;

/// <summary>
/// A microscopic simulator that follows CityFlow's engine step for step (engine.cpp nextStep): release the flows' vehicles
/// into their first lane's waiting queue, admit one vehicle per lane when its entrance is clear, compute every vehicle's
/// next speed (car-following, red lights and full exit lanes, turn speed) from the state of the previous step, move them
/// all at once across lanes and lane links, then recompute leaders and gaps. Vehicles keep to CityFlow's route choice: at
/// each intersection the lane link chosen ends on the lane, nearest to the current one, that reaches the road after next,
/// so a vehicle arrives on the lane of its next turn.
/// <para>
/// State is held as arrays indexed by vehicle and by drivable (struct of arrays); a step allocates nothing. The same seed
/// gives the same run: the only randomness is the choice of the first lane, drawn from the seeded source.
/// </para>
/// </summary>
internal sealed class Simulator
{
    private const double Eps = 1e-8;
    /// <summary>A vehicle slower than this is waiting (CityFlow's get_lane_waiting_vehicle_count).</summary>
    internal const double WaitingSpeed = 0.1;
    private const int NoVehicle = -1;
    private const int RouteEnds = -1;
    private const int WrongLane = -2;

    private readonly RoadNetwork _net;
    private readonly int _laneCount;
    private readonly Random _random;
    private readonly int _threads;

    // Vehicles, in release order.
    private readonly int[] _releaseTime;
    private readonly int[] _routeStart;
    private readonly int[] _routeLength;
    private readonly int[] _routes;
    private readonly double[] _length;
    private readonly double[] _minGap;
    private readonly double[] _maxSpeed;
    private readonly double[] _maxPosAcc;
    private readonly double[] _maxNegAcc;
    private readonly double[] _usualPosAcc;
    private readonly double[] _usualNegAcc;
    private readonly double[] _headway;
    private readonly double[] _approach;
    private readonly string[] _ids;

    private readonly VehicleState[] _state;
    private readonly int[] _drivable;
    private readonly int[] _routePos;
    private readonly double[] _dis;
    private readonly double[] _speed;
    private readonly int[] _leader;
    private readonly double[] _gap;
    private readonly int[] _ahead;
    private readonly int[] _behind;
    private readonly int[] _waitNext;
    private readonly double[] _laneEnter;
    private readonly double[] _paperTime;
    private readonly double[] _freeFlowTime;
    private readonly int[] _next;
    private readonly int[] _prevDrivable;
    private readonly int[] _enterLinkTime;
    private readonly int[] _priority;
    private readonly int[] _blocker;
    private readonly int[] _nextBlocker;

    // Per side of each cross (2c + side): the vehicle nearest the cross on that lane link, and how far before it (negative: past it).
    private readonly int[] _notifyVehicle;
    private readonly double[] _notifyDistance;

    // Per drivable: the vehicles on it, first (furthest along) to last; per lane: its queue of vehicles waiting to enter.
    private readonly int[] _head;
    private readonly int[] _tail;
    private readonly int[] _waitHead;
    private readonly int[] _waitTail;
    private readonly int[] _queuedLanes;
    private int _queuedLaneCount;
    private readonly bool[] _laneQueued;

    // One step's decisions, applied together.
    private readonly double[] _nextSpeed;
    private readonly double[] _nextDis;
    private readonly int[] _nextDrivable;
    private readonly int[] _nextRoutePos;
    private readonly bool[] _ends;
    private readonly int[] _movers;
    private readonly double[] _moverKeys;

    private readonly int[] _running;
    private readonly int[] _runningSlot;
    private int _runningCount;

    private readonly int[] _phase;
    private readonly bool[] _open;

    private int _nextRelease;
    private int _finishedCount;
    private double _finishedTravelTime;
    private double _finishedDelay;
    private double _finishedFreeFlow;
    private int _appearedCount;
    private double _queueSum;
    private readonly int[] _enteringLanes;
    // Per lane: vehicles that have passed its end since the start, as a loop at the stop line counts them.
    private readonly int[] _laneExits;
    private readonly Action<int> _actChunk;

    public Simulator(RoadNetwork network, Demand demand, int horizonSteps, int seed, int threads = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(horizonSteps);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _net = network;
        _laneCount = network.LaneCount;
        _random = new Random(seed);
        _threads = threads;
        HorizonSteps = horizonSteps;

        var releases = demand.Releases(horizonSteps);
        var n = releases.Count;
        _releaseTime = new int[n];
        _routeStart = new int[n];
        _routeLength = new int[n];
        _length = new double[n];
        _minGap = new double[n];
        _maxSpeed = new double[n];
        _maxPosAcc = new double[n];
        _maxNegAcc = new double[n];
        _usualPosAcc = new double[n];
        _usualNegAcc = new double[n];
        _headway = new double[n];
        _approach = new double[n];
        _ids = new string[n];
        var routes = new List<int>();
        for (var v = 0; v < n; v++)
        {
            var release = releases[v];
            var flow = demand.Flows[release.Flow];
            var p = flow.Vehicle;
            _releaseTime[v] = release.Time;
            _routeStart[v] = routes.Count;
            _routeLength[v] = flow.Route.Length;
            routes.AddRange(flow.Route);
            _length[v] = p.Length;
            _minGap[v] = p.MinGap;
            _maxSpeed[v] = p.MaxSpeed;
            _maxPosAcc[v] = p.MaxPosAcc;
            _maxNegAcc[v] = p.MaxNegAcc;
            _usualPosAcc[v] = p.UsualPosAcc;
            _usualNegAcc[v] = p.UsualNegAcc;
            _headway[v] = p.HeadwayTime;
            // How far ahead a vehicle looks for its leader and for the signal (Vehicle's approachingIntersectionDistance).
            _approach[v] = p.MaxSpeed * p.MaxSpeed / p.UsualNegAcc / 2 + p.MaxSpeed * 2;
            _ids[v] = $"flow_{release.Flow}_{release.Index}";
        }
        _routes = [.. routes];

        _state = new VehicleState[n];
        _drivable = new int[n];
        _routePos = new int[n];
        _dis = new double[n];
        _speed = new double[n];
        _leader = new int[n];
        _gap = new double[n];
        _ahead = new int[n];
        _behind = new int[n];
        _waitNext = new int[n];
        _laneEnter = new double[n];
        _paperTime = new double[n];
        _freeFlowTime = new double[n];
        _next = new int[n];
        _prevDrivable = new int[n];
        _enterLinkTime = new int[n];
        _priority = new int[n];
        _blocker = new int[n];
        _nextBlocker = new int[n];
        _notifyVehicle = new int[network.Crossings.Link.Length];
        _notifyDistance = new double[network.Crossings.Link.Length];
        _nextSpeed = new double[n];
        _nextDis = new double[n];
        _nextDrivable = new int[n];
        _nextRoutePos = new int[n];
        _ends = new bool[n];
        _movers = new int[n];
        _moverKeys = new double[n];
        _running = new int[n];
        _runningSlot = new int[n];

        var drivables = network.DrivableCount;
        _head = new int[drivables];
        _tail = new int[drivables];
        Array.Fill(_head, NoVehicle);
        Array.Fill(_tail, NoVehicle);
        _waitHead = new int[_laneCount];
        _waitTail = new int[_laneCount];
        Array.Fill(_waitHead, NoVehicle);
        Array.Fill(_waitTail, NoVehicle);
        _queuedLanes = new int[_laneCount];
        _laneQueued = new bool[_laneCount];

        _phase = new int[network.IntersectionCount];
        _open = new bool[network.RoadLinkIntersection.Length];
        for (var i = 0; i < network.IntersectionCount; i++)
        {
            if (!network.IntersectionVirtual[i])
            {
                SetPhase(i, 0);
            }
        }
        _enteringLanes = [.. Enumerable.Range(0, _laneCount).Where(network.IsEnteringLane)];
        _laneExits = new int[_laneCount];
        _actChunk = ActChunk;
    }

    public RoadNetwork Network => _net;
    public int HorizonSteps { get; }
    /// <summary>Steps simulated so far; also the current time in seconds.</summary>
    public int Time { get; private set; }
    public int ReleasedCount => _nextRelease;
    public int RunningCount => _runningCount;
    public int FinishedCount => _finishedCount;
    public int VehicleCount => _state.Length;

    public int PhaseOf(int intersection) => _phase[intersection];

    public void SetPhase(int intersection, int phase)
    {
        var phases = _net.Phases[intersection];
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)phase, (uint)phases.Length, nameof(phase));
        _phase[intersection] = phase;
        var opens = phases[phase].Opens;
        var offset = _net.RoadLinkOffset[intersection];
        for (var k = 0; k < opens.Length; k++)
        {
            _open[offset + k] = opens[k];
        }
    }

    public bool IsOpen(int roadLink) => _open[roadLink];

    /// <summary>Vehicles on a lane, and those of them waiting (slower than 0.1 m/s).</summary>
    public (int Vehicles, int Waiting) LaneCounts(int lane)
    {
        int vehicles = 0, waiting = 0;
        for (var v = _head[lane]; v != NoVehicle; v = _behind[v])
        {
            vehicles++;
            if (_speed[v] < WaitingSpeed)
            {
                waiting++;
            }
        }
        return (vehicles, waiting);
    }

    /// <summary>Vehicles that have passed the end of a lane since the start (onto their next road, or out at their route's end).</summary>
    public int LaneExits(int lane) => _laneExits[lane];

    /// <summary>Vehicles on a lane now and the sum of their speeds (m/s): their mean speed, in one walk of the lane.</summary>
    public (int Vehicles, double SpeedSum) LaneSpeeds(int lane)
    {
        var vehicles = 0;
        var sum = 0.0;
        for (var v = _head[lane]; v != NoVehicle; v = _behind[v])
        {
            vehicles++;
            sum += _speed[v];
        }
        return (vehicles, sum);
    }

    /// <summary>Whether a vehicle's front is within the last <paramref name="loopLength"/> metres of a lane: a loop at the stop line is occupied.</summary>
    public bool LaneEndOccupied(int lane, double loopLength) =>
        _head[lane] != NoVehicle && _dis[_head[lane]] >= _net.LaneLength[lane] - loopLength;

    /// <summary>Vehicles on a lane within <paramref name="distance"/> metres of its end and not waiting: those about to arrive.</summary>
    public int LaneApproaching(int lane, double distance)
    {
        var count = 0;
        var from = _net.LaneLength[lane] - distance;
        for (var v = _head[lane]; v != NoVehicle; v = _behind[v])
        {
            if (_dis[v] < from)
            {
                break;
            }
            if (_speed[v] >= WaitingSpeed)
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>Vehicles released but not yet admitted to their first lane (queued outside the network).</summary>
    public int LaneQueue(int lane)
    {
        var count = 0;
        for (var v = _waitHead[lane]; v != NoVehicle; v = _waitNext[v])
        {
            count++;
        }
        return count;
    }

    /// <summary>A running vehicle's place: its id, the drivable it is on, how far along it, and its speed.</summary>
    public VehicleView Vehicle(int vehicle) => new(_ids[vehicle], _state[vehicle], _drivable[vehicle], _dis[vehicle], _speed[vehicle]);

    public int RunningVehicle(int slot) => _running[slot];

    public void Step()
    {
        ReleaseVehicles();
        AdmitWaiting();
        NotifyCrosses();
        if (_threads == 1 || _runningCount < 256)
        {
            for (var s = 0; s < _runningCount; s++)
            {
                Act(_running[s]);
            }
        }
        else
        {
            Parallel.For(0, _threads, _actChunk);
        }
        Move();
        UpdateLeaders();
        Time++;
        MeasureQueues();
    }

    private void ActChunk(int chunk)
    {
        var size = (_runningCount + _threads - 1) / _threads;
        var end = Math.Min(_runningCount, (chunk + 1) * size);
        for (var s = chunk * size; s < end; s++)
        {
            Act(_running[s]);
        }
    }

    private void ReleaseVehicles()
    {
        while (_nextRelease < _releaseTime.Length && _releaseTime[_nextRelease] <= Time)
        {
            var v = _nextRelease++;
            var lane = FirstLane(v);
            _state[v] = VehicleState.Queued;
            _priority[v] = _random.Next();
            _waitNext[v] = NoVehicle;
            if (_waitTail[lane] == NoVehicle)
            {
                _waitHead[lane] = v;
                if (!_laneQueued[lane])
                {
                    _laneQueued[lane] = true;
                    _queuedLanes[_queuedLaneCount++] = lane;
                }
            }
            else
            {
                _waitNext[_waitTail[lane]] = v;
            }
            _waitTail[lane] = v;
            _drivable[v] = lane;
        }
    }

    /// <summary>CityFlow's Router::getFirstDrivable: a random lane of the first road among those that lead to the second.</summary>
    private int FirstLane(int v)
    {
        var road = _routes[_routeStart[v]];
        var first = _net.RoadFirstLane[road];
        var count = _net.RoadLaneCount[road];
        if (_routeLength[v] == 1)
        {
            return first + _random.Next(count);
        }
        var next = _routes[_routeStart[v] + 1];
        var candidates = 0;
        for (var l = first; l < first + count; l++)
        {
            if (_net.LaneReaches(l, next))
            {
                candidates++;
            }
        }
        var pick = _random.Next(candidates);
        for (var l = first; l < first + count; l++)
        {
            if (_net.LaneReaches(l, next) && pick-- == 0)
            {
                return l;
            }
        }
        throw new InvalidOperationException("unreachable: routes are checked when read");
    }

    private void AdmitWaiting()
    {
        for (var q = 0; q < _queuedLaneCount; q++)
        {
            var lane = _queuedLanes[q];
            var v = _waitHead[lane];
            if (v == NoVehicle)
            {
                continue;
            }
            var tail = _tail[lane];
            if (tail != NoVehicle && _dis[tail] <= _length[tail] + _minGap[v])
            {
                continue;
            }
            _waitHead[lane] = _waitNext[v];
            if (_waitHead[lane] == NoVehicle)
            {
                _waitTail[lane] = NoVehicle;
            }
            _state[v] = VehicleState.Running;
            _appearedCount++;
            _routePos[v] = 0;
            _dis[v] = 0;
            _speed[v] = 0;
            _laneEnter[v] = Time;
            _freeFlowTime[v] = FreeFlowTime(v, lane);
            _prevDrivable[v] = -1;
            _enterLinkTime[v] = int.MaxValue;
            _blocker[v] = NoVehicle;
            _next[v] = NextDrivable(v, lane, 0);
            Append(lane, v);
            _runningSlot[v] = _runningCount;
            _running[_runningCount++] = v;
            LeaderAndGap(v, tail);
        }
        // Lanes whose queue emptied leave the list, so that admitting costs nothing on lanes without a queue.
        var kept = 0;
        for (var q = 0; q < _queuedLaneCount; q++)
        {
            var lane = _queuedLanes[q];
            if (_waitHead[lane] != NoVehicle)
            {
                _queuedLanes[kept++] = lane;
            }
            else
            {
                _laneQueued[lane] = false;
            }
        }
        _queuedLaneCount = kept;
    }

    /// <summary>The next speed and where it takes the vehicle; written to the step's buffers only (vehicles act in parallel).</summary>
    private void Act(int v)
    {
        var d = _drivable[v];
        var rp = _routePos[v];
        var speed = _speed[v];
        var length = _net.DrivableLength(d);
        var next = _next[v];
        _nextBlocker[v] = NoVehicle;

        var target = Math.Min(_maxSpeed[v], speed + _maxPosAcc[v]);
        if (d < _laneCount)
        {
            target = Math.Min(target, _net.LaneMaxSpeed[d]);
        }
        target = Math.Min(target, CarFollowSpeed(v));
        var remaining = length - _dis[v];
        if (d >= _laneCount)
        {
            target = Math.Min(target, CrossSpeed(v, d - _laneCount, _dis[v]));
        }
        else if (next >= _laneCount && remaining <= _approach[v])
        {
            target = Math.Min(target, IntersectionSpeed(v, next - _laneCount, remaining));
        }
        if (next == WrongLane)
        {
            target = Math.Min(target, NoCollisionSpeed(0, 1, speed, _maxNegAcc[v], remaining, _minGap[v]));
        }
        target = Math.Max(target, speed - _maxNegAcc[v]);

        double delta;
        if (target < 0)
        {
            delta = 0.5 * speed * speed / _maxNegAcc[v];
            target = 0;
        }
        else
        {
            delta = (speed + target) / 2;
        }
        _nextSpeed[v] = target;

        var x = _dis[v] + delta;
        var cd = d;
        var crp = rp;
        var ends = false;
        while (x > _net.DrivableLength(cd))
        {
            var nd = cd == d ? next : NextDrivable(v, cd, crp);
            if (nd == RouteEnds)
            {
                ends = true;
                break;
            }
            if (nd == WrongLane)
            {
                x = _net.DrivableLength(cd);
                break;
            }
            x -= _net.DrivableLength(cd);
            if (cd >= _laneCount)
            {
                crp++;
            }
            cd = nd;
        }
        _nextDis[v] = x;
        _nextDrivable[v] = cd;
        _nextRoutePos[v] = crp;
        _ends[v] = ends;
    }

    private double CarFollowSpeed(int v)
    {
        var leader = _leader[v];
        if (leader == NoVehicle)
        {
            return _maxSpeed[v];
        }
        var speed = _speed[v];
        var leaderSpeed = _speed[leader];
        var gap = _gap[v];
        var result = NoCollisionSpeed(leaderSpeed, _maxNegAcc[leader], speed, _maxNegAcc[v], gap, 0);
        var assumeDecel = speed > leaderSpeed ? speed - leaderSpeed : 0;
        result = Math.Min(result, NoCollisionSpeed(leaderSpeed, _usualNegAcc[leader], speed, _usualNegAcc[v], gap, _minGap[v]));
        result = Math.Min(result, (gap + (leaderSpeed + assumeDecel / 2) - speed / 2) / (_headway[v] + 0.5));
        return result;
    }

    /// <summary>CityFlow's Vehicle::getNoCollisionSpeed for a one-second step.</summary>
    private static double NoCollisionSpeed(double leaderSpeed, double leaderDecel, double speed, double decel, double gap, double targetGap)
    {
        var c = speed / 2 + targetGap - 0.5 * leaderSpeed * leaderSpeed / leaderDecel - gap;
        var a = 0.5 / decel;
        const double b = 0.5;
        if (b * b < 4 * a * c)
        {
            return -100;
        }
        var v1 = 0.5 / a * (Math.Sqrt(b * b - 4 * a * c) - b);
        var v2 = 2 * leaderSpeed - leaderDecel + 2 * (gap - targetGap);
        return Math.Min(v1, v2);
    }

    /// <summary>
    /// Red light or a full exit lane: stop before the stop line, unless the vehicle cannot brake in time (it then runs
    /// the red, as in CityFlow, which has no amber dilemma zone). A turn is taken at turn speed.
    /// </summary>
    private double IntersectionSpeed(int v, int link, double remaining)
    {
        var result = _maxSpeed[v];
        if (!_open[_net.LinkRoadLink[link]] || !CanEnter(_net.LinkEndLane[link], v))
        {
            var minBrake = 0.5 * _speed[v] * _speed[v] / _maxNegAcc[v];
            if (minBrake <= remaining)
            {
                return Math.Min(result, StopBeforeSpeed(v, remaining));
            }
        }
        if (_net.IsTurn(link))
        {
            result = Math.Min(result, VehicleParameters.TurnSpeed);
        }
        return Math.Min(result, CrossSpeed(v, link, -remaining));
    }

    /// <summary>
    /// CityFlow's yielding inside an intersection: at the first cross ahead where the vehicle must give way, it slows to stop
    /// a yield distance before it, and notes the vehicle it waits for (to break deadlocks).
    /// </summary>
    private double CrossSpeed(int v, int link, double distanceToLinkStart)
    {
        var crossings = _net.Crossings;
        for (var k = crossings.Start[link]; k < crossings.Start[link + 1]; k++)
        {
            var side = crossings.Of[k];
            var distanceOnLink = crossings.Distance[side];
            if (distanceOnLink < distanceToLinkStart)
            {
                continue;
            }
            if (!CanPass(v, link, side, distanceToLinkStart))
            {
                _nextBlocker[v] = _notifyVehicle[side ^ 1];
                return StopBeforeSpeed(v, distanceOnLink - distanceToLinkStart - VehicleParameters.YieldDistance);
            }
        }
        return double.MaxValue;
    }

    /// <summary>CityFlow's Cross::canPass: who goes first where two lane links cross.</summary>
    private bool CanPass(int v, int link, int side, double distanceToLinkStart)
    {
        var crossings = _net.Crossings;
        var other = side ^ 1;
        var foe = _notifyVehicle[other];
        if (foe == NoVehicle)
        {
            return true;
        }
        var foeLink = crossings.Link[other];
        var d1 = crossings.Distance[side] - distanceToLinkStart;
        var d2 = _notifyDistance[other];
        if (!CanYield(v, d1))
        {
            return true;
        }
        var yield = CanYield(foe, d2) ? 0 : 1;
        if (yield == 0)
        {
            var t1 = _net.Priority(link);
            var t2 = _net.Priority(foeLink);
            if (t1 > t2)
            {
                yield = -1;
            }
            else if (t1 < t2)
            {
                if (d2 > 0)
                {
                    if (ReachStepsOnLink(foe, d2, foeLink) > ReachStepsOnLink(v, d1, link))
                    {
                        yield = -1;
                    }
                }
                else if (d2 + _length[foe] < 0)
                {
                    yield = -1;
                }
                if (yield == 0)
                {
                    yield = 1;
                }
            }
            else if (d2 > 0)
            {
                var foeSteps = ReachStepsOnLink(foe, d2, foeLink);
                var steps = ReachStepsOnLink(v, d1, link);
                if (foeSteps != steps)
                {
                    yield = foeSteps > steps ? -1 : 1;
                }
                else if (_enterLinkTime[v] == _enterLinkTime[foe])
                {
                    yield = d1 == d2 ? (_priority[v] > _priority[foe] ? -1 : 1) : (d1 < d2 ? -1 : 1);
                }
                else
                {
                    yield = _enterLinkTime[v] < _enterLinkTime[foe] ? -1 : 1;
                }
            }
            else
            {
                yield = d2 + _length[foe] < 0 ? -1 : 1;
            }
        }
        if (yield == 1)
        {
            // Waiting for a vehicle that (through others) waits for us would never end: go.
            var fast = foe;
            var slow = foe;
            while (fast != NoVehicle && _blocker[fast] != NoVehicle)
            {
                slow = _blocker[slow];
                fast = _blocker[_blocker[fast]];
                if (slow == fast)
                {
                    return true;
                }
            }
        }
        return yield == -1;
    }

    private bool CanYield(int v, double distance) =>
        (distance > 0 && 0.5 * _speed[v] * _speed[v] / _maxNegAcc[v] < distance - VehicleParameters.YieldDistance) ||
        (distance < 0 && distance + _length[v] < 0);

    private int ReachStepsOnLink(int v, double distance, int link) =>
        ReachSteps(v, distance, _net.IsTurn(link) ? VehicleParameters.TurnSpeed : _maxSpeed[v], _usualPosAcc[v]);

    private int ReachSteps(int v, double distance, double targetSpeed, double acc)
    {
        if (distance <= 0)
        {
            return 0;
        }
        var speed = _speed[v];
        if (speed > targetSpeed)
        {
            return (int)Math.Ceiling(distance / speed);
        }
        var untilTarget = DistanceUntilSpeed(speed, targetSpeed, acc);
        if (untilTarget > distance)
        {
            return (int)Math.Ceiling((Math.Sqrt(speed * speed + 2 * acc * distance) - speed) / acc);
        }
        return (int)(Math.Ceiling((targetSpeed - speed) / acc) + Math.Ceiling((distance - untilTarget) / targetSpeed));
    }

    private static double DistanceUntilSpeed(double speed, double target, double acc)
    {
        if (target <= speed)
        {
            return 0;
        }
        var stage1Steps = Math.Floor((target - speed) / acc);
        var stage1Speed = speed + stage1Steps * acc;
        var stage1Distance = (speed + stage1Speed) * stage1Steps / 2;
        return stage1Distance + (stage1Speed < target ? (stage1Speed + target) / 2 : 0);
    }

    /// <summary>
    /// CityFlow's Engine::notifyCross: on each side of each cross, the vehicle nearest to it: the one just out of the lane
    /// link whose tail has not cleared it, the ones on the link, or the first on the lane about to enter an open link.
    /// </summary>
    private void NotifyCrosses()
    {
        var crossings = _net.Crossings;
        if (crossings.Count == 0)
        {
            return;
        }
        Array.Fill(_notifyVehicle, NoVehicle);
        for (var link = 0; link < _net.LinkCount; link++)
        {
            var from = crossings.Start[link];
            var r = crossings.Start[link + 1] - 1;
            if (r < from)
            {
                continue;
            }
            var linkLength = _net.LinkLength[link];
            var drivable = _laneCount + link;
            var u = _tail[_net.LinkEndLane[link]];
            if (u != NoVehicle && _prevDrivable[u] == drivable)
            {
                var tailDistance = _dis[u] - _length[u];
                while (r >= from)
                {
                    var s = crossings.Of[r];
                    var crossToEnd = linkLength - crossings.Distance[s];
                    if (crossToEnd + tailDistance >= 0)
                    {
                        break;
                    }
                    Notify(s, u, -(_dis[u] + crossToEnd));
                    r--;
                }
            }
            for (u = _head[drivable]; u != NoVehicle && r >= from; u = _behind[u])
            {
                var at = _dis[u];
                while (r >= from)
                {
                    var s = crossings.Of[r];
                    var crossAt = crossings.Distance[s];
                    if (at > crossAt && at - crossAt - _length[u] > 0)
                    {
                        break;
                    }
                    Notify(s, u, crossAt - at);
                    r--;
                }
            }
            if (r < from || !_open[_net.LinkRoadLink[link]])
            {
                continue;
            }
            var startLane = _net.LinkStartLane[link];
            u = _head[startLane];
            if (u != NoVehicle && _next[u] == drivable)
            {
                var toEnd = _net.LaneLength[startLane] - _dis[u];
                for (; r >= from; r--)
                {
                    var s = crossings.Of[r];
                    Notify(s, u, toEnd + crossings.Distance[s]);
                }
            }
        }
    }

    private void Notify(int side, int vehicle, double distance)
    {
        _notifyVehicle[side] = vehicle;
        _notifyDistance[side] = distance;
    }

    private double StopBeforeSpeed(int v, double distance)
    {
        var speed = _speed[v];
        var accelerated = speed + _usualPosAcc[v];
        if ((speed + accelerated) / 2 + accelerated * accelerated / _usualNegAcc[v] / 2 < distance)
        {
            return accelerated;
        }
        var takeInterval = 2 * distance / (speed + Eps);
        return takeInterval >= 1 ? speed - speed / (int)takeInterval : speed - speed / takeInterval;
    }

    /// <summary>CityFlow's Lane::canEnter: the last vehicle has moved a car length in, or is moving at 2 m/s or more.</summary>
    private bool CanEnter(int lane, int v)
    {
        var tail = _tail[lane];
        return tail == NoVehicle || _dis[tail] > _length[tail] + _length[v] || _speed[tail] >= 2;
    }

    /// <summary>
    /// The drivable after <paramref name="d"/> on the vehicle's route (rp: route position of d's road, or of its start lane's
    /// road for a lane link): the lane link's end lane, or the lane link chosen as CityFlow's router does.
    /// </summary>
    private int NextDrivable(int v, int d, int rp)
    {
        if (d >= _laneCount)
        {
            return _net.LinkEndLane[d - _laneCount];
        }
        var length = _routeLength[v];
        if (rp >= length - 1)
        {
            return RouteEnds;
        }
        var start = _routeStart[v];
        var nextRoad = _routes[start + rp + 1];
        var afterRoad = rp + 2 < length ? _routes[start + rp + 2] : -1;
        var chosen = ChooseLink(d, nextRoad, afterRoad);
        if (chosen == WrongLane && afterRoad >= 0)
        {
            chosen = ChooseLink(d, nextRoad, -1);
        }
        return chosen;
    }

    private int ChooseLink(int lane, int nextRoad, int afterRoad)
    {
        var chosen = WrongLane;
        var best = int.MaxValue;
        var index = _net.LaneIndexInRoad[lane];
        for (var k = _net.LaneLinkStart[lane]; k < _net.LaneLinkStart[lane + 1]; k++)
        {
            var link = _net.LaneLinks[k];
            var end = _net.LinkEndLane[link];
            if (_net.LaneRoad[end] != nextRoad || (afterRoad >= 0 && !_net.LaneReaches(end, afterRoad)))
            {
                continue;
            }
            var diff = Math.Abs(_net.LaneIndexInRoad[end] - index);
            if (diff < best)
            {
                best = diff;
                chosen = _laneCount + link;
            }
        }
        return chosen;
    }

    /// <summary>Moves every vehicle to where it decided to go; those that change drivable join their new one in order of distance.</summary>
    private void Move()
    {
        var movers = 0;
        for (var s = 0; s < _runningCount; s++)
        {
            var v = _running[s];
            if (_ends[v] || _nextDrivable[v] != _drivable[v])
            {
                Unlink(_drivable[v], v);
                if (_drivable[v] < _laneCount)
                {
                    // Vehicles only move forward: leaving a lane is passing its end.
                    _laneExits[_drivable[v]]++;
                    if (_net.IsEnteringLane(_drivable[v]))
                    {
                        _paperTime[v] += Time + 1 - _laneEnter[v];
                    }
                }
                if (!_ends[v])
                {
                    _movers[movers] = v;
                    _moverKeys[movers] = -_nextDis[v];
                    movers++;
                }
            }
            _speed[v] = _nextSpeed[v];
            _dis[v] = _nextDis[v];
            _routePos[v] = _nextRoutePos[v];
            _blocker[v] = _nextBlocker[v];
        }
        // Finish those at the end of their route (CityFlow counts their travel time at this step's time).
        for (var s = _runningCount - 1; s >= 0; s--)
        {
            var v = _running[s];
            if (_ends[v])
            {
                _ends[v] = false;
                _state[v] = VehicleState.Finished;
                _finishedCount++;
                var travel = Time - _releaseTime[v];
                _finishedTravelTime += travel;
                _finishedDelay += Math.Max(0, travel - _freeFlowTime[v]);
                _finishedFreeFlow += _freeFlowTime[v];
                var last = _running[--_runningCount];
                _running[s] = last;
                _runningSlot[last] = s;
            }
        }
        for (var s = 0; s < _runningCount; s++)
        {
            var blocker = _blocker[_running[s]];
            if (blocker != NoVehicle && _state[blocker] == VehicleState.Finished)
            {
                _blocker[_running[s]] = NoVehicle;
            }
        }
        Array.Sort(_moverKeys, _movers, 0, movers);
        for (var m = 0; m < movers; m++)
        {
            var v = _movers[m];
            var d = _nextDrivable[v];
            _prevDrivable[v] = _drivable[v];
            _drivable[v] = d;
            _next[v] = NextDrivable(v, d, _routePos[v]);
            Append(d, v);
            if (d < _laneCount)
            {
                _laneEnter[v] = Time + 1;
                _enterLinkTime[v] = int.MaxValue;
            }
            else
            {
                _enterLinkTime[v] = Time;
            }
            _freeFlowTime[v] += FreeFlowTime(v, d);
        }
    }

    private double FreeFlowTime(int v, int d) =>
        d < _laneCount
            ? _net.LaneLength[d] / Math.Min(_maxSpeed[v], _net.LaneMaxSpeed[d])
            : _net.LinkLength[d - _laneCount] / (_net.IsTurn(d - _laneCount) ? Math.Min(_maxSpeed[v], VehicleParameters.TurnSpeed) : _maxSpeed[v]);

    private void UpdateLeaders()
    {
        for (var d = 0; d < _head.Length; d++)
        {
            var leader = NoVehicle;
            for (var v = _head[d]; v != NoVehicle; v = _behind[v])
            {
                LeaderAndGap(v, leader);
                leader = v;
            }
        }
    }

    /// <summary>CityFlow's Vehicle::updateLeaderAndGap: the vehicle ahead on the same drivable, or the nearest last vehicle ahead along the route.</summary>
    private void LeaderAndGap(int v, int leader)
    {
        var d = _drivable[v];
        if (leader != NoVehicle)
        {
            _leader[v] = leader;
            _gap[v] = _dis[leader] - _length[leader] - _dis[v];
            return;
        }
        _leader[v] = NoVehicle;
        var distance = _net.DrivableLength(d) - _dis[v];
        var cd = d;
        var crp = _routePos[v];
        while (true)
        {
            var nd = NextDrivable(v, cd, crp);
            if (nd < 0)
            {
                return;
            }
            if (nd >= _laneCount)
            {
                // Lane links from one lane overlap at their start: the nearest last vehicle on any of them leads.
                var startLane = _net.LinkStartLane[nd - _laneCount];
                for (var k = _net.LaneLinkStart[startLane]; k < _net.LaneLinkStart[startLane + 1]; k++)
                {
                    var candidate = _tail[_laneCount + _net.LaneLinks[k]];
                    if (candidate != NoVehicle)
                    {
                        var gap = distance + _dis[candidate] - _length[candidate];
                        if (_leader[v] == NoVehicle || gap < _gap[v])
                        {
                            _leader[v] = candidate;
                            _gap[v] = gap;
                        }
                    }
                }
                if (_leader[v] != NoVehicle)
                {
                    return;
                }
            }
            else
            {
                var candidate = _tail[nd];
                if (candidate != NoVehicle)
                {
                    _leader[v] = candidate;
                    _gap[v] = distance + _dis[candidate] - _length[candidate];
                    return;
                }
            }
            distance += _net.DrivableLength(nd);
            if (distance > _approach[v])
            {
                return;
            }
            if (cd >= _laneCount)
            {
                crp++;
            }
            cd = nd;
        }
    }

    private void Append(int d, int v)
    {
        _behind[v] = NoVehicle;
        _ahead[v] = _tail[d];
        if (_tail[d] == NoVehicle)
        {
            _head[d] = v;
        }
        else
        {
            _behind[_tail[d]] = v;
        }
        _tail[d] = v;
    }

    private void Unlink(int d, int v)
    {
        if (_ahead[v] == NoVehicle)
        {
            _head[d] = _behind[v];
        }
        else
        {
            _behind[_ahead[v]] = _behind[v];
        }
        if (_behind[v] == NoVehicle)
        {
            _tail[d] = _ahead[v];
        }
        else
        {
            _ahead[_behind[v]] = _ahead[v];
        }
    }

    private void MeasureQueues()
    {
        if (_enteringLanes.Length == 0)
        {
            return;
        }
        var waiting = 0;
        foreach (var lane in _enteringLanes)
        {
            for (var v = _head[lane]; v != NoVehicle; v = _behind[v])
            {
                if (_speed[v] < WaitingSpeed)
                {
                    waiting++;
                }
            }
        }
        _queueSum += (double)waiting / _enteringLanes.Length;
    }

    /// <summary>The figures of the run so far, as REFERENCE.md defines them.</summary>
    public SimulationMetrics Metrics()
    {
        // Engine ATT (CityFlow's get_average_travel_time): every released vehicle, from release to exit or to now.
        double engineTotal = _finishedTravelTime;
        var paperTotal = 0.0;
        for (var v = 0; v < _nextRelease; v++)
        {
            if (_state[v] != VehicleState.Finished)
            {
                engineTotal += Time - _releaseTime[v];
            }
            if (_state[v] == VehicleState.Finished)
            {
                paperTotal += _paperTime[v];
            }
            else if (_state[v] == VehicleState.Running)
            {
                // Still in the network: the entering lane it is on counts to now.
                paperTotal += _paperTime[v] + (_drivable[v] < _laneCount && _net.IsEnteringLane(_drivable[v]) ? Time - _laneEnter[v] : 0);
            }
        }
        return new SimulationMetrics(
            Steps: Time,
            Released: _nextRelease,
            Appeared: _appearedCount,
            Finished: _finishedCount,
            EngineTravelTime: _nextRelease == 0 ? 0 : engineTotal / _nextRelease,
            PaperTravelTime: _appearedCount == 0 ? 0 : paperTotal / _appearedCount,
            AverageQueue: Time == 0 ? 0 : _queueSum / Time,
            AverageDelay: _finishedCount == 0 ? 0 : _finishedDelay / _finishedCount,
            CongestionIndex: _finishedFreeFlow == 0 ? 1 : _finishedTravelTime / _finishedFreeFlow);
    }
}

internal enum VehicleState : byte
{
    Pending,
    Queued,
    Running,
    Finished,
}

internal readonly record struct VehicleView(string Id, VehicleState State, int Drivable, double Distance, double Speed);

internal readonly record struct SimulationMetrics(
    int Steps, int Released, int Appeared, int Finished, double EngineTravelTime, double PaperTravelTime, double AverageQueue, double AverageDelay,
    double CongestionIndex);

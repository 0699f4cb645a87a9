using System.Globalization;
using System.Text.Json;

namespace CityBrain.Scenarios.Traffic.Network;

/// <summary>
/// Reads CityFlow's roadnet and flow JSON. Every reference is checked before anything is built, so a broken file is refused
/// with a message naming the item (roads[3] 'road_1_0_1', flow[17], ...) and nothing is simulated on it.
/// Geometry follows CityFlow: a lane is its road's polyline shifted sideways and cut back by the width of each real
/// intersection at its ends; a lane link without points is CityFlow's cubic Bezier between its lanes.
/// </summary>
public static class CityFlowReader
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public static RoadNetwork ReadRoadNetwork(string path)
    {
        using var stream = Open(path, "roadnet");
        return ReadRoadNetwork(stream, Path.GetFileName(path));
    }

    public static Demand ReadDemand(string path, RoadNetwork network)
    {
        using var stream = Open(path, "flow");
        return ReadDemand(stream, network, Path.GetFileName(path));
    }

    public static RoadNetwork ReadRoadNetwork(Stream stream, string name)
    {
        using var document = Parse(stream, name);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new TrafficDataException($"{name}: a roadnet is a JSON object with 'intersections' and 'roads'; found {Kind(root)}");
        }
        var intersections = ArrayMember(root, "intersections", name);
        var roads = ArrayMember(root, "roads", name);

        var intersectionIds = new string[intersections.Count];
        var intersectionIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < intersections.Count; i++)
        {
            var item = $"{name}: intersections[{i}]";
            RequireObject(intersections[i], item);
            intersectionIds[i] = StringMember(intersections[i], "id", item);
            if (!intersectionIndex.TryAdd(intersectionIds[i], i))
            {
                throw new TrafficDataException($"{item}: id '{intersectionIds[i]}' is used twice");
            }
        }

        var roadIds = new string[roads.Count];
        var roadIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var r = 0; r < roads.Count; r++)
        {
            var item = $"{name}: roads[{r}]";
            RequireObject(roads[r], item);
            roadIds[r] = StringMember(roads[r], "id", item);
            if (!roadIndex.TryAdd(roadIds[r], r))
            {
                throw new TrafficDataException($"{item}: id '{roadIds[r]}' is used twice");
            }
        }

        var isVirtual = new bool[intersections.Count];
        var width = new double[intersections.Count];
        var ix = new double[intersections.Count];
        var iy = new double[intersections.Count];
        for (var i = 0; i < intersections.Count; i++)
        {
            var item = $"{name}: intersections[{i}] '{intersectionIds[i]}'";
            isVirtual[i] = intersections[i].TryGetProperty("virtual", out var v) && v.ValueKind == JsonValueKind.True;
            var point = ObjectMember(intersections[i], "point", item);
            ix[i] = NumberMember(point, "x", item + ".point");
            iy[i] = NumberMember(point, "y", item + ".point");
            width[i] = isVirtual[i] ? 0 : NumberMember(intersections[i], "width", item);
            if (width[i] < 0)
            {
                throw new TrafficDataException($"{item}: width {Format(width[i])} is negative");
            }
        }

        var roadStart = new int[roads.Count];
        var roadEnd = new int[roads.Count];
        var roadFirstLane = new int[roads.Count];
        var roadLaneCount = new int[roads.Count];
        var roadPoints = new double[roads.Count][];
        var laneRoad = new List<int>();
        var laneIndexInRoad = new List<int>();
        var laneWidth = new List<double>();
        var laneMaxSpeed = new List<double>();
        for (var r = 0; r < roads.Count; r++)
        {
            var item = $"{name}: roads[{r}] '{roadIds[r]}'";
            roadStart[r] = IntersectionReference(roads[r], "startIntersection", item, intersectionIndex);
            roadEnd[r] = IntersectionReference(roads[r], "endIntersection", item, intersectionIndex);
            var points = ArrayMember(roads[r], "points", item);
            if (points.Count < 2)
            {
                throw new TrafficDataException($"{item}: points needs at least 2 points, found {points.Count}");
            }
            roadPoints[r] = new double[points.Count * 2];
            for (var p = 0; p < points.Count; p++)
            {
                RequireObject(points[p], $"{item}.points[{p}]");
                roadPoints[r][2 * p] = NumberMember(points[p], "x", $"{item}.points[{p}]");
                roadPoints[r][2 * p + 1] = NumberMember(points[p], "y", $"{item}.points[{p}]");
            }
            var lanes = ArrayMember(roads[r], "lanes", item);
            if (lanes.Count == 0)
            {
                throw new TrafficDataException($"{item}: lanes is empty; a road needs at least one lane");
            }
            roadFirstLane[r] = laneRoad.Count;
            roadLaneCount[r] = lanes.Count;
            for (var l = 0; l < lanes.Count; l++)
            {
                var laneItem = $"{item}.lanes[{l}]";
                RequireObject(lanes[l], laneItem);
                var w = NumberMember(lanes[l], "width", laneItem);
                var s = NumberMember(lanes[l], "maxSpeed", laneItem);
                if (w <= 0 || s <= 0)
                {
                    throw new TrafficDataException($"{laneItem}: width and maxSpeed must be positive (width {Format(w)}, maxSpeed {Format(s)})");
                }
                laneRoad.Add(r);
                laneIndexInRoad.Add(l);
                laneWidth.Add(w);
                laneMaxSpeed.Add(s);
            }
        }

        // Lane geometry, as CityFlow's Road::initLanesPoints.
        var lanePoints = new double[laneRoad.Count][];
        var laneLength = new double[laneRoad.Count];
        for (var r = 0; r < roads.Count; r++)
        {
            var pts = (double[])roadPoints[r].Clone();
            var n = pts.Length / 2;
            if (!isVirtual[roadStart[r]])
            {
                var (ux, uy) = Unit(pts[2] - pts[0], pts[3] - pts[1]);
                pts[0] += ux * width[roadStart[r]];
                pts[1] += uy * width[roadStart[r]];
            }
            if (!isVirtual[roadEnd[r]])
            {
                var (ux, uy) = Unit(pts[2 * n - 2] - pts[2 * n - 4], pts[2 * n - 1] - pts[2 * n - 3]);
                pts[2 * n - 2] -= ux * width[roadEnd[r]];
                pts[2 * n - 1] -= uy * width[roadEnd[r]];
            }
            var offset = 0.0;
            for (var l = 0; l < roadLaneCount[r]; l++)
            {
                var lane = roadFirstLane[r] + l;
                var shift = offset + laneWidth[lane] / 2;
                var lp = new double[pts.Length];
                for (var j = 0; j < n; j++)
                {
                    double ux, uy;
                    if (j == 0)
                    {
                        (ux, uy) = Unit(pts[2] - pts[0], pts[3] - pts[1]);
                    }
                    else if (j == n - 1)
                    {
                        (ux, uy) = Unit(pts[2 * j] - pts[2 * j - 2], pts[2 * j + 1] - pts[2 * j - 1]);
                    }
                    else
                    {
                        var (ax, ay) = Unit(pts[2 * j + 2] - pts[2 * j], pts[2 * j + 3] - pts[2 * j + 1]);
                        var (bx, by) = Unit(pts[2 * j] - pts[2 * j - 2], pts[2 * j + 1] - pts[2 * j - 1]);
                        (ux, uy) = Unit(ax + bx, ay + by);
                    }
                    // CityFlow's normal of (x, y) is (-y, x); lanes lie on the side of -normal.
                    lp[2 * j] = pts[2 * j] + uy * shift;
                    lp[2 * j + 1] = pts[2 * j + 1] - ux * shift;
                }
                lanePoints[lane] = lp;
                laneLength[lane] = PolylineLength(lp);
                offset += laneWidth[lane];
            }
        }

        var roadLinkIntersection = new List<int>();
        var roadLinkStartRoad = new List<int>();
        var roadLinkEndRoad = new List<int>();
        var roadLinkKind = new List<RoadLinkKind>();
        var roadLinkOffset = new int[intersections.Count + 1];
        var linkStart = new List<int>();
        var linkEnd = new List<int>();
        var linkLength = new List<double>();
        var linkRoadLink = new List<int>();
        var linkPoints = new List<double[]>();
        var phases = new SignalPhase[intersections.Count][];
        for (var i = 0; i < intersections.Count; i++)
        {
            var item = $"{name}: intersections[{i}] '{intersectionIds[i]}'";
            roadLinkOffset[i] = roadLinkIntersection.Count;
            if (intersections[i].TryGetProperty("roads", out var roadList) && roadList.ValueKind == JsonValueKind.Array)
            {
                var k = 0;
                foreach (var roadName in roadList.EnumerateArray())
                {
                    if (roadName.ValueKind != JsonValueKind.String || !roadIndex.ContainsKey(roadName.GetString()!))
                    {
                        throw new TrafficDataException($"{item}: roads[{k}] refers to road {Quote(roadName)}, which does not exist");
                    }
                    k++;
                }
            }
            if (isVirtual[i])
            {
                phases[i] = [];
                continue;
            }
            var roadLinks = ArrayMember(intersections[i], "roadLinks", item);
            for (var k = 0; k < roadLinks.Count; k++)
            {
                var rlItem = $"{item}.roadLinks[{k}]";
                RequireObject(roadLinks[k], rlItem);
                var type = StringMember(roadLinks[k], "type", rlItem);
                var kind = type switch
                {
                    "go_straight" => RoadLinkKind.Straight,
                    "turn_left" => RoadLinkKind.Left,
                    "turn_right" => RoadLinkKind.Right,
                    _ => throw new TrafficDataException($"{rlItem}: type '{type}' is not go_straight, turn_left or turn_right"),
                };
                var startRoad = RoadReference(roadLinks[k], "startRoad", rlItem, roadIndex);
                var endRoad = RoadReference(roadLinks[k], "endRoad", rlItem, roadIndex);
                if (roadEnd[startRoad] != i || roadStart[endRoad] != i)
                {
                    throw new TrafficDataException($"{rlItem}: links '{roadIds[startRoad]}' to '{roadIds[endRoad]}', but they do not meet at this intersection");
                }
                var globalRoadLink = roadLinkIntersection.Count;
                roadLinkIntersection.Add(i);
                roadLinkStartRoad.Add(startRoad);
                roadLinkEndRoad.Add(endRoad);
                roadLinkKind.Add(kind);
                var laneLinks = ArrayMember(roadLinks[k], "laneLinks", rlItem);
                for (var m = 0; m < laneLinks.Count; m++)
                {
                    var llItem = $"{rlItem}.laneLinks[{m}]";
                    RequireObject(laneLinks[m], llItem);
                    var startIndex = IntMember(laneLinks[m], "startLaneIndex", llItem);
                    var endIndex = IntMember(laneLinks[m], "endLaneIndex", llItem);
                    if (startIndex < 0 || startIndex >= roadLaneCount[startRoad])
                    {
                        throw new TrafficDataException($"{llItem}: startLaneIndex {startIndex} is out of range; '{roadIds[startRoad]}' has {roadLaneCount[startRoad]} lanes");
                    }
                    if (endIndex < 0 || endIndex >= roadLaneCount[endRoad])
                    {
                        throw new TrafficDataException($"{llItem}: endLaneIndex {endIndex} is out of range; '{roadIds[endRoad]}' has {roadLaneCount[endRoad]} lanes");
                    }
                    var startLane = roadFirstLane[startRoad] + startIndex;
                    var endLane = roadFirstLane[endRoad] + endIndex;
                    double[] curve;
                    if (laneLinks[m].TryGetProperty("points", out var givenPoints) && givenPoints.ValueKind == JsonValueKind.Array && givenPoints.GetArrayLength() >= 2)
                    {
                        curve = new double[givenPoints.GetArrayLength() * 2];
                        var p = 0;
                        foreach (var point in givenPoints.EnumerateArray())
                        {
                            curve[p++] = NumberMember(point, "x", $"{llItem}.points");
                            curve[p++] = NumberMember(point, "y", $"{llItem}.points");
                        }
                    }
                    else
                    {
                        curve = Bezier(lanePoints[startLane], lanePoints[endLane], width[i]);
                    }
                    linkStart.Add(startLane);
                    linkEnd.Add(endLane);
                    linkLength.Add(PolylineLength(curve));
                    linkPoints.Add(curve);
                    linkRoadLink.Add(globalRoadLink);
                }
            }

            var light = ObjectMember(intersections[i], "trafficLight", item);
            var lightPhases = ArrayMember(light, "lightphases", item + ".trafficLight");
            if (lightPhases.Count == 0)
            {
                throw new TrafficDataException($"{item}.trafficLight: lightphases is empty; a signalised intersection needs at least one phase");
            }
            phases[i] = new SignalPhase[lightPhases.Count];
            for (var p = 0; p < lightPhases.Count; p++)
            {
                var phaseItem = $"{item}.trafficLight.lightphases[{p}]";
                RequireObject(lightPhases[p], phaseItem);
                var time = NumberMember(lightPhases[p], "time", phaseItem);
                if (time < 0)
                {
                    throw new TrafficDataException($"{phaseItem}: time {Format(time)} is negative");
                }
                var opens = new bool[roadLinks.Count];
                var available = ArrayMember(lightPhases[p], "availableRoadLinks", phaseItem);
                for (var a = 0; a < available.Count; a++)
                {
                    if (available[a].ValueKind != JsonValueKind.Number || !available[a].TryGetInt32(out var index) || index < 0 || index >= roadLinks.Count)
                    {
                        throw new TrafficDataException($"{phaseItem}: availableRoadLinks[{a}] = {available[a].GetRawText()} is not a road link of this intersection (0..{roadLinks.Count - 1})");
                    }
                    opens[index] = true;
                }
                phases[i][p] = new SignalPhase(time, opens);
            }
        }
        roadLinkOffset[intersections.Count] = roadLinkIntersection.Count;

        // Lane links grouped by start lane (CSR), in file order within a lane as CityFlow keeps them.
        var laneLinkStart = new int[laneRoad.Count + 1];
        foreach (var s in linkStart)
        {
            laneLinkStart[s + 1]++;
        }
        for (var l = 0; l < laneRoad.Count; l++)
        {
            laneLinkStart[l + 1] += laneLinkStart[l];
        }
        var fill = (int[])laneLinkStart.Clone();
        var laneLinksArray = new int[linkStart.Count];
        for (var k = 0; k < linkStart.Count; k++)
        {
            laneLinksArray[fill[linkStart[k]]++] = k;
        }

        return new RoadNetwork
        {
            RoadIds = roadIds,
            RoadStartIntersection = roadStart,
            RoadEndIntersection = roadEnd,
            RoadFirstLane = roadFirstLane,
            RoadLaneCount = roadLaneCount,
            RoadPoints = roadPoints,
            LaneRoad = [.. laneRoad],
            LaneIndexInRoad = [.. laneIndexInRoad],
            LaneLength = laneLength,
            LaneMaxSpeed = [.. laneMaxSpeed],
            LaneWidth = [.. laneWidth],
            LanePoints = lanePoints,
            LaneLinkStart = laneLinkStart,
            LaneLinks = laneLinksArray,
            LinkStartLane = [.. linkStart],
            LinkEndLane = [.. linkEnd],
            LinkLength = [.. linkLength],
            LinkRoadLink = [.. linkRoadLink],
            LinkPoints = [.. linkPoints],
            RoadLinkIntersection = [.. roadLinkIntersection],
            RoadLinkStartRoad = [.. roadLinkStartRoad],
            RoadLinkEndRoad = [.. roadLinkEndRoad],
            RoadLinkKind = [.. roadLinkKind],
            IntersectionIds = intersectionIds,
            IntersectionVirtual = isVirtual,
            IntersectionX = ix,
            IntersectionY = iy,
            RoadLinkOffset = roadLinkOffset,
            Phases = phases,
            Crossings = Crossings.Find([.. linkRoadLink], [.. roadLinkIntersection], [.. linkPoints]),
        };
    }

    public static Demand ReadDemand(Stream stream, RoadNetwork network, string name)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var document = Parse(stream, name);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new TrafficDataException($"{name}: a flow file is a JSON array of flows; found {Kind(root)}");
        }
        var roadIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var r = 0; r < network.RoadCount; r++)
        {
            roadIndex[network.RoadIds[r]] = r;
        }
        var builder = new DemandBuilder();
        var f = 0;
        foreach (var flow in root.EnumerateArray())
        {
            var item = $"{name}: flow[{f}]";
            RequireObject(flow, item);
            var vehicle = ObjectMember(flow, "vehicle", item);
            var parameters = new VehicleParameters(
                Length: Positive(vehicle, "length", item),
                MaxPosAcc: Positive(vehicle, "maxPosAcc", item),
                MaxNegAcc: Positive(vehicle, "maxNegAcc", item),
                UsualPosAcc: Positive(vehicle, "usualPosAcc", item),
                UsualNegAcc: Positive(vehicle, "usualNegAcc", item),
                MinGap: NonNegative(vehicle, "minGap", item),
                MaxSpeed: Positive(vehicle, "maxSpeed", item),
                HeadwayTime: NonNegative(vehicle, "headwayTime", item));
            var route = ArrayMember(flow, "route", item);
            if (route.Count == 0)
            {
                throw new TrafficDataException($"{item}: route is empty");
            }
            var roads = new int[route.Count];
            for (var k = 0; k < route.Count; k++)
            {
                if (route[k].ValueKind != JsonValueKind.String || !roadIndex.TryGetValue(route[k].GetString()!, out roads[k]))
                {
                    throw new TrafficDataException($"{item}: route[{k}] refers to road {Quote(route[k])}, which does not exist");
                }
                if (k > 0 && !network.Connects(roads[k - 1], roads[k]))
                {
                    throw new TrafficDataException($"{item}: the route is impossible: no lane leads from '{network.RoadIds[roads[k - 1]]}' (route[{k - 1}]) to '{network.RoadIds[roads[k]]}' (route[{k}])");
                }
            }
            var interval = NumberMember(flow, "interval", item);
            if (interval < 0)
            {
                throw new TrafficDataException($"{item}: interval {Format(interval)} is negative");
            }
            var startTime = flow.TryGetProperty("startTime", out _) ? IntMember(flow, "startTime", item) : 0;
            var endTime = flow.TryGetProperty("endTime", out _) ? IntMember(flow, "endTime", item) : -1;
            if (startTime < 0)
            {
                throw new TrafficDataException($"{item}: startTime {startTime} is negative");
            }
            if (endTime != -1 && endTime < startTime)
            {
                throw new TrafficDataException($"{item}: endTime {endTime} is before startTime {startTime}");
            }
            if (interval == 0 && endTime != startTime)
            {
                throw new TrafficDataException($"{item}: interval 0 would release vehicles without end; give a positive interval or endTime == startTime");
            }
            builder.AddFlow(parameters, roads, startTime, endTime, interval);
            f++;
        }
        return builder.Build();
    }

    private static Stream Open(string path, string what)
    {
        try
        {
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TrafficDataException($"{what} file '{path}' cannot be read: {e.Message}");
        }
    }

    private static JsonDocument Parse(Stream stream, string name)
    {
        try
        {
            return JsonDocument.Parse(stream, DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new TrafficDataException($"{name}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}");
        }
    }

    private static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();

    private static string Quote(JsonElement element) => element.ValueKind == JsonValueKind.String ? $"'{element.GetString()}'" : element.GetRawText();

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static void RequireObject(JsonElement element, string item)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new TrafficDataException($"{item}: expected an object, found {Kind(element)}");
        }
    }

    private static List<JsonElement> ArrayMember(JsonElement element, string member, string item)
    {
        if (!element.TryGetProperty(member, out var value))
        {
            throw new TrafficDataException($"{item}: '{member}' is missing");
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new TrafficDataException($"{item}: '{member}' must be an array, found {Kind(value)}");
        }
        return [.. value.EnumerateArray()];
    }

    private static JsonElement ObjectMember(JsonElement element, string member, string item)
    {
        if (!element.TryGetProperty(member, out var value))
        {
            throw new TrafficDataException($"{item}: '{member}' is missing");
        }
        RequireObject(value, $"{item}.{member}");
        return value;
    }

    private static string StringMember(JsonElement element, string member, string item)
    {
        if (!element.TryGetProperty(member, out var value))
        {
            throw new TrafficDataException($"{item}: '{member}' is missing");
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new TrafficDataException($"{item}: '{member}' must be a string, found {Kind(value)}");
        }
        return value.GetString()!;
    }

    private static double NumberMember(JsonElement element, string member, string item)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(member, out var value))
        {
            throw new TrafficDataException($"{item}: '{member}' is missing");
        }
        if (value.ValueKind != JsonValueKind.Number || !double.IsFinite(value.GetDouble()))
        {
            throw new TrafficDataException($"{item}: '{member}' must be a number, found {value.GetRawText()}");
        }
        return value.GetDouble();
    }

    private static int IntMember(JsonElement element, string member, string item)
    {
        var number = NumberMember(element, member, item);
        if (number != Math.Floor(number) || number is < int.MinValue or > int.MaxValue)
        {
            throw new TrafficDataException($"{item}: '{member}' must be a whole number, found {Format(number)}");
        }
        return (int)number;
    }

    private static double Positive(JsonElement element, string member, string item)
    {
        var number = NumberMember(element, member, item + ".vehicle");
        return number > 0 ? number : throw new TrafficDataException($"{item}.vehicle: '{member}' must be positive, found {Format(number)}");
    }

    private static double NonNegative(JsonElement element, string member, string item)
    {
        var number = NumberMember(element, member, item + ".vehicle");
        return number >= 0 ? number : throw new TrafficDataException($"{item}.vehicle: '{member}' is negative ({Format(number)})");
    }

    private static int IntersectionReference(JsonElement element, string member, string item, Dictionary<string, int> index)
    {
        var id = StringMember(element, member, item);
        return index.TryGetValue(id, out var i) ? i : throw new TrafficDataException($"{item}: {member} '{id}' does not exist");
    }

    private static int RoadReference(JsonElement element, string member, string item, Dictionary<string, int> index)
    {
        var id = StringMember(element, member, item);
        return index.TryGetValue(id, out var r) ? r : throw new TrafficDataException($"{item}: {member} refers to road '{id}', which does not exist");
    }

    private static (double X, double Y) Unit(double x, double y)
    {
        var length = Math.Sqrt(x * x + y * y);
        return length == 0 ? (0, 0) : (x / length, y / length);
    }

    private static double PolylineLength(double[] points)
    {
        var length = 0.0;
        for (var j = 2; j < points.Length; j += 2)
        {
            length += Math.Sqrt((points[j] - points[j - 2]) * (points[j] - points[j - 2]) + (points[j + 1] - points[j - 1]) * (points[j + 1] - points[j - 1]));
        }
        return length;
    }

    /// <summary>CityFlow's default lane-link curve: a cubic Bezier from the end of one lane to the start of the next, 10 segments.</summary>
    private static double[] Bezier(double[] from, double[] to, double intersectionWidth)
    {
        var n = from.Length / 2;
        double sx = from[2 * n - 2], sy = from[2 * n - 1], ex = to[0], ey = to[1];
        var (sdx, sdy) = Unit(sx - from[2 * n - 4], sy - from[2 * n - 3]);
        var (edx, edy) = Unit(to[2] - ex, to[3] - ey);
        var len = Math.Sqrt((ex - sx) * (ex - sx) + (ey - sy) * (ey - sy));
        double g1x = sdx * len * 0.5, g1y = sdy * len * 0.5, g2x = -edx * len * 0.5, g2y = -edy * len * 0.5;
        if (g1x * g1x + g1y * g1y < 25 && intersectionWidth >= 5)
        {
            (g1x, g1y) = (5 * sdx, 5 * sdy);
        }
        if (g2x * g2x + g2y * g2y < 25 && intersectionWidth >= 5)
        {
            (g2x, g2y) = (5 * edx, 5 * edy);
        }
        double m1x = sx + g1x, m1y = sy + g1y, m2x = ex + g2x, m2y = ey + g2y;
        var curve = new double[22];
        for (var i = 0; i <= 10; i++)
        {
            var t = i / 10.0;
            double p1x = sx + (m1x - sx) * t, p1y = sy + (m1y - sy) * t;
            double p2x = m1x + (m2x - m1x) * t, p2y = m1y + (m2y - m1y) * t;
            double p3x = m2x + (ex - m2x) * t, p3y = m2y + (ey - m2y) * t;
            double p4x = p1x + (p2x - p1x) * t, p4y = p1y + (p2y - p1y) * t;
            double p5x = p2x + (p3x - p2x) * t, p5y = p2y + (p3y - p2y) * t;
            curve[2 * i] = p4x + (p5x - p4x) * t;
            curve[2 * i + 1] = p4y + (p5y - p4y) * t;
        }
        return curve;
    }
}

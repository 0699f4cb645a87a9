using System.Globalization;
using System.Text;

namespace CityBrain.Scenarios.Traffic.Network;

/// <summary>
/// A generated grid city in CityFlow format, laid out as the real datasets are: signalised intersections in rows and
/// columns with virtual ones around the edge, roads of three lanes (left, straight, right), phase 0 the 5 s yellow with
/// right turns only and phases 1-4 WT_ET, NT_ST, WL_EL, NL_SL. Vehicles enter from the edge at uniformly random seconds of
/// the hour and drive straight on, or turn (20 % left, 20 % right at each intersection), until they leave the grid.
/// The files are written as text and read back through <see cref="CityFlowReader"/>, so a generated city passes the same checks.
/// </summary>
public static class GridCity
{
    private const string VehicleJson =
        """{"length":5.0,"width":2.0,"maxPosAcc":2.0,"maxNegAcc":4.5,"usualPosAcc":2.0,"usualNegAcc":4.5,"minGap":2.5,"maxSpeed":11.111,"headwayTime":2}""";

    /// <summary>Roadnet and flow JSON for a grid of <paramref name="rows"/> by <paramref name="columns"/> signals.</summary>
    public static (string Roadnet, string Flow) Generate(int rows, int columns, int vehicles, int seconds = 3600, int seed = 0, double roadLength = 300)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(columns, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(vehicles);
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        return (Roadnet(rows, columns, roadLength), Flow(rows, columns, vehicles, seconds, seed));
    }

    /// <summary>Reads a generated city back as the simulator's network and demand.</summary>
    public static (RoadNetwork Network, Demand Demand) Build(int rows, int columns, int vehicles, int seconds = 3600, int seed = 0, double roadLength = 300)
    {
        var (roadnet, flow) = Generate(rows, columns, vehicles, seconds, seed, roadLength);
        var network = CityFlowReader.ReadRoadNetwork(new MemoryStream(Encoding.UTF8.GetBytes(roadnet)), "grid roadnet");
        return (network, CityFlowReader.ReadDemand(new MemoryStream(Encoding.UTF8.GetBytes(flow)), network, "grid flow"));
    }

    // Directions of travel: 0 east (+x), 1 north (+y), 2 west, 3 south. Intersection (x, y) with x in 0..columns+1, y in 0..rows+1.
    private static readonly int[] Dx = [1, 0, -1, 0];
    private static readonly int[] Dy = [0, 1, 0, -1];

    private static bool IsSignal(int x, int y, int rows, int columns) => x >= 1 && x <= columns && y >= 1 && y <= rows;

    private static bool Exists(int x, int y, int rows, int columns) =>
        x >= 0 && x <= columns + 1 && y >= 0 && y <= rows + 1 && !IsCorner(x, y, rows, columns);

    private static bool IsCorner(int x, int y, int rows, int columns) => (x == 0 || x == columns + 1) && (y == 0 || y == rows + 1);

    /// <summary>A road leaves (x, y) in direction d when both ends exist and at least one of them is a signal.</summary>
    private static bool RoadExists(int x, int y, int d, int rows, int columns)
    {
        int tx = x + Dx[d], ty = y + Dy[d];
        return Exists(x, y, rows, columns) && Exists(tx, ty, rows, columns) &&
            (IsSignal(x, y, rows, columns) || IsSignal(tx, ty, rows, columns));
    }

    private static string RoadId(int x, int y, int d) => $"road_{x}_{y}_{d}";

    private static string Roadnet(int rows, int columns, double length)
    {
        var json = new StringBuilder();
        json.Append("{\"intersections\":[");
        var first = true;
        for (var x = 0; x <= columns + 1; x++)
        {
            for (var y = 0; y <= rows + 1; y++)
            {
                if (!Exists(x, y, rows, columns))
                {
                    continue;
                }
                json.Append(first ? "" : ",");
                first = false;
                var signal = IsSignal(x, y, rows, columns);
                var roads = new List<string>();
                for (var d = 0; d < 4; d++)
                {
                    if (RoadExists(x - Dx[d], y - Dy[d], d, rows, columns))
                    {
                        roads.Add(RoadId(x - Dx[d], y - Dy[d], d));
                    }
                    if (RoadExists(x, y, d, rows, columns))
                    {
                        roads.Add(RoadId(x, y, d));
                    }
                }
                json.Append(CultureInfo.InvariantCulture, $"{{\"id\":\"intersection_{x}_{y}\",\"point\":{{\"x\":{x * length},\"y\":{y * length}}},\"width\":{(signal ? 15 : 0)},");
                json.Append("\"roads\":[").AppendJoin(',', roads.Select(r => $"\"{r}\"")).Append("],");
                json.Append(CultureInfo.InvariantCulture, $"\"virtual\":{(signal ? "false" : "true")},\"roadLinks\":[");
                // Per incoming direction d: straight (index 3d), left (3d + 1), right (3d + 2).
                var links = new List<(int Index, int From, string Type)>();
                if (signal)
                {
                    var k = 0;
                    for (var d = 0; d < 4; d++)
                    {
                        var incoming = RoadId(x - Dx[d], y - Dy[d], d);
                        foreach (var (turn, type, lane) in new[] { (0, "go_straight", 1), (1, "turn_left", 0), (3, "turn_right", 2) })
                        {
                            var outgoing = RoadId(x, y, (d + turn) % 4);
                            json.Append(k == 0 ? "" : ",");
                            json.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"{type}\",\"startRoad\":\"{incoming}\",\"endRoad\":\"{outgoing}\",\"direction\":{(d + turn) % 4},\"laneLinks\":[");
                            json.AppendJoin(',', Enumerable.Range(0, 3).Select(end => $"{{\"startLaneIndex\":{lane},\"endLaneIndex\":{end},\"points\":[]}}"));
                            json.Append("]}");
                            links.Add((k++, d, type));
                        }
                    }
                }
                json.Append("],\"trafficLight\":{\"roadLinkIndices\":[],\"lightphases\":[");
                var rights = links.Where(l => l.Type == "turn_right").Select(l => l.Index).ToList();
                int[][] phases = signal
                    ? [[.. rights],
                       [.. rights, .. links.Where(l => l.Type == "go_straight" && l.From % 2 == 0).Select(l => l.Index)],
                       [.. rights, .. links.Where(l => l.Type == "go_straight" && l.From % 2 == 1).Select(l => l.Index)],
                       [.. rights, .. links.Where(l => l.Type == "turn_left" && l.From % 2 == 0).Select(l => l.Index)],
                       [.. rights, .. links.Where(l => l.Type == "turn_left" && l.From % 2 == 1).Select(l => l.Index)]]
                    : [[]];
                for (var p = 0; p < phases.Length; p++)
                {
                    json.Append(p == 0 ? "" : ",");
                    json.Append(CultureInfo.InvariantCulture, $"{{\"time\":{(p == 0 ? 5 : 30)},\"availableRoadLinks\":[").AppendJoin(',', phases[p]).Append("]}");
                }
                json.Append("]}}");
            }
        }
        json.Append("],\"roads\":[");
        first = true;
        for (var x = 0; x <= columns + 1; x++)
        {
            for (var y = 0; y <= rows + 1; y++)
            {
                for (var d = 0; d < 4; d++)
                {
                    if (!RoadExists(x, y, d, rows, columns))
                    {
                        continue;
                    }
                    json.Append(first ? "" : ",");
                    first = false;
                    json.Append(CultureInfo.InvariantCulture,
                        $"{{\"id\":\"{RoadId(x, y, d)}\",\"startIntersection\":\"intersection_{x}_{y}\",\"endIntersection\":\"intersection_{x + Dx[d]}_{y + Dy[d]}\",");
                    json.Append(CultureInfo.InvariantCulture,
                        $"\"points\":[{{\"x\":{x * length},\"y\":{y * length}}},{{\"x\":{(x + Dx[d]) * length},\"y\":{(y + Dy[d]) * length}}}],");
                    json.Append("\"lanes\":[{\"width\":4,\"maxSpeed\":11.111},{\"width\":4,\"maxSpeed\":11.111},{\"width\":4,\"maxSpeed\":11.111}]}");
                }
            }
        }
        json.Append("]}");
        return json.ToString();
    }

    private static string Flow(int rows, int columns, int vehicles, int seconds, int seed)
    {
        var random = new Random(seed);
        // Entrances: roads from a virtual intersection into the grid.
        var entrances = new List<(int X, int Y, int D)>();
        for (var x = 0; x <= columns + 1; x++)
        {
            for (var y = 0; y <= rows + 1; y++)
            {
                for (var d = 0; d < 4; d++)
                {
                    if (!IsSignal(x, y, rows, columns) && RoadExists(x, y, d, rows, columns))
                    {
                        entrances.Add((x, y, d));
                    }
                }
            }
        }
        var json = new StringBuilder("[");
        var route = new List<string>();
        for (var v = 0; v < vehicles; v++)
        {
            var (x, y, d) = entrances[random.Next(entrances.Count)];
            route.Clear();
            route.Add(RoadId(x, y, d));
            (x, y) = (x + Dx[d], y + Dy[d]);
            while (IsSignal(x, y, rows, columns))
            {
                var roll = random.NextDouble();
                // Straight on after a long route, so that every route ends at the edge.
                var turn = route.Count > 2 * (rows + columns) || roll < 0.6 ? 0 : roll < 0.8 ? 1 : 3;
                d = (d + turn) % 4;
                route.Add(RoadId(x, y, d));
                (x, y) = (x + Dx[d], y + Dy[d]);
            }
            var time = random.Next(seconds);
            json.Append(v == 0 ? "" : ",");
            json.Append("{\"vehicle\":").Append(VehicleJson).Append(",\"route\":[").AppendJoin(',', route.Select(r => $"\"{r}\"")).Append(']');
            json.Append(CultureInfo.InvariantCulture, $",\"interval\":1.0,\"startTime\":{time},\"endTime\":{time}}}");
        }
        return json.Append(']').ToString();
    }
}

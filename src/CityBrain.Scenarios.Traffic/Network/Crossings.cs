namespace CityBrain.Scenarios.Traffic.Network;

/// <summary>
/// Where the lane links of an intersection cross, as CityFlow's Intersection::initCrosses finds them: for each pair of lane
/// links, the first point where their polylines meet (links from one lane meet where they start). Vehicles yield at these
/// points by CityFlow's rules (see the simulator).
/// </summary>
internal sealed class Crossings
{
    private const double Eps = 1e-8;

    /// <summary>Cross c joins lane links Link[2c] and Link[2c + 1], at Distance[2c] along the first and Distance[2c + 1] along the second.</summary>
    public required int[] Link { get; init; }
    public required double[] Distance { get; init; }
    /// <summary>The crosses (as 2c + side) on lane link k, nearest its start first: Of[Start[k] .. Start[k + 1]).</summary>
    public required int[] Start { get; init; }
    public required int[] Of { get; init; }

    public int Count => Link.Length / 2;

    public static Crossings Find(int[] linkRoadLink, int[] roadLinkIntersection, double[][] linkPoints)
    {
        var links = new List<int>();
        var distances = new List<double>();
        var byIntersection = Enumerable.Range(0, linkPoints.Length).GroupBy(k => roadLinkIntersection[linkRoadLink[k]]);
        foreach (var group in byIntersection)
        {
            var members = group.ToArray();
            for (var a = 0; a < members.Length; a++)
            {
                for (var b = a + 1; b < members.Length; b++)
                {
                    if (FirstCrossing(linkPoints[members[a]], linkPoints[members[b]]) is { } at)
                    {
                        links.Add(members[a]);
                        links.Add(members[b]);
                        distances.Add(at.A);
                        distances.Add(at.B);
                    }
                }
            }
        }
        var start = new int[linkPoints.Length + 1];
        foreach (var link in links)
        {
            start[link + 1]++;
        }
        for (var k = 0; k < linkPoints.Length; k++)
        {
            start[k + 1] += start[k];
        }
        var fill = (int[])start.Clone();
        var of = new int[links.Count];
        for (var s = 0; s < links.Count; s++)
        {
            of[fill[links[s]]++] = s;
        }
        for (var k = 0; k < linkPoints.Length; k++)
        {
            Array.Sort(of, start[k], start[k + 1] - start[k], Comparer<int>.Create((x, y) => distances[x].CompareTo(distances[y])));
        }
        return new Crossings { Link = [.. links], Distance = [.. distances], Start = start, Of = of };
    }

    private static (double A, double B)? FirstCrossing(double[] a, double[] b)
    {
        var disA = 0.0;
        for (var ia = 0; ia + 3 < a.Length; ia += 2)
        {
            double a1x = a[ia], a1y = a[ia + 1], a2x = a[ia + 2], a2y = a[ia + 3];
            var disB = 0.0;
            for (var ib = 0; ib + 3 < b.Length; ib += 2)
            {
                double b1x = b[ib], b1y = b[ib + 1], b2x = b[ib + 2], b2y = b[ib + 3];
                double ux = a2x - a1x, uy = a2y - a1y, vx = b2x - b1x, vy = b2y - b1y;
                var denominator = ux * vy - uy * vx;
                if (Math.Abs(denominator) > Eps)
                {
                    var t = ((b1x - a1x) * vy - (b1y - a1y) * vx) / denominator;
                    double px = a1x + ux * t, py = a1y + uy * t;
                    if (OnSegment(a1x, a1y, a2x, a2y, px, py) && OnSegment(b1x, b1y, b2x, b2y, px, py))
                    {
                        return (disA + Length(px - a1x, py - a1y), disB + Length(px - b1x, py - b1y));
                    }
                }
                disB += Length(vx, vy);
            }
            disA += Length(a2x - a1x, a2y - a1y);
        }
        return null;
    }

    private static bool OnSegment(double ax, double ay, double bx, double by, double px, double py) =>
        Math.Abs(Length(px - ax, py - ay) + Length(px - bx, py - by) - Length(bx - ax, by - ay)) < Eps;

    private static double Length(double x, double y) => Math.Sqrt(x * x + y * y);
}

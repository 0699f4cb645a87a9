using System.Globalization;
using System.Reflection;

namespace CityBrain.SyntheticCity.Generation;

internal sealed class District
{
    public required string Code { get; init; }
    public required string Name { get; init; }
    /// <summary>Resident population, 2020 census, re-divided to today's districts (approximate).</summary>
    public required double Population { get; init; }
    public List<Street> Streets { get; } = [];
    public List<int> Communities { get; } = [];
}

internal sealed class Street
{
    public required string Code { get; init; }
    public required string Name { get; init; }
    public required District District { get; init; }
    /// <summary>The district name before the 2021 re-division, when it differed (江干区, 下城区 ...).</summary>
    public string? OldDistrictName { get; init; }
    public bool IsTown => Name.EndsWith('镇') || Name.EndsWith('乡');
}

/// <summary>A community (社区) or village (村) with its roads and the layout of its housing compounds.</summary>
internal sealed class Community
{
    public required int Index { get; init; }
    public required string Code { get; init; }
    public required string Name { get; init; }
    public required Street Street { get; init; }
    public required double Lon { get; init; }
    public required double Lat { get; init; }
    public required string[] Roads { get; init; }
    public required int Buildings { get; init; }
    public required int Units { get; init; }
    public required int Floors { get; init; }
    public required int RoomsPerFloor { get; init; }
}

/// <summary>
/// Hangzhou's real districts and streets (embedded from the shared division data) and the synthetic
/// communities and roads below them, drawn from the seed.
/// </summary>
internal sealed class Gazetteer
{
    private static readonly Dictionary<string, double> Population2020 = new(StringComparer.Ordinal)
    {
        // 7th census (2020) resident population, mapped onto the districts as re-divided in 2021 (approximate).
        ["330102"] = 1_323_000, ["330105"] = 1_185_000, ["330106"] = 1_145_000, ["330108"] = 504_000,
        ["330109"] = 2_011_000, ["330110"] = 1_227_000, ["330111"] = 833_000, ["330112"] = 635_000,
        ["330113"] = 1_176_000, ["330114"] = 769_000, ["330122"] = 453_000, ["330127"] = 329_000, ["330182"] = 443_000,
    };

    // Streets that belonged to another district before the 2021 re-division, and that district's name.
    private static readonly Dictionary<string, string> OldDistricts = new(StringComparer.Ordinal)
    {
        ["凯旋街道"] = "江干区", ["采荷街道"] = "江干区", ["闸弄口街道"] = "江干区", ["四季青街道"] = "江干区",
        ["彭埠街道"] = "江干区", ["笕桥街道"] = "江干区", ["丁兰街道"] = "江干区", ["九堡街道"] = "江干区",
        ["武林街道"] = "下城区", ["天水街道"] = "下城区", ["朝晖街道"] = "下城区", ["潮鸣街道"] = "下城区",
        ["长庆街道"] = "下城区", ["石桥街道"] = "下城区", ["东新街道"] = "下城区", ["文晖街道"] = "下城区",
        ["下沙街道"] = "江干区", ["白杨街道"] = "江干区", ["河庄街道"] = "萧山区", ["义蓬街道"] = "萧山区",
        ["新湾街道"] = "萧山区", ["临江街道"] = "萧山区", ["前进街道"] = "萧山区",
    };

    private Gazetteer(List<District> districts, List<Community> communities, List<(string Code, string Name)> zhejiangAreas, List<(string Code, string Name)> provinces)
    {
        Districts = districts;
        Communities = communities;
        ZhejiangAreas = zhejiangAreas;
        Provinces = provinces;
        DistrictByPopulation = new Weighted<District>(districts.Select(d => (d, d.Population)).ToList());
    }

    public List<District> Districts { get; }
    public List<Community> Communities { get; }
    public List<(string Code, string Name)> ZhejiangAreas { get; }
    public List<(string Code, string Name)> Provinces { get; }
    public Weighted<District> DistrictByPopulation { get; }

    public static Gazetteer Create(long seed)
    {
        var areas = ReadCsv("areas-zhejiang.csv");
        var streets = ReadCsv("streets-zhejiang.csv");
        var provinces = ReadCsv("provinces.csv").Select(r => (r[0], r[1])).ToList();
        var outlines = DistrictOutlines.Load();

        var districts = areas.Where(a => a[2] == "3301")
            .Select(a => new District { Code = a[0], Name = a[1], Population = Population2020[a[0]] })
            .ToList();
        var byCode = districts.ToDictionary(d => d.Code, StringComparer.Ordinal);
        foreach (var s in streets.Where(s => s[4] == "3301"))
        {
            var district = byCode[s[2]];
            district.Streets.Add(new Street
            {
                Code = s[0], Name = s[1], District = district,
                OldDistrictName = district.Code is "330113" ? "余杭区" : OldDistricts.GetValueOrDefault(s[1]),
            });
        }

        var communities = new List<Community>();
        var names = new NamePools();
        foreach (var district in districts)
        {
            foreach (var street in district.Streets)
            {
                var rng = Rng.For(seed, RngStream.Geography, long.Parse(street.Code, CultureInfo.InvariantCulture));
                var (centreLon, centreLat) = outlines.SamplePoint(district.Code, ref rng);
                var count = street.IsTown ? rng.Next(6, 13) : rng.Next(8, 17);
                var usedNames = new HashSet<string>(StringComparer.Ordinal);
                var usedRoads = new HashSet<string>(StringComparer.Ordinal);
                for (var c = 0; c < count; c++)
                {
                    string name;
                    do
                    {
                        name = names.CommunityRoot(ref rng) + (street.IsTown ? "村" : "社区");
                    }
                    while (!usedNames.Add(name));
                    var roads = new string[rng.Next(2, 5)];
                    for (var r = 0; r < roads.Length; r++)
                    {
                        string road;
                        do
                        {
                            road = names.Road(ref rng);
                        }
                        while (!usedRoads.Add(road));
                        roads[r] = road;
                    }
                    var (lon, lat) = outlines.SampleNear(district.Code, centreLon, centreLat, street.IsTown ? 0.04 : 0.012, ref rng);
                    var community = new Community
                    {
                        Index = communities.Count,
                        Code = street.Code + (street.IsTown ? 200 + c : 1 + c).ToString("D3", CultureInfo.InvariantCulture),
                        Name = name, Street = street, Lon = lon, Lat = lat, Roads = roads,
                        Buildings = street.IsTown ? rng.Next(3, 12) : rng.Next(6, 31),
                        Units = rng.Next(1, 4),
                        Floors = street.IsTown ? rng.Next(2, 7) : rng.Next(6, 34),
                        RoomsPerFloor = rng.Next(2, 5),
                    };
                    communities.Add(community);
                    district.Communities.Add(community.Index);
                }
            }
        }
        var zhejiang = areas.Where(a => a[2] != "3301").Select(a => (a[0], a[1])).ToList();
        return new Gazetteer(districts, communities, zhejiang, provinces);
    }

    internal static List<string[]> ReadCsv(string name)
    {
        using var reader = new StreamReader(OpenResource(name));
        var rows = new List<string[]>();
        reader.ReadLine();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0)
            {
                rows.Add(line.Split(',').Select(f => f.Trim('"')).ToArray());
            }
        }
        return rows;
    }

    internal static Stream OpenResource(string name) =>
        Assembly.GetExecutingAssembly().GetManifestResourceStream("CityBrain.SyntheticCity.Data." + name)
        ?? throw new InvalidOperationException($"embedded resource {name} is missing");
}

/// <summary>
/// Hangzhou's district outlines before the 2021 re-division, mapped onto today's districts: 上城 = old
/// 上城 + the west of old 江干; 拱墅 = old 下城 + 拱墅; 余杭 and 临平 split old 余杭 at 120.20°E; 钱塘 = old
/// 江干 east of 120.25°E (下沙) + old 萧山 east of 120.50°E (大江东). Approximate, by design.
/// </summary>
internal sealed class DistrictOutlines
{
    private readonly Dictionary<string, List<double[]>> _rings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Old, double MinLon, double MaxLon)[]> _parts = new(StringComparer.Ordinal)
    {
        ["330102"] = [("330102", -999, 999), ("330104", -999, 120.25)],
        ["330105"] = [("330103", -999, 999), ("330105", -999, 999)],
        ["330106"] = [("330106", -999, 999)],
        ["330108"] = [("330108", -999, 999)],
        ["330109"] = [("330109", -999, 120.50)],
        ["330110"] = [("330110", -999, 120.20)],
        ["330111"] = [("330111", -999, 999)],
        ["330112"] = [("330112", -999, 999)],
        ["330113"] = [("330110", 120.20, 999)],
        ["330114"] = [("330104", 120.25, 999), ("330109", 120.50, 999)],
        ["330122"] = [("330122", -999, 999)],
        ["330127"] = [("330127", -999, 999)],
        ["330182"] = [("330182", -999, 999)],
    };

    public static DistrictOutlines Load()
    {
        var outlines = new DistrictOutlines();
        using var reader = new StreamReader(Gazetteer.OpenResource("hangzhou-districts-2020.txt"));
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }
            var parts = line.Split(';');
            var points = parts[1].Split(' ').SelectMany(p => p.Split(',')).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            if (!outlines._rings.TryGetValue(parts[0], out var list))
            {
                outlines._rings[parts[0]] = list = [];
            }
            list.Add(points);
        }
        return outlines;
    }

    public bool Contains(string district, double lon, double lat) =>
        _parts[district].Any(p => lon >= p.MinLon && lon < p.MaxLon && _rings[p.Old].Any(r => InRing(r, lon, lat)));

    private (double MinLon, double MinLat, double MaxLon, double MaxLat) Box(string district)
    {
        double minLon = 999, minLat = 999, maxLon = -999, maxLat = -999;
        foreach (var part in _parts[district])
        {
            foreach (var ring in _rings[part.Old])
            {
                for (var i = 0; i < ring.Length; i += 2)
                {
                    var lon = Math.Clamp(ring[i], part.MinLon, part.MaxLon);
                    minLon = Math.Min(minLon, lon);
                    maxLon = Math.Max(maxLon, lon);
                    minLat = Math.Min(minLat, ring[i + 1]);
                    maxLat = Math.Max(maxLat, ring[i + 1]);
                }
            }
        }
        return (minLon, minLat, maxLon, maxLat);
    }

    /// <summary>A point inside the district (rejection sampling in its bounding box).</summary>
    public (double Lon, double Lat) SamplePoint(string district, ref Rng rng)
    {
        var box = Box(district);
        for (var attempt = 0; attempt < 2000; attempt++)
        {
            var lon = box.MinLon + rng.NextDouble() * (box.MaxLon - box.MinLon);
            var lat = box.MinLat + rng.NextDouble() * (box.MaxLat - box.MinLat);
            if (Contains(district, lon, lat))
            {
                return (lon, lat);
            }
        }
        return ((box.MinLon + box.MaxLon) / 2, (box.MinLat + box.MaxLat) / 2);
    }

    /// <summary>A point within radius (degrees) of a centre, inside the district where possible.</summary>
    public (double Lon, double Lat) SampleNear(string district, double lon, double lat, double radius, ref Rng rng)
    {
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var x = lon + (rng.NextDouble() * 2 - 1) * radius;
            var y = lat + (rng.NextDouble() * 2 - 1) * radius;
            if (Contains(district, x, y))
            {
                return (x, y);
            }
        }
        return (lon, lat);
    }

    private static bool InRing(double[] ring, double x, double y)
    {
        var inside = false;
        for (int i = 0, j = ring.Length - 2; i < ring.Length; j = i, i += 2)
        {
            double xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
            if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            {
                inside = !inside;
            }
        }
        return inside;
    }
}

using Microsoft.AspNetCore.Http;

namespace CityBrain.Cockpit.Web;

/// <summary>Hangzhou's 13 districts after the 2021 re-division, embedded (see docs/cockpit.md for how it was drawn).</summary>
internal static class DistrictMap
{
    private static readonly Lazy<byte[]> Bytes = new(() =>
    {
        var assembly = typeof(DistrictMap).Assembly;
        var name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("hangzhou-districts-2021.geojson", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    /// <summary>District codes and names (2021), for rankings and links.</summary>
    public static IReadOnlyDictionary<string, string> Districts { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["330102"] = "上城区", ["330105"] = "拱墅区", ["330106"] = "西湖区", ["330108"] = "滨江区", ["330109"] = "萧山区",
        ["330110"] = "余杭区", ["330111"] = "富阳区", ["330112"] = "临安区", ["330113"] = "临平区", ["330114"] = "钱塘区",
        ["330122"] = "桐庐县", ["330127"] = "淳安县", ["330182"] = "建德市",
    };

    public static IResult GeoJson() => Results.Bytes(Bytes.Value, "application/geo+json");
}

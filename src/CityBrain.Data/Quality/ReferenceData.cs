namespace CityBrain.Data.Quality;

/// <summary>
/// Hangzhou's districts and streets (GB/T 2260 and the statistics bureau's street codes, from
/// shared/datasets/divisions), to read the district of a residence address by its street: a street keeps its district
/// when an address still carries the district's name from before the 2021 re-division.
/// </summary>
internal static class ReferenceData
{
    private static readonly Lazy<(IReadOnlyList<(string, string)> Streets, IReadOnlyList<(string, string)> Districts)> Loaded = new(Load);

    public static IReadOnlyList<(string Name, string DistrictCode)> Streets => Loaded.Value.Streets;

    public static IReadOnlyList<(string Name, string Code)> Districts => Loaded.Value.Districts;

    private static (IReadOnlyList<(string, string)>, IReadOnlyList<(string, string)>) Load()
    {
        using var stream = typeof(ReferenceData).Assembly.GetManifestResourceStream("CityBrain.Data.Quality.Rules.hangzhou-streets.csv")
            ?? throw new InvalidOperationException("the embedded street reference is missing");
        using var reader = new StreamReader(stream);
        var streets = new List<(string, string)>();
        var districts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        reader.ReadLine();
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            var parts = line.Split(',');
            streets.Add((parts[1], parts[2]));
            districts[parts[3]] = parts[2];
        }
        return (streets, [.. districts.Select(d => (d.Key, d.Value))]);
    }
}

using CityBrain.Data.Addresses;

namespace CityBrain.Data.Tests.Addresses;

/// <summary>One messy address of a generated city and the register's address it really is.</summary>
/// <param name="Source">Where it came from: the planted dirt (address-variant) or a clean department column.</param>
public sealed record LabelledAddress(string Input, string ExpectedId, string Source);

/// <summary>
/// The addresses a generated demo city's departments hold, labelled from its ground truth: every address-variant row of
/// truth/dirt.csv (dirty_value is the address whose standard text is clean_value), and every department address column
/// (gaj rk.csv JZDZ, scjgj qy.csv dom, ybj fixmedins.csv addr) whose value is written cleanly. Shared with the benchmark's
/// load run (linked into bench/CityBrain.Benchmarks), so that both measure the same thing.
/// </summary>
public static class DemoCityAddressCorpus
{
    public const string Dirty = "address-variant";
    public const string Clean = "department column";

    private static readonly (string File, string Column)[] AddressColumns =
    [
        ("departments/gaj/rk.csv", "JZDZ"),
        ("departments/scjgj/qy.csv", "dom"),
        ("departments/ybj/fixmedins.csv", "addr"),
    ];

    public static string RegisterPath(string cityDirectory) => Path.Combine(cityDirectory, "truth", "addresses.csv");

    public static List<LabelledAddress> Read(string cityDirectory)
    {
        var idByStandard = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var row in Rows(RegisterPath(cityDirectory), "address_id", "standard"))
        {
            idByStandard[row[1]] = row[0];
        }

        var corpus = new List<LabelledAddress>();
        foreach (var row in Rows(Path.Combine(cityDirectory, "truth", "dirt.csv"), "kind", "clean_value", "dirty_value"))
        {
            if (row[0] == Dirty)
            {
                corpus.Add(new LabelledAddress(row[2], idByStandard[row[1]], Dirty));
            }
        }
        foreach (var (file, column) in AddressColumns)
        {
            foreach (var row in Rows(Path.Combine(cityDirectory, file), column))
            {
                if (idByStandard.TryGetValue(row[0], out var id))
                {
                    corpus.Add(new LabelledAddress(row[0], id, Clean));
                }
            }
        }
        return corpus;
    }

    private static IEnumerable<string[]> Rows(string path, params string[] columns)
    {
        using var reader = new StreamReader(path);
        var header = CsvLine.Split(reader.ReadLine()!, 1);
        var index = columns.Select(c => header.IndexOf(c) is >= 0 and var i ? i : throw new InvalidDataException($"{path} has no column {c}")).ToArray();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            var fields = CsvLine.Split(line, ++lineNumber);
            yield return index.Select(i => fields[i]).ToArray();
        }
    }
}

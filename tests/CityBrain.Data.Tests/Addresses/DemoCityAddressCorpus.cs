using System.Text;
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
    public const string Perturbed = "perturbed";

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

    /// <summary>
    /// Harder than the generator's dirt, and independent of it: register addresses rewritten as people write them, with
    /// several faults at once, drawn from a seeded random source. Each address gets: a prefix (浙江省杭州市, 杭州, none ...);
    /// its district full, bare, left out, or under its pre-2021 name; its street full, as 街, left out, or with one character
    /// replaced; its road with one character replaced (by a character of another road name, so that typos can collide);
    /// its levels as 幢/栋/号楼, 3-2-501, Chinese numerals, the unit left out; a remark (附近, (超市)); full-width digits.
    /// Some of these are truly ambiguous (street left out and the road misspelt): those must come back unmatched, not wrong.
    /// </summary>
    public static List<LabelledAddress> PerturbedSample(string cityDirectory, int count, int seed)
    {
        var register = Rows(RegisterPath(cityDirectory), "address_id", "district_code", "street_code", "road", "number", "building", "unit", "room").ToList();
        var roadCharacters = register.SelectMany(r => r[3][..^1]).Distinct().Order().ToArray();
        var divisions = HangzhouDivisions.Instance.ByCode;
        var random = new Random(seed);
        T Pick<T>(params T[] choices) => choices[random.Next(choices.Length)];
        bool Chance(double p) => random.NextDouble() < p;
        string Typo(string name)
        {
            var at = random.Next(name.Length - 1); // the last character (路, 街, 道) stays: typos in names are the hard case
            return name[..at] + roadCharacters[random.Next(roadCharacters.Length)] + name[(at + 1)..];
        }

        var corpus = new List<LabelledAddress>(count);
        for (var i = 0; i < count; i++)
        {
            var row = register[random.Next(register.Count)];
            var (district, street) = (divisions[row[1]].Name, divisions[row[2]].Name);
            var text = new StringBuilder(Pick("浙江省杭州市", "杭州市", "杭州", "", "浙江杭州"));
            text.Append(FormerDistrict(row[2]) is { } former && Chance(0.5) ? former : Pick(district, district, district[..^1], ""));
            text.Append(Chance(0.2) ? "" : Chance(0.2) && street.Length > 3 ? Typo(street) : street.EndsWith("街道", StringComparison.Ordinal) && Chance(0.3) ? street[..^1] : street);
            text.Append(Chance(0.25) ? Typo(row[3]) : row[3]);
            var (number, building, unit, room) = (row[4], row[5], row[6], row[7]);
            if (Chance(0.2))
            {
                (number, building, unit, room) = (FullWidth(number), FullWidth(building), FullWidth(unit), FullWidth(room));
            }
            text.Append(number).Append('号');
            if (building.Length > 0 && unit.Length > 0 && room.Length > 0 && Chance(0.2))
            {
                text.Append(building).Append('-').Append(unit).Append('-').Append(room);
            }
            else
            {
                if (building.Length > 0)
                {
                    text.Append(building).Append(Pick("幢", "幢", "栋", "号楼"));
                }
                if (unit.Length > 0 && !Chance(0.1))
                {
                    text.Append(unit.Length == 1 && char.IsAsciiDigit(unit[0]) && Chance(0.3) ? "〇一二三四五六七八九"[unit[0] - '0'].ToString() : unit).Append("单元");
                }
                if (room.Length > 0)
                {
                    text.Append(room).Append(Pick("室", "室", ""));
                }
            }
            text.Append(Pick("", "", "", "附近", "(便利店旁)", " 对面"));
            corpus.Add(new LabelledAddress(text.ToString(), row[0], Perturbed));
        }
        return corpus;
    }

    /// <summary>The district name a street was under before the 2021 re-division, if it moved.</summary>
    private static string? FormerDistrict(string streetCode) => streetCode switch
    {
        "330114001" or "330114002" => "江干区", // 下沙, 白杨
        _ when streetCode.StartsWith("330102", StringComparison.Ordinal) && string.CompareOrdinal(streetCode, "330102011") >= 0 => "江干区", // 凯旋 ... 九堡
        _ when streetCode.StartsWith("330105", StringComparison.Ordinal) && string.CompareOrdinal(streetCode, "330105013") >= 0 => "下城区", // 武林 ... 石桥
        _ when streetCode.StartsWith("330113", StringComparison.Ordinal) => "余杭区",
        "330114003" or "330114004" or "330114005" or "330114006" or "330114007" => "萧山区",
        _ => null,
    };

    private static string FullWidth(string digits) => new(digits.Select(c => (char)(c - '0' + '０')).ToArray());

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

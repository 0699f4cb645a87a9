using System.Text;

namespace CityBrain.SyntheticCity.Generation;

internal enum DirtKind { None, BadCheckDigit, StaleDeath, DistrictMismatch, Duplicate, MissingField, ImpossibleValue, AddressVariant }

/// <summary>
/// Decides which department records get a fault and records every fault in truth/dirt.csv. A record gets
/// at most one fault, decided from its own random stream, so the rates hold at any scale.
/// </summary>
internal sealed class DirtPlanter(long seed, DirtRates rates)
{
    public DirtRates Rates => rates;

    public static string Name(DirtKind kind) => kind switch
    {
        DirtKind.BadCheckDigit => "bad-check-digit",
        DirtKind.StaleDeath => "stale-death",
        DirtKind.DistrictMismatch => "district-mismatch",
        DirtKind.Duplicate => "duplicate",
        DirtKind.MissingField => "missing-field",
        DirtKind.ImpossibleValue => "impossible-value",
        DirtKind.AddressVariant => "address-variant",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private double Rate(DirtKind kind) => kind switch
    {
        DirtKind.BadCheckDigit => rates.BadCheckDigit,
        DirtKind.StaleDeath => rates.StaleDeath,
        DirtKind.DistrictMismatch => rates.DistrictMismatch,
        DirtKind.Duplicate => rates.Duplicate,
        DirtKind.MissingField => rates.MissingField,
        DirtKind.ImpossibleValue => rates.ImpossibleValue,
        DirtKind.AddressVariant => rates.AddressVariant,
        _ => 0,
    };

    /// <summary>The fault (or none) for one record of a department file, and a stream to shape it.</summary>
    public DirtKind Choose(CityFile file, long record, ReadOnlySpan<DirtKind> applicable, out Rng rng)
    {
        rng = Rng.For(seed, RngStream.Dirt, record, (long)file + 1);
        var u = rng.NextDouble();
        foreach (var kind in applicable)
        {
            var rate = Rate(kind);
            if (u < rate)
            {
                return kind;
            }
            u -= rate;
        }
        return DirtKind.None;
    }

    public static void Record(CsvBuffer dirt, DirtKind kind, CityFile file, string key, string field, string clean, string dirty)
    {
        dirt.Field(Name(kind)).Field(CityFiles.Department(file)).Field(CityFiles.FileName(file)).Field(key).Field(field).Field(clean).Field(dirty).EndRow();
    }

    /// <summary>A resident ID or credit code with its check character replaced by another valid-looking one.</summary>
    public static string BreakCheckCharacter(string code, ref Rng rng, string alphabet)
    {
        var check = code[^1];
        char other;
        do
        {
            other = alphabet[rng.Next(alphabet.Length)];
        }
        while (other == check);
        return string.Concat(code.AsSpan(0, code.Length - 1), [other]);
    }

    /// <summary>Emits a department row, applying a field fault if one was chosen, and records the fault.</summary>
    public static void Emit(BlockBuffers block, CityFile file, string[] fields, string key, DirtKind kind, int field, string dirtyValue)
    {
        if (kind is not (DirtKind.None or DirtKind.Duplicate))
        {
            var clean = fields[field];
            fields[field] = dirtyValue;
            // A bad check character in the key field changes the key the department knows the record by.
            var recordedKey = field == 0 ? dirtyValue : key;
            Record(block[CityFile.Dirt], kind, file, recordedKey, CityFiles.Column(file, field), clean, dirtyValue);
        }
        Write(block[file], fields);
        if (kind == DirtKind.Duplicate)
        {
            Write(block[file], fields);
            Record(block[CityFile.Dirt], kind, file, key, "", "", "");
        }
    }

    public static void Write(CsvBuffer buffer, string[] fields)
    {
        foreach (var field in fields)
        {
            buffer.Field(field);
        }
        buffer.EndRow();
    }
}

/// <summary>An address's parts and its standard text; variants are the ways people and systems write it otherwise.</summary>
internal readonly record struct AddressParts(string District, string Street, string Road, int Number, int Building, int Unit, int Room, string? OldDistrict)
{
    public const string Province = "浙江省";
    public const string City = "杭州市";

    public string Tail
    {
        get
        {
            var sb = new StringBuilder();
            sb.Append(Road).Append(Number).Append('号');
            if (Building > 0)
            {
                sb.Append(Building).Append('幢');
            }
            if (Unit > 0)
            {
                sb.Append(Unit).Append("单元");
            }
            if (Room > 0)
            {
                sb.Append(Room).Append('室');
            }
            return sb.ToString();
        }
    }

    public string Standard => Province + City + District + Street + Tail;

    private static readonly Dictionary<char, char> Homophones = new()
    {
        ['文'] = '闻', ['新'] = '心', ['西'] = '溪', ['江'] = '姜', ['湖'] = '胡', ['城'] = '成', ['山'] = '杉', ['东'] = '冬',
        ['南'] = '楠', ['华'] = '化', ['安'] = '按', ['桥'] = '侨', ['平'] = '萍', ['兴'] = '星', ['阳'] = '杨', ['明'] = '鸣',
        ['州'] = '洲', ['路'] = '璐', ['街'] = '接', ['道'] = '到', ['林'] = '琳', ['园'] = '圆', ['金'] = '今', ['塘'] = '堂',
    };

    /// <summary>Another way of writing this address; always differs from the standard text.</summary>
    public string Variant(ref Rng rng)
    {
        while (true)
        {
            var text = rng.Next(7) switch
            {
                0 => City + District + Street + Tail,                        // province left out
                1 => "杭州" + District + Street + Tail,                       // abbreviated city, no province
                2 => OldDistrict is null ? null : Province + City + OldDistrict + Street + Tail, // district before 2021
                3 => Province + City + Street + Tail,                         // district missing
                4 => District + Street + Tail,                                // province and city missing
                5 => FullWidthDigits(Standard),
                _ => Typo(Standard, ref rng),
            };
            if (text is not null && text != Standard)
            {
                return text;
            }
        }
    }

    private static string FullWidthDigits(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (char.IsAsciiDigit(chars[i]))
            {
                chars[i] = (char)(chars[i] - '0' + '０');
            }
        }
        return new string(chars);
    }

    private string Typo(string text, ref Rng rng)
    {
        // A homophone in the street or road name, as a clerk typing pinyin would make it.
        var start = (Province + City + District).Length;
        var candidates = new List<int>();
        for (var i = start; i < text.Length; i++)
        {
            if (Homophones.ContainsKey(text[i]))
            {
                candidates.Add(i);
            }
        }
        if (candidates.Count == 0)
        {
            return text.Replace("幢", "栋", StringComparison.Ordinal).Replace("号", "号院", StringComparison.Ordinal);
        }
        var at = candidates[rng.Next(candidates.Count)];
        var chars = text.ToCharArray();
        chars[at] = Homophones[chars[at]];
        return new string(chars);
    }
}

namespace CityBrain.Data.Addresses;

/// <summary>A district (6-digit GB/T 2260 code) or a street/town (9 digits) of Hangzhou.</summary>
internal sealed record Division(string Code, string Name, string ParentCode);

/// <summary>A district as written in an address: the districts whose streets it may hold today, and its own code if it still exists.</summary>
/// <param name="Text">The words as found, e.g. 江干区 or 西湖.</param>
/// <param name="Scope">The current districts that took over its streets (江干区: 上城区 and 钱塘区).</param>
/// <param name="Code">The district it names today, or null when it was split (江干区) and only the street can tell.</param>
/// <param name="Bare">Written without 区/县/市 (西湖): yields to a street of the same name (西湖街道, 余杭街道).</param>
/// <param name="Typo">One character of the name was wrong (西糊区).</param>
internal sealed record DistrictMention(string Text, IReadOnlyList<string> Scope, string? Code, bool Bare, bool Typo = false);

/// <summary>
/// Hangzhou's real districts and streets (National Bureau of Statistics codes, extract of
/// ../shared/datasets/divisions embedded as hangzhou-divisions.csv so that the product works anywhere), the names the
/// districts had before the 2021 re-division, and how people shorten them.
/// </summary>
internal sealed class HangzhouDivisions
{
    public const string ProvinceName = "浙江省";
    public const string CityName = "杭州市";

    private static readonly Lazy<HangzhouDivisions> Embedded = new(LoadEmbedded);

    /// <summary>
    /// Names that people still write, with the current districts that hold their former streets. The 2021 re-division:
    /// 江干区 split into 上城区 and 钱塘区 (下沙, 白杨); 下城区 joined 拱墅区; 余杭区's east became 临平区; 萧山区's 大江东
    /// towns (河庄, 义蓬, 新湾, 临江, 前进) joined 钱塘区. Earlier: 富阳市 (2014) and 临安市 (2017) became districts.
    /// </summary>
    private static readonly (string Name, string? Code, string[] Scope)[] FormerNames =
    [
        ("江干区", null, ["330102", "330114"]),
        ("下城区", "330105", ["330105"]),
        ("大江东产业集聚区", "330114", ["330114"]),
        ("大江东", "330114", ["330114"]),
        ("富阳市", "330111", ["330111"]),
        ("临安市", "330112", ["330112"]),
        ("萧山市", "330109", ["330109", "330114"]),
        ("余杭市", "330110", ["330110", "330113"]),
    ];

    /// <summary>Districts that gave streets away in 2021: an old address may name them with a street that moved.</summary>
    private static readonly Dictionary<string, string[]> WiderScope = new(StringComparer.Ordinal)
    {
        ["330110"] = ["330110", "330113"],
        ["330109"] = ["330109", "330114"],
    };

    // District mentions longest first, so that 大江东产业集聚区 wins over 大江东.
    private readonly (string Text, DistrictMention Mention, bool Bare)[] _districtForms;
    private readonly Dictionary<string, Division> _streetForms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Division>.AlternateLookup<ReadOnlySpan<char>> _streetFormLookup;
    private readonly int _longestStreetForm;

    private HangzhouDivisions(IReadOnlyList<Division> districts, IReadOnlyList<Division> streets)
    {
        Districts = districts;
        Streets = streets;
        ByCode = districts.Concat(streets).ToDictionary(d => d.Code, StringComparer.Ordinal);
        StreetsByDistrict = streets.GroupBy(s => s.ParentCode, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<Division>)g.ToList(), StringComparer.Ordinal);

        var forms = new List<(string, DistrictMention, bool)>();
        foreach (var district in districts)
        {
            var scope = ScopeOf(district.Code);
            forms.Add((district.Name, new DistrictMention(district.Name, scope, district.Code, Bare: false), false));
            var bare = district.Name[..^1];
            if (bare.Length >= 2)
            {
                forms.Add((bare, new DistrictMention(bare, scope, district.Code, Bare: true), true));
            }
        }
        foreach (var (name, code, scope) in FormerNames)
        {
            forms.Add((name, new DistrictMention(name, scope, code, Bare: false), false));
            if (name.EndsWith('区'))
            {
                forms.Add((name[..^1], new DistrictMention(name[..^1], scope, code, Bare: true), true));
            }
        }
        _districtForms = [.. forms.OrderByDescending(f => f.Item1.Length).ThenBy(f => f.Item1, StringComparer.Ordinal)];

        foreach (var street in streets)
        {
            _streetForms[street.Name] = street;
            // 街道 is commonly shortened to 街 (文新街); a bare name without 街道/镇/乡 is too close to road names to trust.
            if (street.Name.EndsWith("街道", StringComparison.Ordinal))
            {
                _streetForms.TryAdd(street.Name[..^1], street);
            }
        }
        _streetFormLookup = _streetForms.GetAlternateLookup<ReadOnlySpan<char>>();
        _longestStreetForm = _streetForms.Keys.Max(k => k.Length);
    }

    public static HangzhouDivisions Instance => Embedded.Value;

    public IReadOnlyList<Division> Districts { get; }

    public IReadOnlyList<Division> Streets { get; }

    public IReadOnlyDictionary<string, Division> ByCode { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<Division>> StreetsByDistrict { get; }

    /// <summary>The district named at the start of <paramref name="text"/>, or null; a bare name (西湖) only when no street word follows (西湖街道 is a street).</summary>
    public (DistrictMention Mention, int Length)? MatchDistrict(ReadOnlySpan<char> text)
    {
        foreach (var (form, mention, bare) in _districtForms)
        {
            if (!text.StartsWith(form, StringComparison.Ordinal))
            {
                continue;
            }
            if (bare && text.Length > form.Length && "街镇乡路巷道大弄".Contains(text[form.Length]))
            {
                continue;
            }
            return (mention, form.Length);
        }

        // One wrong character in a current district's name (西糊区), its 区/县/市 right, when only one district fits.
        (DistrictMention Mention, int Length)? typo = null;
        foreach (var district in Districts)
        {
            var name = district.Name.AsSpan();
            if (text.Length < name.Length || text[name.Length - 1] != name[^1] || Differences(text[..(name.Length - 1)], name[..^1]) != 1)
            {
                continue;
            }
            if (typo is not null)
            {
                return null;
            }
            typo = (new DistrictMention(text[..name.Length].ToString(), ScopeOf(district.Code), district.Code, Bare: false, Typo: true), name.Length);
        }
        return typo;
    }

    /// <summary>The districts whose streets an address under this district's name may name (余杭区: also today's 临平区).</summary>
    private static string[] ScopeOf(string districtCode) => WiderScope.TryGetValue(districtCode, out var wider) ? wider : [districtCode];

    private static int Differences(ReadOnlySpan<char> a, ReadOnlySpan<char> b)
    {
        var differences = 0;
        for (var i = 0; i < a.Length; i++)
        {
            differences += a[i] == b[i] ? 0 : 1;
        }
        return differences;
    }

    /// <summary>
    /// The street named at the start of <paramref name="text"/>: exact (full or 街 for 街道) first, else one wrong character
    /// (长河街到, 转堂街道). When several streets of the scope are one character off (新堂街道: 新塘 or 新街), all are returned
    /// and the road decides. A street followed by a digit is a road (丽水街5号), not a street.
    /// </summary>
    public StreetFound? MatchStreet(ReadOnlySpan<char> text, IReadOnlyList<string>? scope)
    {
        if (MatchStreetExactly(text) is { } exact)
        {
            // Named exactly: kept even outside the named district (the caller weighs the conflict).
            return exact with { OutsideDistrict = scope is not null && !scope.Contains(exact.Street!.ParentCode) };
        }

        List<Division>? candidates = null;
        foreach (var street in scope is null ? Streets : scope.SelectMany(d => StreetsByDistrict.GetValueOrDefault(d) ?? []))
        {
            if (OneCharacterOff(text, street.Name) && !FollowedByDigit(text, street.Name.Length))
            {
                (candidates ??= []).Add(street);
            }
        }
        return candidates switch
        {
            null => null,
            [var only] => new StreetFound(only, [only], only.Name.Length, Typo: true, OutsideDistrict: false),
            // Same length or not, the words to skip are those of the shortest reading; the road is read from what follows.
            _ => new StreetFound(null, candidates, candidates.Min(c => c.Name.Length), Typo: true, OutsideDistrict: false),
        };
    }

    /// <summary>A street named exactly (full name, or 街 for 街道) at the start of the text.</summary>
    public StreetFound? MatchStreetExactly(ReadOnlySpan<char> text)
    {
        for (var length = Math.Min(_longestStreetForm, text.Length); length >= 2; length--)
        {
            if (_streetFormLookup.TryGetValue(text[..length], out var street) && !FollowedByDigit(text, length))
            {
                return new StreetFound(street, [street], length, Typo: false, OutsideDistrict: false);
            }
        }
        return null;
    }

    private static bool FollowedByDigit(ReadOnlySpan<char> text, int length) => text.Length > length && char.IsAsciiDigit(text[length]);

    /// <summary>
    /// Exactly one character differs. A 街道 may be misspelt anywhere (南星接道); a 镇/乡 only in its name, since 瓶窑路 is a road
    /// and not 瓶窑镇; other kinds (萧山商业城, 红山农场) anywhere when five characters or longer.
    /// </summary>
    private static bool OneCharacterOff(ReadOnlySpan<char> text, string name)
    {
        if (text.Length < name.Length || name.Length < 3)
        {
            return false;
        }
        var comparable = name.EndsWith("街道", StringComparison.Ordinal) ? name.Length
            : name.EndsWith('镇') || name.EndsWith('乡') ? name.Length - 1
            : name.Length >= 5 ? name.Length
            : 0;
        if (comparable == 0 || (comparable < name.Length && text[comparable] != name[comparable]))
        {
            return false;
        }
        var differences = 0;
        for (var i = 0; i < comparable; i++)
        {
            if (text[i] != name[i] && ++differences > 1)
            {
                return false;
            }
        }
        return differences == 1;
    }

    private static HangzhouDivisions LoadEmbedded()
    {
        using var stream = typeof(HangzhouDivisions).Assembly.GetManifestResourceStream("CityBrain.Data.Addresses.hangzhou-divisions.csv")
            ?? throw new InvalidOperationException("The embedded Hangzhou divisions are missing from CityBrain.Data.");
        using var reader = new StreamReader(stream);
        var districts = new List<Division>();
        var streets = new List<Division>();
        reader.ReadLine(); // header: code,name,parent
        while (reader.ReadLine() is { Length: > 0 } line)
        {
            var parts = line.Split(',');
            var division = new Division(parts[0], parts[1], parts[2]);
            (division.Code.Length == 6 ? districts : division.Code.Length == 9 ? streets : null)?.Add(division);
        }
        return new HangzhouDivisions(districts, streets);
    }
}

/// <summary>A street found in the text, how long its words were, and what was wrong with them.</summary>
/// <param name="Street">The street, or null when a typo leaves several <paramref name="Candidates"/>.</param>
internal sealed record StreetFound(Division? Street, IReadOnlyList<Division> Candidates, int Length, bool Typo, bool OutsideDistrict);

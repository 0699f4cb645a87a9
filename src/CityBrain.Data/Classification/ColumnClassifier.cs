using System.Globalization;
using System.Text.RegularExpressions;
using CityBrain.Kernel.Identifiers;
using DuckDB.NET.Data;

namespace CityBrain.Data.Classification;

/// <summary>
/// Proposes what each column of a dataset holds, from its name (pinyin initials such as SFZH/XM/LXDH/JZDZ, English,
/// snake or camel case) and from a sample of its values (check characters, phone and card patterns, Chinese names,
/// addresses, coordinates, ICD-10 codes), with the level and mask kind that follow. The owner confirms.
/// </summary>
internal static partial class ColumnClassifier
{
    public const int SampleSize = 1000;

    /// <summary>Share of sampled values that must look like a category for the values alone to decide it (dirt is tolerated).</summary>
    private const double ContentThreshold = 0.8;

    /// <summary>Share that confirms a category the column's name suggests.</summary>
    private const double HintThreshold = 0.3;

    // Normalised column names (lower case, letters and digits only) by the category they suggest.
    private static readonly Dictionary<string, PersonalCategory> NameHints = new Dictionary<string, PersonalCategory>(StringComparer.Ordinal)
        .With(PersonalCategory.ResidentId, "sfzh", "sfzhm", "gmsfhm", "zjhm", "idnumber", "idno", "idcard", "idcardno", "residentid", "personid",
            "childid", "motherid", "fatherid", "psnno", "certno", "legalrepresidentid", "ownerresidentid", "headresidentid")
        .With(PersonalCategory.Name, "xm", "name", "xingming", "psnname", "childname", "syr", "lerep", "fddbr", "frdb", "ownername", "fullname", "personname")
        .With(PersonalCategory.Phone, "lxdh", "sjhm", "phone", "mobile", "tel", "telephone", "phoneno", "mobileno", "lxfs", "contactphone")
        .With(PersonalCategory.Address, "jzdz", "hjdz", "zz", "dz", "address", "addr", "dom", "homeaddress", "residenceaddress", "standard")
        .With(PersonalCategory.BankCard, "yhkh", "yhzh", "bankcard", "bankcardno", "cardno", "bankaccount", "accountno", "acctno")
        .With(PersonalCategory.Coordinates, "lon", "lng", "longitude", "lat", "latitude", "jd", "wd", "gpsx", "gpsy")
        .With(PersonalCategory.Health, "icd10", "causeicd10", "icd", "diagnosis", "zdbm", "jbzd", "jbbm", "disease", "diagnosiscode");

    // The commonest Chinese surnames (about 90 % of the population); compound ones match by their first two characters.
    private const string Surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝";
    private static readonly string[] CompoundSurnames = ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐", "夏侯"];

    /// <summary>Samples the view reproducibly and classifies each of its columns.</summary>
    public static async Task<IReadOnlyList<ColumnClassification>> ClassifyAsync(DuckDBConnection connection, string dataset, string view, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {Quality.QualitySql.Quote(view)} USING SAMPLE reservoir({SampleSize} ROWS) REPEATABLE (7)";
        await using var registration = cancellationToken.Register(command.Cancel);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var columns = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        var rows = new List<string?[]>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add([.. Enumerable.Range(0, columns.Count).Select(i => reader.IsDBNull(i) ? null : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))]);
        }
        return Classify(dataset, columns, rows);
    }

    /// <summary>Classifies the columns of a dataset from their names and sampled rows.</summary>
    public static IReadOnlyList<ColumnClassification> Classify(string dataset, IReadOnlyList<string> columns, IReadOnlyList<string?[]> rows)
    {
        var guesses = columns.Select((column, i) => GuessColumn(column, rows.Select(r => r[i]).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList())).ToList();

        // Coordinates come in pairs: a longitude-like column alone is just a number.
        var longitudes = guesses.Count(g => g.Category == PersonalCategory.Coordinates && g.Axis == 'x');
        var latitudes = guesses.Count(g => g.Category == PersonalCategory.Coordinates && g.Axis == 'y');
        // An address or coordinates belong to a person only in a dataset about people (one that carries a person's ID or phone).
        var aboutPeople = guesses.Any(g => g.Category is PersonalCategory.ResidentId or PersonalCategory.Phone);

        return [.. columns.Select((column, i) =>
        {
            var guess = guesses[i];
            var evidence = guess.Evidence.ToList();
            var category = guess.Category;
            if (category == PersonalCategory.Coordinates && (longitudes == 0 || latitudes == 0))
            {
                evidence.Add("no matching longitude/latitude column: not a coordinate pair");
                category = PersonalCategory.None;
            }
            var personal = category switch
            {
                PersonalCategory.None => PersonalLevel.None,
                PersonalCategory.ResidentId or PersonalCategory.BankCard or PersonalCategory.Health => PersonalLevel.SensitivePersonal,
                PersonalCategory.Coordinates when aboutPeople => PersonalLevel.SensitivePersonal,
                PersonalCategory.Address or PersonalCategory.Coordinates when !aboutPeople => PersonalLevel.None,
                _ => PersonalLevel.Personal,
            };
            if (personal == PersonalLevel.None && category is PersonalCategory.Address or PersonalCategory.Coordinates)
            {
                evidence.Add("the dataset carries no person's ID or phone: the location of an organisation, not of a person");
            }
            var mask = category switch
            {
                PersonalCategory.ResidentId => "resident-id",
                PersonalCategory.Phone => "phone",
                PersonalCategory.Name => "name",
                PersonalCategory.Address when personal != PersonalLevel.None => "address",
                PersonalCategory.BankCard => "bank-card",
                _ when personal != PersonalLevel.None => "generic",
                _ => null,
            };
            // Sensitive personal information of many people is important data (数据安全法); core data is the owner's call.
            var dataLevel = personal == PersonalLevel.SensitivePersonal ? DataLevel.Important : DataLevel.General;
            return new ColumnClassification(dataset, column, personal == PersonalLevel.None ? PersonalCategory.None : category, personal, dataLevel, mask,
                personal == PersonalLevel.None && category != PersonalCategory.None ? 1 - guess.Confidence : guess.Confidence, evidence);
        })];
    }

    private sealed record Guess(PersonalCategory Category, double Confidence, IReadOnlyList<string> Evidence, char Axis = ' ');

    private static Guess GuessColumn(string column, IReadOnlyList<string> values)
    {
        var normalised = new string([.. column.Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant)]);
        var hint = NameHints.TryGetValue(normalised, out var hinted) ? hinted : PersonalCategory.None;
        var shares = ContentShares(values);
        var best = shares.OrderByDescending(s => s.Value).FirstOrDefault();
        var evidence = new List<string>();
        if (hint != PersonalCategory.None)
        {
            evidence.Add($"column name '{column}' suggests {Describe(hint)}");
        }
        if (values.Count == 0)
        {
            return hint == PersonalCategory.None
                ? new Guess(PersonalCategory.None, 0.5, ["no values to sample"])
                : new Guess(hint, 0.6, [.. evidence, "no values to sample: by name only"], AxisOf(normalised, hint));
        }

        if (best.Value >= ContentThreshold)
        {
            evidence.Add($"{best.Value:P1} of {values.Count} sampled values look like {Describe(best.Key)}");
            var confidence = Math.Min(1, best.Value + (hint == best.Key ? 0.05 : 0));
            return new Guess(best.Key, Math.Round(confidence, 3), evidence, AxisOf(normalised, best.Key, values));
        }
        if (hint != PersonalCategory.None && shares.GetValueOrDefault(hint) >= HintThreshold)
        {
            evidence.Add($"{shares[hint]:P1} of {values.Count} sampled values agree");
            return new Guess(hint, Math.Round(0.5 + shares[hint] / 2, 3), evidence, AxisOf(normalised, hint, values));
        }
        if (hint != PersonalCategory.None)
        {
            evidence.Add($"but only {shares.GetValueOrDefault(hint):P1} of {values.Count} sampled values look like {Describe(hint)}");
        }
        return new Guess(PersonalCategory.None, Math.Round(1 - Math.Max(best.Value, shares.GetValueOrDefault(hint)), 3), evidence);
    }

    /// <summary>Share of the values that look like each category (resident IDs are tested before cards: an ID can pass Luhn).</summary>
    private static Dictionary<PersonalCategory, double> ContentShares(IReadOnlyList<string> values)
    {
        var counts = new Dictionary<PersonalCategory, int>();
        foreach (var value in values)
        {
            var category = ResidentId.IsValid(value) ? PersonalCategory.ResidentId
                : PhonePattern().IsMatch(value) ? PersonalCategory.Phone
                : CardPattern().IsMatch(value) && PassesLuhn(value) ? PersonalCategory.BankCard
                : IcdPattern().IsMatch(value) ? PersonalCategory.Health
                : IsPersonName(value) ? PersonalCategory.Name
                : AddressPattern().IsMatch(value) ? PersonalCategory.Address
                : IsCoordinate(value) ? PersonalCategory.Coordinates
                : PersonalCategory.None;
            counts[category] = counts.GetValueOrDefault(category) + 1;
        }
        counts.Remove(PersonalCategory.None);
        return counts.ToDictionary(c => c.Key, c => (double)c.Value / values.Count);
    }

    private static bool IsPersonName(string value)
    {
        if (!ChineseNamePattern().IsMatch(value))
        {
            return false;
        }
        return CompoundSurnames.Any(s => value.StartsWith(s, StringComparison.Ordinal) && value.Length >= 3)
            || (Surnames.Contains(value[0], StringComparison.Ordinal) && value.Length <= 4);
    }

    internal static bool PassesLuhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d = d * 2 > 9 ? d * 2 - 9 : d * 2;
            }
            sum += d;
        }
        return sum % 10 == 0;
    }

    /// <summary>A decimal degree with at least four decimals inside China's extent (73-136°E, 3-54°N).</summary>
    private static bool IsCoordinate(string value) =>
        DegreePattern().IsMatch(value) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d is >= 3 and <= 136;

    private static char AxisOf(string normalised, PersonalCategory category, IReadOnlyList<string>? values = null)
    {
        if (category != PersonalCategory.Coordinates)
        {
            return ' ';
        }
        if (normalised is "lon" or "lng" or "longitude" or "jd" or "gpsx")
        {
            return 'x';
        }
        if (normalised is "lat" or "latitude" or "wd" or "gpsy")
        {
            return 'y';
        }
        var median = values?.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : 0).Order().ElementAtOrDefault(values.Count / 2) ?? 0;
        return median >= 73 ? 'x' : median <= 54 ? 'y' : ' ';
    }

    private static string Describe(PersonalCategory category) => category switch
    {
        PersonalCategory.ResidentId => "resident IDs with a valid check character",
        PersonalCategory.Phone => "mobile numbers",
        PersonalCategory.BankCard => "bank card numbers (Luhn)",
        PersonalCategory.Name => "Chinese personal names",
        PersonalCategory.Address => "addresses",
        PersonalCategory.Coordinates => "coordinates",
        PersonalCategory.Health => "ICD-10 diagnosis codes (health data)",
        _ => "nothing personal",
    };

    private static Dictionary<string, PersonalCategory> With(this Dictionary<string, PersonalCategory> hints, PersonalCategory category, params string[] names)
    {
        foreach (var name in names)
        {
            hints[name] = category;
        }
        return hints;
    }

    [GeneratedRegex(@"^1[3-9]\d{9}$")]
    private static partial Regex PhonePattern();

    [GeneratedRegex(@"^\d{16,19}$")]
    private static partial Regex CardPattern();

    [GeneratedRegex(@"^[A-TV-Z]\d{2}(\.[0-9A-Z]{1,4})?$")]
    private static partial Regex IcdPattern();

    [GeneratedRegex(@"^[\u4e00-\u9fa5]{2,4}$")]
    private static partial Regex ChineseNamePattern();

    // A province, city, district or county, then a road, street, lane, number or village.
    [GeneratedRegex(@"[\u4e00-\u9fa5]{2,}(省|市|区|县).*(路|街|巷|弄|号|村|组)")]
    private static partial Regex AddressPattern();

    [GeneratedRegex(@"^-?\d{1,3}\.\d{4,}$")]
    private static partial Regex DegreePattern();
}

using System.Text.RegularExpressions;

namespace CityBrain.Hub.Gateway;

/// <summary>
/// How personal values leave the hub when a grant releases them only masked. The kinds are those a field
/// declares (<c>mask:</c>); a field that declares none is masked by what its value looks like.
/// </summary>
public static partial class Masking
{
    // Compound surnames keep both characters: 欧阳娜娜 → 欧阳**.
    private static readonly string[] CompoundSurnames =
    [
        "欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文", "司徒", "令狐", "夏侯",
        "轩辕", "端木", "独孤", "南宫", "西门", "申屠", "闻人", "澹台", "公冶", "太史", "呼延", "赫连", "万俟",
    ];

    public static string Mask(string value, string? kind) => (kind ?? Infer(value)) switch
    {
        "resident-id" => ResidentId(value),
        "phone" => Phone(value),
        "name" => Name(value),
        "address" => Address(value),
        "bank-card" => BankCard(value),
        _ => Generic(value),
    };

    /// <summary>What a value looks like, for fields that declare no mask kind.</summary>
    public static string Infer(string value)
    {
        if (Kernel.Identifiers.ResidentId.IsValid(value))
        {
            return "resident-id";
        }
        if (MobilePattern().IsMatch(value))
        {
            return "phone";
        }
        if (CardPattern().IsMatch(value))
        {
            return "bank-card";
        }
        if (value.Length > 6 && AddressMarkers().IsMatch(value))
        {
            return "address";
        }
        if (NamePattern().IsMatch(value))
        {
            return "name";
        }
        return "generic";
    }

    /// <summary>330106199001011234 → 330106********1234: the birthplace stays, the birth date and sequence go.</summary>
    public static string ResidentId(string value) =>
        value.Length == 18 ? string.Concat(value.AsSpan(0, 6), "********", value.AsSpan(14)) : Generic(value);

    /// <summary>13812345678 → 138****5678.</summary>
    public static string Phone(string value) =>
        value.Length >= 8 ? string.Concat(value.AsSpan(0, 3), new string('*', value.Length - 7), value.AsSpan(value.Length - 4)) : Generic(value);

    /// <summary>张三 → 张*, 李小明 → 李**, 欧阳娜娜 → 欧阳**.</summary>
    public static string Name(string value)
    {
        if (value.Length <= 1)
        {
            return "*";
        }
        var keep = value.Length > 2 && CompoundSurnames.Any(s => value.StartsWith(s, StringComparison.Ordinal)) ? 2 : 1;
        return string.Concat(value.AsSpan(0, keep), new string('*', value.Length - keep));
    }

    /// <summary>Cut at the street: 浙江省杭州市西湖区文新街道文一西路100号 → 浙江省杭州市西湖区文新街道****.</summary>
    public static string Address(string value)
    {
        var street = StreetLevel().Match(value);
        if (street.Success)
        {
            return value[..(street.Index + street.Length)] + "****";
        }
        var district = DistrictLevel().Match(value);
        return district.Success ? value[..(district.Index + district.Length)] + "****" : Generic(value);
    }

    /// <summary>6222021234567890123 → 622202*********0123.</summary>
    public static string BankCard(string value) =>
        value.Length >= 12 ? string.Concat(value.AsSpan(0, 6), new string('*', value.Length - 10), value.AsSpan(value.Length - 4)) : Generic(value);

    /// <summary>Keeps the first and last character: abcdef → a****f.</summary>
    public static string Generic(string value) => value.Length switch
    {
        0 => "",
        1 or 2 => new string('*', value.Length),
        _ => string.Concat(value.AsSpan(0, 1), new string('*', value.Length - 2), value.AsSpan(value.Length - 1)),
    };

    [GeneratedRegex(@"^1[3-9]\d{9}$")]
    private static partial Regex MobilePattern();

    [GeneratedRegex(@"^\d{16,19}$")]
    private static partial Regex CardPattern();

    [GeneratedRegex("[省市区县]|街道|路|号")]
    private static partial Regex AddressMarkers();

    [GeneratedRegex(@"^[\p{IsCJKUnifiedIdeographs}·]{2,6}$")]
    private static partial Regex NamePattern();

    // The first street-level unit after the district: 街道, 镇 or 乡 (lazy, so 文新街道 ends the match).
    [GeneratedRegex("^.*?(?:区|县|市).*?(?:街道|镇|乡)")]
    private static partial Regex StreetLevel();

    [GeneratedRegex("^.*(?:区|县)")]
    private static partial Regex DistrictLevel();
}

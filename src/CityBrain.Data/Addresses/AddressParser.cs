namespace CityBrain.Data.Addresses;

/// <summary>The levels read from one cleaned address; any of them may be missing.</summary>
/// <param name="RoadText">The words before the house number: the road, possibly behind a community or shop name.</param>
internal sealed record ParsedAddress(
    DistrictMention? District,
    StreetFound? Street,
    string RoadText,
    string? Number,
    string? Building,
    string? Unit,
    string? Room);

/// <summary>
/// Reads the levels of a cleaned address left to right: province and city (optional, 杭州 for 杭州市), district (current,
/// former or bare name), street/town, community, road, number, then building (幢/栋/号楼/座), unit (单元), room (室),
/// or the short form 3-2-501. Words after the last level (附近, 对面, a shop's name) are ignored.
/// </summary>
internal static class AddressParser
{
    private static readonly string[] LeadingWords = ["中华人民共和国", "中国", "浙江省", "浙江", "杭州市"];
    private static readonly string[] TrailingWords = ["附近", "对面", "旁边", "周边", "一带", "门口", "楼下", "东侧", "西侧", "南侧", "北侧", "旁"];

    public static ParsedAddress Parse(string text, HangzhouDivisions divisions)
    {
        var rest = text.AsSpan();
        // A label before the address (地址:, 收货地址:, Address) is not part of it.
        rest = rest.TrimStart("ABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (rest.IndexOf("地址", StringComparison.Ordinal) is >= 0 and < 6 and var label)
        {
            rest = rest[(label + 2)..];
        }
        foreach (var word in LeadingWords)
        {
            if (rest.StartsWith(word, StringComparison.Ordinal))
            {
                rest = rest[word.Length..];
            }
        }

        // 杭州 without 市 is the city only when a district or street follows: 杭州湾街 is a road.
        if (rest.StartsWith("杭州", StringComparison.Ordinal) && (divisions.MatchDistrict(rest[2..]) is not null || divisions.MatchStreet(rest[2..], null) is not null))
        {
            rest = rest[2..];
        }

        var district = divisions.MatchDistrict(rest);
        if (district is { Mention.Bare: true } && divisions.MatchStreetExactly(rest) is { } sameName && sameName.Length > district.Value.Length)
        {
            district = null; // 萧山商业城 is a street, not 萧山 followed by 商业城
        }
        if (district is { } d)
        {
            rest = rest[d.Length..];
        }

        var street = divisions.MatchStreet(rest, district?.Mention.Scope);
        if (district is { Mention.Typo: true } && street is not { Street: not null, Typo: false, OutsideDistrict: false })
        {
            // A misspelt district counts only when the street named exactly after it lies in it (东湖区 is not 西湖区 by itself).
            district = null;
            street = divisions.MatchStreet(rest, null);
        }
        if (street is not null)
        {
            rest = rest[street.Length..];
        }

        // A community (XX社区, XX村委会) between street and road is not part of the road's name.
        var firstDigit = rest.IndexOfAnyInRange('0', '9');
        var beforeNumber = firstDigit < 0 ? rest : rest[..firstDigit];
        foreach (var marker in (ReadOnlySpan<string>)["社区", "村委会", "居委会"])
        {
            var at = beforeNumber.LastIndexOf(marker, StringComparison.Ordinal);
            if (at >= 0)
            {
                rest = rest[(at + marker.Length)..];
                beforeNumber = beforeNumber[(at + marker.Length)..];
            }
        }

        if (firstDigit < 0)
        {
            return new ParsedAddress(district?.Mention, street, WithoutTrailingWords(rest), null, null, null, null);
        }

        var roadText = beforeNumber.ToString();
        rest = rest[beforeNumber.Length..];
        var number = TakeDigits(ref rest);
        Skip(ref rest, "号");
        Skip(ref rest, "院"); // 8号院1栋: a compound and its buildings

        // The short form after the number: 3-2-501 (building-unit-room) or 3-501 (building-room).
        var probe = rest;
        Skip(ref probe, "-");
        if (probe.Length > 0 && char.IsAsciiDigit(probe[0]))
        {
            var first = TakeDigits(ref probe);
            if (Skip(ref probe, "-") && probe.Length > 0 && char.IsAsciiDigit(probe[0]))
            {
                var second = TakeDigits(ref probe);
                return Skip(ref probe, "-") && probe.Length > 0 && char.IsAsciiDigit(probe[0])
                    ? new ParsedAddress(district?.Mention, street, roadText, number, first, second, TakeDigits(ref probe))
                    : new ParsedAddress(district?.Mention, street, roadText, number, first, null, second);
            }
        }

        string? building = null, unit = null, room = null;
        Skip(ref rest, "-");
        while (rest.Length > 0 && char.IsAsciiDigit(rest[0]))
        {
            var value = TakeDigits(ref rest);
            if (Skip(ref rest, "幢") || Skip(ref rest, "栋") || Skip(ref rest, "号楼") || Skip(ref rest, "座") || Skip(ref rest, "#"))
            {
                building ??= value;
            }
            else if (Skip(ref rest, "单元"))
            {
                unit ??= value;
            }
            else if (Skip(ref rest, "室") || Skip(ref rest, "号房") || Skip(ref rest, "房") || rest.Length == 0 || Skip(ref rest, "号"))
            {
                room ??= value;
                break;
            }
            else if (Skip(ref rest, "层") || Skip(ref rest, "楼"))
            {
                // A floor is not a level of the standard address; the room number carries it.
            }
            else
            {
                // A bare number after the building or unit is the room (1幢302附近); anywhere else it is not a level.
                if (building is not null || unit is not null)
                {
                    room ??= value;
                }
                break;
            }
            Skip(ref rest, "-");
        }
        return new ParsedAddress(district?.Mention, street, roadText, number, building, unit, room);
    }

    private static string WithoutTrailingWords(ReadOnlySpan<char> text)
    {
        var trimmed = true;
        while (trimmed)
        {
            trimmed = false;
            foreach (var word in TrailingWords)
            {
                if (text.EndsWith(word, StringComparison.Ordinal))
                {
                    text = text[..^word.Length];
                    trimmed = true;
                }
            }
        }
        return text.ToString();
    }

    private static string TakeDigits(ref ReadOnlySpan<char> text)
    {
        var length = text.IndexOfAnyExceptInRange('0', '9');
        length = length < 0 ? text.Length : length;
        var digits = text[..length].TrimStart('0');
        text = text[length..];
        return digits.Length == 0 ? "0" : digits.ToString();
    }

    private static bool Skip(ref ReadOnlySpan<char> text, string word)
    {
        if (!text.StartsWith(word, StringComparison.Ordinal))
        {
            return false;
        }
        text = text[word.Length..];
        return true;
    }
}

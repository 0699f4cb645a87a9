using System.Text;

namespace CityBrain.Data.Addresses;

/// <summary>
/// Turns free text into the form the parser reads: NFKC (full-width digits and letters become ASCII), no spaces or
/// punctuation, no remarks in brackets (阿里巴巴西溪园区), Chinese numerals before a level word as digits (三单元 → 3单元).
/// </summary>
internal static class AddressText
{
    /// <summary>Longer than any real address; a longer line is refused rather than parsed.</summary>
    public const int MaxLength = 256;

    private const string ChineseDigits = "零〇一二两三四五六七八九";
    private const string LevelWords = "号幢栋单室层楼座";
    private const string Openers = "([{【〔<《";
    private const string Closers = ")]}】〕>》";

    /// <summary>The cleaned text, or null with the reason it cannot be an address.</summary>
    public static string? Clean(string? input, out string? refusal)
    {
        refusal = null;
        if (string.IsNullOrWhiteSpace(input))
        {
            refusal = "empty: no address given";
            return null;
        }
        if (input.Length > MaxLength)
        {
            refusal = $"too long: {input.Length} characters, an address has at most {MaxLength}";
            return null;
        }
        if (input.AsSpan().ContainsAny('\0', '\uFFFD'))
        {
            refusal = "not text: the line holds binary data or is not UTF-8";
            return null;
        }

        string normalized;
        try
        {
            normalized = input.Normalize(NormalizationForm.FormKC);
        }
        catch (ArgumentException)
        {
            refusal = "not text: the line holds unpaired surrogates";
            return null;
        }

        var text = new StringBuilder(normalized.Length);
        for (var i = 0; i < normalized.Length; i++)
        {
            var c = normalized[i];
            if (Openers.Contains(c) && ClosingBracket(normalized, i) is var close and > 0)
            {
                i = close; // a remark: (阿里巴巴西溪园区), 【快递柜】
                continue;
            }
            if (char.IsAsciiLetterOrDigit(c))
            {
                text.Append(char.ToUpperInvariant(c));
            }
            else if (c is '-' or '—' or '–' or '~')
            {
                text.Append('-');
            }
            else if (c == '#' || char.IsLetter(c))
            {
                text.Append(c);
            }
            // Spaces, commas, other punctuation, unmatched brackets and control characters carry no address level: dropped.
        }
        if (text.Length == 0)
        {
            refusal = "no address: only punctuation or remarks";
            return null;
        }
        return ReplaceChineseNumerals(text.ToString());
    }

    /// <summary>Where the bracket opened at <paramref name="open"/> closes (nested ones counted), or -1 if never.</summary>
    private static int ClosingBracket(string text, int open)
    {
        var depth = 0;
        for (var i = open; i < text.Length; i++)
        {
            depth += Openers.Contains(text[i]) ? 1 : Closers.Contains(text[i]) ? -1 : 0;
            if (depth == 0)
            {
                return i;
            }
        }
        return -1;
    }

    /// <summary>三单元 → 3单元, 十二幢 → 12幢, 五零一室 → 501室; numerals inside names (文三路, 三墩镇) are left alone.</summary>
    private static string ReplaceChineseNumerals(string text)
    {
        if (text.AsSpan().IndexOfAny(ChineseDigits + "十百") < 0)
        {
            return text;
        }
        var result = new StringBuilder(text.Length);
        var i = 0;
        while (i < text.Length)
        {
            var end = i;
            while (end < text.Length && (ChineseDigits.Contains(text[end]) || text[end] is '十' or '百'))
            {
                end++;
            }
            if (end > i && end < text.Length && LevelWords.Contains(text[end]) && ChineseNumber(text.AsSpan(i, end - i)) is { } value)
            {
                result.Append(value);
                i = end;
                continue;
            }
            if (end > i)
            {
                result.Append(text, i, end - i);
                i = end;
                continue;
            }
            result.Append(text[i++]);
        }
        return result.ToString();
    }

    /// <summary>A positional numeral (二十三, 一百零一) or a digit string (五零一); null if neither.</summary>
    private static string? ChineseNumber(ReadOnlySpan<char> numeral)
    {
        static int Digit(char c) => c switch { '〇' => 0, '两' => 2, _ => "零一二三四五六七八九".IndexOf(c) };

        if (!numeral.ContainsAny('十', '百'))
        {
            var digits = new StringBuilder(numeral.Length);
            foreach (var c in numeral)
            {
                digits.Append((char)('0' + Digit(c)));
            }
            return digits.ToString();
        }
        int total = 0, current = 0;
        foreach (var c in numeral)
        {
            switch (c)
            {
                case '百':
                    total += Math.Max(current, 1) * 100;
                    current = 0;
                    break;
                case '十':
                    total += Math.Max(current, 1) * 10;
                    current = 0;
                    break;
                default:
                    current = Digit(c);
                    break;
            }
        }
        total += current;
        return total > 0 ? total.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
    }
}

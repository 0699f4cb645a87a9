using System.Diagnostics.CodeAnalysis;

namespace CityBrain.Kernel.Identifiers;

/// <summary>An administrative division code: 2 (province), 4 (city), 6 (county/district, GB/T 2260) or 9/12 digits (street, community).</summary>
public readonly record struct DivisionCode
{
    // The province-level codes of GB/T 2260, by region: north, north-east, east, south-central, south-west,
    // north-west, then Taiwan, Hong Kong and Macao. The gaps (16-20, 24-30, ...) are not provinces.
    private const string ProvinceCodes = "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82";

    private DivisionCode(string value) => Value = value;

    public string Value { get; }

    public static bool TryParse([NotNullWhen(true)] string? text, out DivisionCode code, out string? error)
    {
        code = default;
        error = null;
        if (text is null || text.Length is not (2 or 4 or 6 or 9 or 12) || !text.All(char.IsAsciiDigit))
        {
            error = "a division code has 2, 4, 6, 9 or 12 digits";
            return false;
        }
        if (!IsProvince(text.AsSpan(0, 2)))
        {
            error = $"the first two digits must be a province code of GB/T 2260 ({ProvinceCodes})";
            return false;
        }
        code = new DivisionCode(text);
        return true;
    }

    public static bool IsValid(string? text) => TryParse(text, out _, out _);

    /// <summary>Whether two digits are a province-level code of GB/T 2260.</summary>
    internal static bool IsProvince(ReadOnlySpan<char> twoDigits) =>
        twoDigits.Length == 2 && char.IsAsciiDigit(twoDigits[0]) && char.IsAsciiDigit(twoDigits[1]) &&
        ProvinceCodes.AsSpan().IndexOf(twoDigits, StringComparison.Ordinal) % 3 == 0;

    public override string ToString() => Value;
}

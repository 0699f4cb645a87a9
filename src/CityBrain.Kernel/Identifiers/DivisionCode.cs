using System.Diagnostics.CodeAnalysis;

namespace CityBrain.Kernel.Identifiers;

/// <summary>An administrative division code: 2 (province), 4 (city), 6 (county/district, GB/T 2260) or 9/12 digits (street, community).</summary>
public readonly record struct DivisionCode
{
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
        if (text[..2] is "00" || int.Parse(text[..2], System.Globalization.CultureInfo.InvariantCulture) is < 11 or > 82)
        {
            error = "the first two digits must be a province code (11-82)";
            return false;
        }
        code = new DivisionCode(text);
        return true;
    }

    public static bool IsValid(string? text) => TryParse(text, out _, out _);

    public override string ToString() => Value;
}

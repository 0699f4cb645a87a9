using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace CityBrain.Kernel.Identifiers;

/// <summary>An 18-character resident identity number (GB 11643-1999) with its ISO 7064 MOD 11-2 check character.</summary>
public readonly record struct ResidentId
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckCharacters = "10X98765432";

    private ResidentId(string value) => Value = value;

    public string Value { get; }

    public string DivisionCode => Value[..6];

    public DateOnly BirthDate => DateOnly.ParseExact(Value.AsSpan(6, 8), "yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>Odd sequence digit for men, even for women.</summary>
    public bool IsMale => (Value[16] - '0') % 2 == 1;

    public static char ComputeCheckCharacter(ReadOnlySpan<char> first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += (first17[i] - '0') * Weights[i];
        }
        return CheckCharacters[sum % 11];
    }

    /// <summary>Validates format, birthplace province, birth date and check character; lower-case 'x' is accepted and normalised.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out ResidentId id, out string? error)
    {
        id = default;
        error = null;
        if (text is null || text.Length != 18)
        {
            error = "a resident ID has 18 characters";
            return false;
        }
        for (var i = 0; i < 17; i++)
        {
            if (!char.IsAsciiDigit(text[i]))
            {
                error = $"character {i + 1} must be a digit";
                return false;
            }
        }
        var check = char.ToUpperInvariant(text[17]);
        if (!char.IsAsciiDigit(check) && check != 'X')
        {
            error = "the check character must be a digit or X";
            return false;
        }
        // Residence permits of Hong Kong, Macao and Taiwan residents carry 810000, 820000 and 830000 in the same format.
        if (!Identifiers.DivisionCode.IsProvince(text.AsSpan(0, 2)) && !text.StartsWith("83", StringComparison.Ordinal))
        {
            error = "characters 1-6 must be a birthplace division code (GB/T 2260)";
            return false;
        }
        if (!DateOnly.TryParseExact(text.AsSpan(6, 8), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            error = "characters 7-14 must be a valid birth date (yyyyMMdd)";
            return false;
        }
        if (ComputeCheckCharacter(text.AsSpan(0, 17)) != check)
        {
            error = "the check character does not match (ISO 7064 MOD 11-2)";
            return false;
        }
        id = new ResidentId(string.Concat(text.AsSpan(0, 17), [check]));
        return true;
    }

    /// <summary>
    /// As <see cref="TryParse(string?, out ResidentId, out string?)"/>, and the holder must be born by <paramref name="today"/>:
    /// the caller's clock decides (the city clock in a simulation), so the parse itself stays free of time.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? text, DateOnly today, out ResidentId id, out string? error)
    {
        if (!TryParse(text, out id, out error))
        {
            return false;
        }
        if (id.BirthDate > today)
        {
            id = default;
            error = "characters 7-14 are a birth date after today";
            return false;
        }
        return true;
    }

    public static bool IsValid(string? text) => TryParse(text, out _, out _);

    // The message names the rule broken, never the text: a resident ID must not reach a log in clear.
    public static ResidentId Parse(string text) =>
        TryParse(text, out var id, out var error) ? id : throw new FormatException($"not a valid resident ID: {error}");

    public override string ToString() => Value;
}

using System.Diagnostics.CodeAnalysis;

namespace CityBrain.Kernel.Identifiers;

/// <summary>An 18-character unified social credit code (GB 32100-2015) with its MOD 31 check character.</summary>
public readonly record struct UnifiedSocialCreditCode
{
    // The code's alphabet omits I, O, Z, S and V so that characters are not confused.
    private const string Alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    private static readonly int[] Weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

    private UnifiedSocialCreditCode(string value) => Value = value;

    public string Value { get; }

    public string DivisionCode => Value.Substring(2, 6);

    public static char ComputeCheckCharacter(ReadOnlySpan<char> first17)
    {
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += Alphabet.IndexOf(first17[i], StringComparison.Ordinal) * Weights[i];
        }
        return Alphabet[(31 - sum % 31) % 31];
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out UnifiedSocialCreditCode code, out string? error)
    {
        code = default;
        error = null;
        if (text is null || text.Length != 18)
        {
            error = "a unified social credit code has 18 characters";
            return false;
        }
        var upper = text.ToUpperInvariant();
        for (var i = 0; i < 18; i++)
        {
            if (!Alphabet.Contains(upper[i], StringComparison.Ordinal))
            {
                error = $"character {i + 1} ('{upper[i]}') is not in the code's alphabet";
                return false;
            }
        }
        for (var i = 2; i < 8; i++)
        {
            if (!char.IsAsciiDigit(upper[i]))
            {
                error = "characters 3-8 must be a division code";
                return false;
            }
        }
        if (ComputeCheckCharacter(upper.AsSpan(0, 17)) != upper[17])
        {
            error = "the check character does not match (GB 32100 MOD 31)";
            return false;
        }
        code = new UnifiedSocialCreditCode(upper);
        return true;
    }

    public static bool IsValid(string? text) => TryParse(text, out _, out _);

    public override string ToString() => Value;
}

using System.Diagnostics.CodeAnalysis;

namespace CityBrain.Kernel.Identifiers;

/// <summary>
/// A bank card (account) number as Chinese banks issue them (GB/T 19584, ISO/IEC 7812): 16 to 19 digits, the last a Luhn
/// check digit. Spaces and dashes as people type them are allowed and dropped.
/// </summary>
public readonly record struct BankCardNumber
{
    private BankCardNumber(string value) => Value = value;

    public string Value { get; }

    /// <summary>As shown to people and written in logs: the first 4 and last 4 digits (6217 **** 1234).</summary>
    public string Masked => $"{Value[..4]} **** {Value[^4..]}";

    /// <summary>The Luhn check digit of the digits before it.</summary>
    public static char ComputeCheckDigit(ReadOnlySpan<char> digits)
    {
        var sum = 0;
        // Every second digit from the right of the full number (the check digit's neighbour first) is doubled.
        for (var i = digits.Length - 1; i >= 0; i--)
        {
            var d = digits[i] - '0';
            var doubled = (digits.Length - 1 - i) % 2 == 0;
            sum += doubled ? (d * 2 > 9 ? d * 2 - 9 : d * 2) : d;
        }
        return (char)('0' + (10 - sum % 10) % 10);
    }

    public static bool TryParse([NotNullWhen(true)] string? text, out BankCardNumber number, [NotNullWhen(false)] out string? error)
    {
        number = default;
        error = null;
        var digits = text?.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal) ?? "";
        if (digits.Length is < 16 or > 19 || !digits.All(char.IsAsciiDigit))
        {
            error = "a bank card number has 16 to 19 digits";
            return false;
        }
        if (ComputeCheckDigit(digits.AsSpan(0, digits.Length - 1)) != digits[^1])
        {
            error = "the check digit does not match (Luhn): a digit is mistyped";
            return false;
        }
        number = new BankCardNumber(digits);
        return true;
    }

    public override string ToString() => Masked;
}

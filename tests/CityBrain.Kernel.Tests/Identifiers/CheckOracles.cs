namespace CityBrain.Kernel.Tests.Identifiers;

/// <summary>
/// The check characters computed the way the standards define them, independently of the Kernel's weight tables,
/// so that a wrong weight or alphabet in the Kernel cannot agree with itself.
/// </summary>
internal static class CheckOracles
{
    /// <summary>ISO 7064 MOD 11-2 by its recursive definition (GB 11643 annex): p = 2(p + a) mod 11, check = (12 - p) mod 11, 10 written X.</summary>
    public static char ResidentIdCheck(string first17)
    {
        var p = 0;
        foreach (var c in first17)
        {
            p = (p + (c - '0')) * 2 % 11;
        }
        var check = (12 - p) % 11;
        return check == 10 ? 'X' : (char)('0' + check);
    }

    /// <summary>GB 32100: weight of position i is 3^i mod 31; check = 31 - (sum mod 31), 31 written 0; 31 characters without I, O, Z, S, V.</summary>
    public static char CreditCodeCheck(string first17)
    {
        var alphabet = string.Concat("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".Where(c => c is not ('I' or 'O' or 'Z' or 'S' or 'V')));
        var sum = 0;
        var weight = 1;
        foreach (var c in first17)
        {
            sum += alphabet.IndexOf(c, StringComparison.Ordinal) * weight;
            weight = weight * 3 % 31;
        }
        return alphabet[(31 - sum % 31) % 31];
    }

    public static string WithResidentCheck(string first17) => first17 + ResidentIdCheck(first17);

    public static string WithCreditCheck(string first17) => first17 + CreditCodeCheck(first17);
}

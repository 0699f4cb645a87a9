namespace CityBrain.SyntheticCity.Generation;

/// <summary>
/// Hangzhou plates (浙A) numbered by a bijection of the vehicle's index, so they are unique without a set:
/// five characters, at most two letters (no I or O); new-energy plates add a leading D.
/// </summary>
internal static class Plates
{
    private const string Letters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
    private const long Digits5 = 100_000;
    private const long OneLetter = 5 * 24 * 10_000;
    private const long TwoLetters = 10 * 24 * 24 * 1_000;
    private const long Multiplier = 1_000_003; // coprime with Capacity, so index → code is a bijection

    public const long Capacity = Digits5 + OneLetter + TwoLetters;

    private static readonly (int, int)[] LetterPairs = [(0, 1), (0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)];

    public static string Of(long vehicle, bool newEnergy)
    {
        var code = (vehicle * Multiplier + 7_919) % Capacity;
        Span<char> chars = stackalloc char[5];
        if (code < Digits5)
        {
            WriteDigits(chars, code, 5, -1, -1);
        }
        else if (code < Digits5 + OneLetter)
        {
            code -= Digits5;
            var position = (int)(code / 240_000);
            var rest = code % 240_000;
            chars[position] = Letters[(int)(rest / 10_000)];
            WriteDigits(chars, rest % 10_000, 4, position, -1);
        }
        else
        {
            code -= Digits5 + OneLetter;
            var (a, b) = LetterPairs[(int)(code / 576_000)];
            var rest = code % 576_000;
            chars[a] = Letters[(int)(rest / 1000 / 24)];
            chars[b] = Letters[(int)(rest / 1000 % 24)];
            WriteDigits(chars, rest % 1000, 3, a, b);
        }
        return (newEnergy ? "浙AD" : "浙A") + new string(chars);
    }

    private static void WriteDigits(Span<char> chars, long value, int count, int skipA, int skipB)
    {
        for (var i = 4; i >= 0 && count > 0; i--)
        {
            if (i == skipA || i == skipB)
            {
                continue;
            }
            chars[i] = (char)('0' + value % 10);
            value /= 10;
            count--;
        }
    }
}

using CityBrain.Kernel.Identifiers;
using static CityBrain.Kernel.Tests.Identifiers.CheckOracles;

namespace CityBrain.Kernel.Tests.Identifiers;

public sealed class UnifiedSocialCreditCodeTests
{
    // Codes as published on business licences; each check character was recomputed independently (CheckOracles).
    [Theory]
    [InlineData("91350100M000100Y43", "350100")] // the worked example of GB 32100-2015
    [InlineData("91330100799655058B", "330100")] // Alibaba (China) Co., Ltd., Hangzhou
    [InlineData("9144030071526726XG", "440300")] // Shenzhen Tencent Computer Systems Co., Ltd.
    [InlineData("914403001922038216", "440300")] // Huawei Technologies Co., Ltd., Shenzhen
    [InlineData("91110108551385082Q", "110108")] // Xiaomi Technology Co., Ltd., Beijing Haidian
    public void TryParse_PublishedCodes_AreValid(string text, string division)
    {
        Assert.True(UnifiedSocialCreditCode.TryParse(text, out var code, out var error), error);

        Assert.Null(error);
        Assert.Equal(text, code.Value);
        Assert.Equal(text, code.ToString());
        Assert.Equal(division, code.DivisionCode);
        Assert.Equal(CreditCodeCheck(text[..17]), text[17]);
    }

    [Fact]
    public void TryParse_CodeWithTheWrongCheckCharacter_IsRejected()
    {
        // A code of this shape circulates as a "Zhejiang example"; its check character is M, not N.
        Assert.Equal('M', CreditCodeCheck("91330000MA27U0D99"));

        Assert.False(UnifiedSocialCreditCode.TryParse("91330000MA27U0D99N", out _, out var error));
        Assert.Equal("the check character does not match (GB 32100 MOD 31)", error);
        Assert.True(UnifiedSocialCreditCode.IsValid("91330000MA27U0D99M"));
    }

    [Fact]
    public void ComputeCheckCharacter_SeededBodies_AgreesWithTheStandardsDefinition()
    {
        const string alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY";
        var random = new Random(32100);
        var seen = new HashSet<char>();
        for (var n = 0; n < 5000; n++)
        {
            var body = Enumerable.Range(0, 17).Select(i => i is >= 2 and < 8 ? (char)('0' + random.Next(10)) : alphabet[random.Next(alphabet.Length)]);
            var first17 = string.Concat(body);

            var check = UnifiedSocialCreditCode.ComputeCheckCharacter(first17);

            Assert.Equal(CreditCodeCheck(first17), check);
            Assert.True(UnifiedSocialCreditCode.IsValid(first17 + check), first17 + check);
            seen.Add(check);
        }
        // Every one of the 31 check characters turns up, '0' (sum divisible by 31) included.
        Assert.Equal(alphabet.Length, seen.Count);
    }

    [Fact]
    public void TryParse_AnyOtherCheckCharacter_IsRejected()
    {
        const string first17 = "91330100799655058";
        foreach (var wrong in "0123456789ABCDEFGHJKLMNPQRTUWXY".Where(c => c != 'B'))
        {
            Assert.False(UnifiedSocialCreditCode.IsValid(first17 + wrong), first17 + wrong);
        }
    }

    [Fact]
    public void IsValid_AnySingleCharacterTypo_IsCaught()
    {
        const string valid = "9144030071526726XG";
        for (var position = 0; position < 17; position++)
        {
            foreach (var c in "0123456789ABCDEFGHJKLMNPQRTUWXY".Where(c => c != valid[position]))
            {
                var typo = string.Concat(valid.AsSpan(0, position), [c], valid.AsSpan(position + 1));
                Assert.False(UnifiedSocialCreditCode.IsValid(typo), $"{typo} (character {position + 1} changed) was accepted");
            }
        }
    }

    [Fact]
    public void TryParse_LowerCase_IsNormalisedToUpperCase()
    {
        Assert.True(UnifiedSocialCreditCode.TryParse("9144030071526726xg", out var code, out _));

        Assert.Equal("9144030071526726XG", code.Value);
    }

    [Theory]
    [InlineData('I')]
    [InlineData('O')]
    [InlineData('Z')]
    [InlineData('S')]
    [InlineData('V')]
    [InlineData('i')]
    [InlineData('o')]
    public void TryParse_LetterLeftOutOfTheAlphabet_IsRejectedWithItsPosition(char letter)
    {
        var text = "91330100799655058B".Remove(9, 1).Insert(9, letter.ToString());

        Assert.False(UnifiedSocialCreditCode.TryParse(text, out _, out var error));

        Assert.Equal($"character 10 ('{char.ToUpperInvariant(letter)}') is not in the code's alphabet", error);
    }

    [Theory]
    [InlineData(null, "a unified social credit code has 18 characters")]
    [InlineData("", "a unified social credit code has 18 characters")]
    [InlineData("91330100799655058", "a unified social credit code has 18 characters")]
    [InlineData("91330100799655058BB", "a unified social credit code has 18 characters")]
    [InlineData("913301 0799655058B", "character 7 (' ') is not in the code's alphabet")]
    [InlineData("91330100799655058-", "character 18 ('-') is not in the code's alphabet")]
    [InlineData("９1330100799655058B", "character 1 ('９') is not in the code's alphabet")]
    [InlineData("9133A100799655058B", "characters 3-8 must be a division code")]
    [InlineData("913301007996550580", "the check character does not match (GB 32100 MOD 31)")]
    public void TryParse_Malformed_SaysWhatIsWrong(string? text, string expected)
    {
        Assert.False(UnifiedSocialCreditCode.TryParse(text, out var code, out var error));

        Assert.Equal(expected, error);
        Assert.Equal(default, code);
    }

    [Fact]
    public void TryParse_DivisionWithLetterButRightCheck_IsStillRejected()
    {
        // The check character alone would pass: the structure rule must catch it.
        var text = WithCreditCheck("9133A100799655058");

        Assert.False(UnifiedSocialCreditCode.TryParse(text, out _, out var error));

        Assert.Equal("characters 3-8 must be a division code", error);
    }
}

using CityBrain.Kernel.Identifiers;
using static CityBrain.Kernel.Tests.Identifiers.CheckOracles;

namespace CityBrain.Kernel.Tests.Identifiers;

public sealed class ResidentIdTests
{
    [Theory]
    // The two examples printed in GB 11643-1999 itself.
    [InlineData("11010519491231002X", "110105", 1949, 12, 31, false)]
    [InlineData("440524188001010014", "440524", 1880, 1, 1, true)]
    // Hangzhou, Xihu district, as the hub's own tests use them.
    [InlineData("33010619900101123X", "330106", 1990, 1, 1, true)]
    [InlineData("33010619851212002X", "330106", 1985, 12, 12, false)]
    public void TryParse_PublishedExamples_AreValidAndReadOut(string text, string division, int year, int month, int day, bool male)
    {
        Assert.True(ResidentId.TryParse(text, out var id, out var error), error);

        Assert.Null(error);
        Assert.Equal(text, id.Value);
        Assert.Equal(text, id.ToString());
        Assert.Equal(division, id.DivisionCode);
        Assert.Equal(new DateOnly(year, month, day), id.BirthDate);
        Assert.Equal(male, id.IsMale);
    }

    [Fact]
    public void ComputeCheckCharacter_SeededBodies_AgreesWithIso7064RecursiveDefinition()
    {
        var random = new Random(11643);
        var seenX = 0;
        for (var n = 0; n < 5000; n++)
        {
            var first17 = string.Concat(Enumerable.Range(0, 17).Select(_ => (char)('0' + random.Next(10))));

            var check = ResidentId.ComputeCheckCharacter(first17);

            Assert.Equal(ResidentIdCheck(first17), check);
            seenX += check == 'X' ? 1 : 0;
        }
        // About one body in eleven has the check character X: the case is exercised, not just possible.
        Assert.InRange(seenX, 300, 650);
    }

    [Fact]
    public void TryParse_LowerCaseX_IsNormalisedToUpperCase()
    {
        Assert.True(ResidentId.TryParse("11010519491231002x", out var lower, out _));

        Assert.Equal("11010519491231002X", lower.Value);
        Assert.Equal(ResidentId.Parse("11010519491231002X"), lower);
    }

    [Fact]
    public void TryParse_AnyOtherCheckCharacter_IsRejectedAsMismatch()
    {
        const string first17 = "11010519491231002";
        foreach (var wrong in "0123456789".Where(c => c != 'X'))
        {
            Assert.False(ResidentId.TryParse(first17 + wrong, out var id, out var error));
            Assert.Equal("the check character does not match (ISO 7064 MOD 11-2)", error);
            Assert.Equal(default, id);
        }
    }

    [Fact]
    public void IsValid_AnySingleDigitTypo_IsCaught()
    {
        const string valid = "33010619900101123X";
        for (var position = 0; position < 17; position++)
        {
            foreach (var digit in "0123456789".Where(d => d != valid[position]))
            {
                var typo = string.Concat(valid.AsSpan(0, position), [digit], valid.AsSpan(position + 1));
                Assert.False(ResidentId.IsValid(typo), $"{typo} (digit {position + 1} changed) was accepted");
            }
        }
    }

    [Fact]
    public void IsValid_AdjacentDigitsSwapped_IsCaught()
    {
        const string valid = "440524188001010014";
        for (var position = 0; position < 16; position++)
        {
            if (valid[position] == valid[position + 1])
            {
                continue;
            }
            var swapped = string.Concat(valid.AsSpan(0, position), [valid[position + 1], valid[position]], valid.AsSpan(position + 2));
            Assert.False(ResidentId.IsValid(swapped), $"{swapped} (digits {position + 1} and {position + 2} swapped) was accepted");
        }
    }

    [Theory]
    [InlineData("20000229", true)]  // divisible by 400: leap
    [InlineData("19960229", true)]  // divisible by 4: leap
    [InlineData("20240229", true)]
    [InlineData("19000229", false)] // divisible by 100, not by 400: common year
    [InlineData("20230229", false)]
    [InlineData("19900230", false)]
    [InlineData("19900431", false)] // April has 30 days
    [InlineData("19901301", false)]
    [InlineData("19900001", false)]
    [InlineData("19900100", false)]
    [InlineData("19900132", false)]
    [InlineData("00000101", false)]
    public void TryParse_BirthDate_MustBeACalendarDay(string birth, bool valid)
    {
        var text = WithResidentCheck("330106" + birth + "123");

        Assert.Equal(valid, ResidentId.TryParse(text, out var id, out var error));

        if (valid)
        {
            Assert.Equal(DateOnly.ParseExact(birth, "yyyyMMdd"), id.BirthDate);
        }
        else
        {
            Assert.Equal("characters 7-14 must be a valid birth date (yyyyMMdd)", error);
        }
    }

    [Fact]
    public void TryParse_WithToday_BirthAfterTodayIsRejected()
    {
        var today = new DateOnly(2026, 11, 24);
        var bornToday = WithResidentCheck("33010620261124001");
        var bornTomorrow = WithResidentCheck("33010620261125001");
        var bornNextCentury = WithResidentCheck("33010621000101001");

        Assert.True(ResidentId.TryParse(bornToday, today, out var id, out _));
        Assert.Equal(today, id.BirthDate);
        Assert.False(ResidentId.TryParse(bornTomorrow, today, out id, out var error));
        Assert.Equal("characters 7-14 are a birth date after today", error);
        Assert.Equal(default, id);
        Assert.False(ResidentId.TryParse(bornNextCentury, today, out _, out _));
        // The clock-free parse leaves the date to callers that have a clock (documented on the overload).
        Assert.True(ResidentId.IsValid(bornTomorrow));
    }

    [Fact]
    public void TryParse_WithToday_StillAppliesEveryOtherRule()
    {
        var today = new DateOnly(2026, 11, 24);

        Assert.False(ResidentId.TryParse("110105194912310021", today, out _, out var error));
        Assert.Equal("the check character does not match (ISO 7064 MOD 11-2)", error);
        Assert.False(ResidentId.TryParse(null, today, out _, out _));
    }

    [Theory]
    [InlineData("00")]
    [InlineData("10")]
    [InlineData("16")]
    [InlineData("20")]
    [InlineData("24")]
    [InlineData("30")]
    [InlineData("38")]
    [InlineData("47")]
    [InlineData("55")]
    [InlineData("66")]
    [InlineData("72")]
    [InlineData("84")]
    [InlineData("99")]
    public void TryParse_BirthplaceNotAProvince_IsRejected(string province)
    {
        var text = WithResidentCheck(province + "010619900101123");

        Assert.False(ResidentId.TryParse(text, out _, out var error));
        Assert.Equal("characters 1-6 must be a birthplace division code (GB/T 2260)", error);
    }

    [Theory]
    [InlineData("11")] // Beijing
    [InlineData("33")] // Zhejiang
    [InlineData("65")] // Xinjiang
    [InlineData("71")] // Taiwan
    [InlineData("81")] // Hong Kong residents' residence permits: 810000
    [InlineData("82")] // Macao: 820000
    [InlineData("83")] // Taiwan residents' residence permits: 830000
    public void TryParse_BirthplaceProvinceOrPermitCode_IsAccepted(string province)
    {
        var text = WithResidentCheck(province + "000019920130002");

        Assert.True(ResidentId.TryParse(text, out var id, out var error), error);
        Assert.Equal(province + "0000", id.DivisionCode);
    }

    [Theory]
    [InlineData('0', false)]
    [InlineData('1', true)]
    [InlineData('2', false)]
    [InlineData('3', true)]
    [InlineData('4', false)]
    [InlineData('5', true)]
    [InlineData('6', false)]
    [InlineData('7', true)]
    [InlineData('8', false)]
    [InlineData('9', true)]
    public void IsMale_SeventeenthDigit_OddForMenEvenForWomen(char sequenceDigit, bool male)
    {
        var id = ResidentId.Parse(WithResidentCheck("3301061990010112" + sequenceDigit));

        Assert.Equal(male, id.IsMale);
    }

    [Theory]
    [InlineData(null, "a resident ID has 18 characters")]
    [InlineData("", "a resident ID has 18 characters")]
    [InlineData("33010619900101123", "a resident ID has 18 characters")]
    [InlineData("33010619900101123XX", "a resident ID has 18 characters")]
    [InlineData("330106199001011234 ", "a resident ID has 18 characters")]
    [InlineData("3301A619900101123X", "character 5 must be a digit")]
    [InlineData("33010619900101 23X", "character 15 must be a digit")]
    [InlineData("X30106199001011234", "character 1 must be a digit")]
    [InlineData("33010619900101123Y", "the check character must be a digit or X")]
    [InlineData("33010619900101123*", "the check character must be a digit or X")]
    // Full-width and Arabic-Indic digits are digits to char.IsDigit, not to the standard.
    [InlineData("３3010619900101123X", "character 1 must be a digit")]
    [InlineData("33010619900101١23X", "character 15 must be a digit")]
    public void TryParse_Malformed_SaysWhatIsWrong(string? text, string expected)
    {
        Assert.False(ResidentId.TryParse(text, out var id, out var error));

        Assert.Equal(expected, error);
        Assert.Equal(default, id);
        Assert.False(ResidentId.IsValid(text));
    }

    [Fact]
    public void Parse_Invalid_ThrowsWithoutEchoingTheNumber()
    {
        const string text = "110105194912310021";

        var error = Assert.Throws<FormatException>(() => ResidentId.Parse(text));

        Assert.Contains("check character", error.Message, StringComparison.Ordinal);
        // Exceptions reach logs: a (mistyped) resident ID is still personal data.
        Assert.DoesNotContain("11010519491231", error.Message, StringComparison.Ordinal);
    }
}

using CityBrain.Kernel.Identifiers;

namespace CityBrain.Kernel.Tests.Identifiers;

public sealed class DivisionCodeTests
{
    [Theory]
    [InlineData("33")]           // Zhejiang province
    [InlineData("3301")]         // Hangzhou city
    [InlineData("330106")]       // Xihu district (GB/T 2260)
    [InlineData("330000")]       // the province written at six digits
    [InlineData("330106001")]    // a street (statistical division code)
    [InlineData("330106001001")] // a community
    [InlineData("110105")]       // Beijing, Chaoyang
    [InlineData("820000")]       // Macao
    public void TryParse_EachLevel_IsAccepted(string text)
    {
        Assert.True(DivisionCode.TryParse(text, out var code, out var error), error);

        Assert.Null(error);
        Assert.Equal(text, code.Value);
        Assert.Equal(text, code.ToString());
    }

    [Theory]
    [InlineData("3")]
    [InlineData("330")]
    [InlineData("33010")]
    [InlineData("3301060")]
    [InlineData("33010600")]
    [InlineData("3301060011")]
    [InlineData("33010600100")]
    [InlineData("3301060010011")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("33010a")]
    [InlineData("330 06")]
    [InlineData("３30106")]
    public void TryParse_WrongLengthOrNotDigits_SaysTheAllowedLengths(string? text)
    {
        Assert.False(DivisionCode.TryParse(text, out var code, out var error));

        Assert.Equal("a division code has 2, 4, 6, 9 or 12 digits", error);
        Assert.Equal(default, code);
    }

    [Fact]
    public void TryParse_EveryTwoDigitPrefix_AcceptedExactlyForTheProvincesOfGbt2260()
    {
        // 31 mainland provinces (../shared/datasets/divisions/provinces.csv), then Taiwan, Hong Kong, Macao.
        var provinces = DivisionData.Read("provinces.csv").Select(row => row[0]).Concat(["71", "81", "82"]).ToHashSet();
        Assert.Equal(34, provinces.Count);

        for (var prefix = 0; prefix < 100; prefix++)
        {
            var text = prefix.ToString("00", System.Globalization.CultureInfo.InvariantCulture) + "0106";

            var valid = DivisionCode.TryParse(text, out _, out var error);

            Assert.True(valid == provinces.Contains(text[..2]), $"{text}: {error}");
            if (!valid)
            {
                Assert.StartsWith("the first two digits must be a province code of GB/T 2260", error, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("cities-zhejiang.csv")]
    [InlineData("areas-zhejiang.csv")]
    [InlineData("streets-zhejiang.csv")]
    public void IsValid_RealZhejiangDivisions_AllAccepted(string file)
    {
        var codes = DivisionData.Read(file).Select(row => row[0]).ToList();
        Assert.NotEmpty(codes);

        Assert.All(codes, code => Assert.True(DivisionCode.IsValid(code), code));
    }
}

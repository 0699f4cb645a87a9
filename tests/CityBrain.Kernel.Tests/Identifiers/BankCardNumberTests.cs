using CityBrain.Kernel.Identifiers;

namespace CityBrain.Kernel.Tests.Identifiers;

public sealed class BankCardNumberTests
{
    [Theory]
    [InlineData("4111111111111111")] // the card networks' published test number
    [InlineData("4111 1111 1111 1111")] // as people type it
    [InlineData("00000079927398713")] // the Luhn formula's worked example (79927398713), padded with zeros that do not change the sum
    public void TryParse_LuhnValidNumbers_AreAcceptedWithoutSeparators(string text)
    {
        Assert.True(BankCardNumber.TryParse(text, out var number, out var error), error);

        Assert.Equal(text.Replace(" ", "", StringComparison.Ordinal), number.Value);
        Assert.Equal(number.Value[..4] + " **** " + number.Value[^4..], number.Masked);
        Assert.Equal(number.Masked, number.ToString());
    }

    [Theory]
    [InlineData("4111111111111112", "the check digit does not match (Luhn): a digit is mistyped")]
    [InlineData("411111111111111", "a bank card number has 16 to 19 digits")]
    [InlineData("4111a11111111111", "a bank card number has 16 to 19 digits")]
    [InlineData(null, "a bank card number has 16 to 19 digits")]
    public void TryParse_BadNumbers_RefusedWithTheReason(string? text, string expected)
    {
        Assert.False(BankCardNumber.TryParse(text, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void ComputeCheckDigit_EveryBody_MakesTheNumberValid()
    {
        var random = new Random(7);
        for (var i = 0; i < 200; i++)
        {
            var body = string.Concat(Enumerable.Range(0, 15 + i % 4).Select(_ => (char)('0' + random.Next(10))));
            var number = body + BankCardNumber.ComputeCheckDigit(body);

            Assert.True(BankCardNumber.TryParse(number, out _, out var error), $"{number}: {error}");
            // Any single changed digit breaks it: Luhn catches every single-digit error.
            var changed = number[..^1] + (char)('0' + (number[^1] - '0' + 1) % 10);
            Assert.False(BankCardNumber.TryParse(changed, out _, out _));
        }
    }
}

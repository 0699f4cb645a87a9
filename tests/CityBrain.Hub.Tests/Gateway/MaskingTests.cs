using CityBrain.Hub.Gateway;

namespace CityBrain.Hub.Tests.Gateway;

public sealed class MaskingTests
{
    [Theory]
    [InlineData("33010619900101123X", "resident-id", "330106********123X")]
    [InlineData("13812345678", "phone", "138****5678")]
    [InlineData("张三", "name", "张*")]
    [InlineData("李小明", "name", "李**")]
    [InlineData("欧阳娜娜", "name", "欧阳**")]
    [InlineData("浙江省杭州市西湖区文新街道文一西路100号3幢2单元501室", "address", "浙江省杭州市西湖区文新街道****")]
    [InlineData("浙江省杭州市余杭区良渚镇古墩路1号", "address", "浙江省杭州市余杭区良渚镇****")]
    [InlineData("杭州市淳安县千岛湖大道88号", "address", "杭州市淳安县****")]
    [InlineData("6222021234567890123", "bank-card", "622202*********0123")]
    [InlineData("abcdef", "generic", "a****f")]
    public void Mask_DeclaredKind_AsThePlatformPromises(string value, string kind, string expected) =>
        Assert.Equal(expected, Masking.Mask(value, kind));

    [Theory]
    [InlineData("33010619900101123X", "330106********123X")]
    [InlineData("13998765432", "139****5432")]
    [InlineData("王五", "王*")]
    [InlineData("浙江省杭州市上城区湖滨街道平海路1号", "浙江省杭州市上城区湖滨街道****")]
    public void Mask_NoDeclaredKind_InferredFromTheValue(string value, string expected) =>
        Assert.Equal(expected, Masking.Mask(value, null));

    [Fact]
    public void Mask_ResidentId_NeverKeepsTheBirthDate()
    {
        var masked = Masking.Mask("33010619900101123X", "resident-id");
        Assert.DoesNotContain("19900101", masked, StringComparison.Ordinal);
        Assert.Equal(18, masked.Length);
    }
}

using CityBrain.Data.Addresses;

namespace CityBrain.Data.Tests.Addresses;

/// <summary>Real Hangzhou addresses as people write them, against the divisions only (no register): street level.</summary>
public sealed class HangzhouAddressTests
{
    private readonly AddressBase _base = AddressBase.Hangzhou();

    // Street codes from ../shared/datasets/divisions/streets-zhejiang.csv (National Bureau of Statistics).
    [Theory]
    [InlineData("浙江省杭州市江干区下沙街道学源街118号", "330114", "330114001")] // 下沙 went from 江干区 to 钱塘区 in 2021
    [InlineData("杭州市江干区笕桥街道机场路", "330102", "330102016")] // 笕桥 went from 江干区 to 上城区
    [InlineData("杭州市下城区武林街道体育场路178号", "330105", "330105013")] // 下城区 joined 拱墅区
    [InlineData("余杭区五常街道文一西路969号(阿里巴巴西溪园区)", "330110", "330110005")]
    [InlineData("杭州余杭区临平街道迎宾路", "330113", "330113001")] // 临平 left 余杭区 for 临平区
    [InlineData("萧山区义蓬街道", "330114", "330114004")] // 大江东's towns joined 钱塘区
    [InlineData("浙江杭州上城区湖滨街道延安路258号附近", "330102", "330102003")]
    [InlineData("西湖区文新街道文一西路100号3幢2单元501室", "330106", "330106013")]
    [InlineData("杭州市西湖区三墩镇", "330106", "330106109")]
    [InlineData("滨江区长河街道网商路699号", "330108", "330108002")]
    [InlineData("杭州市滨江区西兴街道江陵路１７６０号", "330108", "330108001")] // full-width digits
    [InlineData("  杭州市 拱墅区 湖墅街 湖墅南路 ", "330105", "330105002")] // spaces, 街 for 街道
    [InlineData("杭州市富阳市富春街道", "330111", "330111001")] // 富阳市 became 富阳区 in 2014
    [InlineData("杭州市西湖区转堂街道", "330106", "330106010")] // typo: 转塘
    [InlineData("杭州市西糊区文新街道", "330106", "330106013")] // typo: 西湖区
    public void Normalize_RealAddressNamingItsStreet_CurrentDistrictAndStreet(string input, string divisionCode, string streetCode)
    {
        var match = _base.Normalize(input);

        Assert.True(match.Matched, match.Reason);
        Assert.Equal(divisionCode, match.DivisionCode);
        Assert.Equal(streetCode, match.StreetCode);
        Assert.StartsWith("浙江省杭州市", match.Standard, StringComparison.Ordinal);
        Assert.InRange(match.Confidence, AddressBase.MinimumConfidence, 1);
    }

    [Theory]
    [InlineData("西湖区文新街道文一西路一百零八号三幢二单元五零一室", "浙江省杭州市西湖区文新街道文一西路108号3幢2单元501室")]
    [InlineData("杭州 西湖区 文新街道 文一西路 108号 3-2-501 附近", "浙江省杭州市西湖区文新街道文一西路108号3幢2单元501室")]
    [InlineData("收货地址：杭州市西湖区文新街道文一西路１０８号３栋２单元５０１", "浙江省杭州市西湖区文新街道文一西路108号3幢2单元501室")]
    [InlineData("Address: 杭州市西湖区文新街道文一西路108号3号楼2单元501室（近地铁站）", "浙江省杭州市西湖区文新街道文一西路108号3幢2单元501室")]
    public void Normalize_NumeralsAndLevelWords_StandardFormWithDigits(string input, string standard)
    {
        Assert.Equal(standard, _base.Normalize(input).Standard);
    }

    [Theory]
    [InlineData("杭州市西湖区文三路478号", "330106")]
    [InlineData("拱墅区湖墅南路", "330105")]
    [InlineData("滨江区网商路699号", "330108")]
    [InlineData("杭州市下城区延安路", "330105")]
    public void Normalize_RealAddressWithoutStreet_DistrictOnlyAndUnmatched(string input, string divisionCode)
    {
        var match = _base.Normalize(input);

        Assert.False(match.Matched);
        Assert.Equal(divisionCode, match.DivisionCode);
        Assert.Null(match.StreetCode); // no guess among the district's streets
        Assert.Contains("street not named", match.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("杭州市临X区")] // 临平区 or 临安区
    [InlineData("杭州市东湖区")] // no such district: one letter off 西湖区, but no street of 西湖区 confirms it
    public void Normalize_DistrictTypoThatFitsNoneOrSeveral_NoDistrictGuessed(string input)
    {
        var match = _base.Normalize(input);

        Assert.False(match.Matched);
        Assert.Null(match.DivisionCode);
    }

    [Fact]
    public void Normalize_JiangganWithoutStreet_NoDistrictGuessed()
    {
        // 江干区 was split between 上城区 and 钱塘区: without its street the district is unknown.
        var match = _base.Normalize("杭州市江干区景芳路");

        Assert.False(match.Matched);
        Assert.Null(match.DivisionCode);
    }

    [Theory]
    [InlineData("西湖街道", "330106008")] // the street 西湖街道, not the district 西湖(区)
    [InlineData("杭州余杭街道", "330110013")]
    [InlineData("萧山商业城", "330109403")]
    public void Normalize_StreetNamedLikeADistrict_TheStreet(string input, string streetCode)
    {
        Assert.Equal(streetCode, _base.Normalize(input).StreetCode);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("\0\u0001\uFFFD\uFFFD", "not text")]
    [InlineData("，。！？", "no address")]
    [InlineData("北京市朝阳区建国路88号", "no Hangzhou district or street")]
    public void Normalize_BadInput_UnmatchedWithReason(string input, string reason)
    {
        var match = _base.Normalize(input);

        Assert.False(match.Matched);
        Assert.Contains(reason, match.Reason, StringComparison.Ordinal);
        Assert.Null(match.StandardId);
    }

    [Fact]
    public void Normalize_HundredKilobyteLine_RefusedAsTooLongWithInputCut()
    {
        var line = string.Concat(Enumerable.Repeat("杭州市西湖区文三路", 102_400 / 9 + 1));

        var match = _base.Normalize(line);

        Assert.False(match.Matched);
        Assert.Contains("too long", match.Reason, StringComparison.Ordinal);
        Assert.True(match.Input.Length <= 256);
    }

    [Fact]
    public void EmbeddedDivisions_EveryHangzhouStreet_AsInTheSharedDataset()
    {
        // The product carries its own extract; it must be the published list, not an invented one.
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(root.FullName, "CityBrain.slnx")))
        {
            root = root.Parent!;
        }
        var published = File.ReadLines(Path.Combine(root.Parent!.FullName, "shared", "datasets", "divisions", "streets-zhejiang.csv"))
            .Skip(1).Select(l => l.Split(',')).Where(f => f[4] == "3301")
            .Select(f => (Code: f[0], Name: f[1].Trim('"'), District: f[2])).Order().ToList();

        var embedded = HangzhouDivisions.Instance.Streets.Select(s => (s.Code, s.Name, District: s.ParentCode)).Order().ToList();

        Assert.Equal(196, published.Count);
        Assert.Equal(published, embedded);
        Assert.Equal(13, HangzhouDivisions.Instance.Districts.Count);
    }
}

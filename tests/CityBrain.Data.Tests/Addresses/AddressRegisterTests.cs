using CityBrain.Data.Addresses;

namespace CityBrain.Data.Tests.Addresses;

public sealed class AddressRegisterTests
{
    private const string Header = "address_id,kind,district_code,street_code,community_code,road,number,building,unit,room,lon,lat,standard";

    [Fact]
    public void Hangzhou_Register_MatchesWithIdAndCoordinates()
    {
        var register = Header + "\n" +
            "D1,dwelling,330106,330106013,330106013001,文一西路,100,3,2,501,120.10,30.28,浙江省杭州市西湖区文新街道文一西路100号3幢2单元501室\n" +
            "D2,dwelling,330106,330106013,330106013001,文一西路,100,3,2,502,120.10,30.28,浙江省杭州市西湖区文新街道文一西路100号3幢2单元502室\n";
        var addressBase = AddressBase.Hangzhou(new StringReader(register));

        var match = addressBase.Normalize("西湖区文一西路100号3-2-502");

        Assert.Equal(2, addressBase.StandardAddressCount);
        Assert.True(match.Matched, match.Reason);
        Assert.Equal("D2", match.StandardId);
        Assert.Equal("330106013", match.StreetCode);
        Assert.Equal(120.10, match.Longitude);
        Assert.Equal(30.28, match.Latitude);
    }

    [Fact]
    public void Hangzhou_RoomLeftOutAndTwoRoomsFit_AmbiguousNotGuessed()
    {
        var register = Header + "\n" +
            "D1,dwelling,330106,330106013,,文一西路,100,3,2,501,120.1,30.2,浙江省杭州市西湖区文新街道文一西路100号3幢2单元501室\n" +
            "D2,dwelling,330106,330106013,,文一西路,100,3,2,502,120.1,30.2,浙江省杭州市西湖区文新街道文一西路100号3幢2单元502室\n";
        var match = AddressBase.Hangzhou(new StringReader(register)).Normalize("文新街道文一西路100号3幢2单元");

        Assert.False(match.Matched);
        Assert.Contains("ambiguous", match.Reason, StringComparison.Ordinal);
        Assert.Equal("330106013", match.StreetCode);
    }

    [Theory]
    [InlineData("杭州湾街12号")] // 杭州 here begins the road's name, not the city
    [InlineData("杭州拱墅区杭州湾街12号")]
    [InlineData("康桥街道(杭州湾街12号")] // an unclosed bracket is not a remark
    public void Hangzhou_RoadNamedAfterTheCity_Matched(string input)
    {
        var register = Header + "\nW1,workplace,330105,330105010,,杭州湾街,12,,,,120.1,30.3,浙江省杭州市拱墅区康桥街道杭州湾街12号\n";

        var match = AddressBase.Hangzhou(new StringReader(register)).Normalize(input);

        Assert.True(match.Matched, match.Reason);
        Assert.Equal("W1", match.StandardId);
    }

    [Theory]
    [InlineData(Header + "\nD1,dwelling,330106,330106013,,文一西路,100,3,2,501,east,30.2,x", "line 2", "lon")]
    [InlineData(Header + "\nD1,dwelling,330106,330106013,,文一西路,100,3,2,501,120.1,30.2,x\nD1,dwelling,330106,330106013,,文一西路,101,3,2,501,120.1,30.2,y", "line 3", "used twice")]
    [InlineData(Header + "\nD1,dwelling,330106,330106013,,\"文一西路,100,3,2,501,120.1,30.2,x", "Line 2", "quoted field")]
    [InlineData(Header + "\nD1,dwelling,330106,330106013,,文一西路,100,3,2,501,120.1,30.2,x\nD2,dwelling,330106,330106013,,文一西路,100,3,2,0501,120.1,30.2,y", "D2", "twice")]
    [InlineData("address_id,district_code,road,number\nD1,330106,文一西路,100", "street_code", "no column")]
    [InlineData("", "empty", "header")]
    public void Hangzhou_MalformedRegister_RefusedNamingWhere(string csv, string where, string what)
    {
        var error = Assert.Throws<InvalidDataException>(() => AddressBase.Hangzhou(new StringReader(csv)));

        Assert.Contains(where, error.Message, StringComparison.Ordinal);
        Assert.Contains(what, error.Message, StringComparison.Ordinal);
    }
}

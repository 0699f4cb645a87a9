using System.Globalization;
using System.Text.RegularExpressions;

namespace CityBrain.SyntheticCity.Tests.Generation;

public sealed partial class AddressTests(GeneratedCity city) : IClassFixture<GeneratedCity>
{
    // What follows the province, city, district and street names (which are checked against the divisions).
    [GeneratedRegex(@"^(?<road>\p{IsCJKUnifiedIdeographs}+?(路|街|大道|巷))(?<number>[0-9]+)号((?<building>[0-9]+)幢)?((?<unit>[0-9]+)单元)?((?<room>[0-9]+)室)?$")]
    private static partial Regex Tail();

    [Fact]
    public void Addresses_StandardText_WellFormedAndAgreesWithItsColumns()
    {
        var divisions = city["truth/divisions.csv"].ByKey("code");
        var addresses = city["truth/addresses.csv"];
        Assert.All(addresses.Rows, a =>
        {
            var prefix = "浙江省杭州市" + divisions[a[2]][1] + divisions[a[3]][1];
            Assert.StartsWith(prefix, a[12], StringComparison.Ordinal);
            var match = Tail().Match(a[12][prefix.Length..]);
            Assert.True(match.Success, a[12]);
            Assert.Equal(a[2], divisions[a[3]][3]);
            Assert.StartsWith(a[3], a[4], StringComparison.Ordinal);
            Assert.Equal(a[5], match.Groups["road"].Value);
            Assert.Equal(a[6], match.Groups["number"].Value);
            Assert.Equal(a[7], match.Groups["building"].Value);
            Assert.Equal(a[8], match.Groups["unit"].Value);
            Assert.Equal(a[9], match.Groups["room"].Value);
            var lon = double.Parse(a[10], CultureInfo.InvariantCulture);
            var lat = double.Parse(a[11], CultureInfo.InvariantCulture);
            Assert.InRange(lon, 118.3, 120.8);
            Assert.InRange(lat, 29.1, 30.6);
        });
        Assert.Equal(addresses.Rows.Count, addresses.Values("standard").Distinct().Count());
    }

    [Fact]
    public void Divisions_HangzhousThirteenDistrictsAndTheirRealStreets()
    {
        var divisions = city["truth/divisions.csv"].Rows;
        var districts = divisions.Where(d => d[2] == "district").Select(d => d[1]).ToList();
        Assert.Equal(13, districts.Count);
        Assert.Contains("临平区", districts);
        Assert.Contains("钱塘区", districts);
        Assert.DoesNotContain("江干区", districts);
        Assert.Contains(divisions, d => d[0] == "330106005" && d[1] == "翠苑街道" && d[3] == "330106");
        Assert.Equal(196, divisions.Count(d => d[2] == "street"));
    }

    [Fact]
    public void AddressVariants_EveryVariantDiffersAndSomeUseTheOldDistrictNames()
    {
        var variants = city["truth/dirt.csv"].Rows.Where(r => r[0] == "address-variant").ToList();
        Assert.True(variants.Count > 100);
        Assert.All(variants, v => Assert.NotEqual(v[5], v[6]));
        Assert.Contains(variants, v => v[6].Contains("江干区", StringComparison.Ordinal) || v[6].Contains("下城区", StringComparison.Ordinal));
        Assert.Contains(variants, v => v[6].Any(c => c is >= '０' and <= '９'));
        Assert.Contains(variants, v => !v[6].Contains("杭州", StringComparison.Ordinal));
    }
}

using System.Text.Json.Nodes;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Sharing;

namespace CityBrain.Hub.Tests.Gateway;

public sealed class ResponseFilterTests
{
    private static readonly RegisteredInterface Members = new("police-pop", "members", "户成员", "GET", "/households/{hh}", SharingType.Conditional,
        [new InterfaceParameter("hh", "path", true)],
        [
            new InterfaceField("total", FieldLevel.Public),
            new InterfaceField("data.XM", FieldLevel.Personal, Mask: "name"),
            new InterfaceField("data.SFZH", FieldLevel.SensitivePersonal, Mask: "resident-id"),
            new InterfaceField("data.JZ.DZ", FieldLevel.Personal, Mask: "address"),
            new InterfaceField("data.SJHM", FieldLevel.Personal, Mask: "phone"),
        ]);

    private static Grant GrantOf(string[] clear, string[] masked) =>
        new("g", "r", "mz-dibao", "police-pop/members", clear, masked, "p", null, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue, null);

    [Fact]
    public void Apply_ArraysAndNestedObjects_OnlyGrantedFieldsLeaveMaskedAsGranted()
    {
        var body = JsonNode.Parse("""
            {"total":2,"secret":"internal note","data":[
              {"XM":"张三","SFZH":"33010619900101123X","SJHM":"13812345678","JZ":{"DZ":"浙江省杭州市西湖区文新街道文一西路100号","LNG":120.1}},
              {"XM":"欧阳娜娜","SFZH":"33010619851212002X","SJHM":"13998765432","JZ":{"DZ":"浙江省杭州市西湖区北山街道曙光路8号"}}]}
            """);
        var filter = new ResponseFilter(Members, GrantOf(["total", "data.XM"], ["data.SFZH", "data.JZ.DZ"]));

        var result = filter.Apply(body)!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

        Assert.Equal("""{"total":2,"data":[{"XM":"张三","SFZH":"330106********123X","JZ":{"DZ":"浙江省杭州市西湖区文新街道****"}},{"XM":"欧阳娜娜","SFZH":"330106********002X","JZ":{"DZ":"浙江省杭州市西湖区北山街道****"}}]}""", result);
        Assert.Equal(["data.XM", "total"], filter.ReturnedClear.Order(StringComparer.Ordinal));
        Assert.Equal(["data.JZ.DZ", "data.SFZH"], filter.ReturnedMasked.Order(StringComparer.Ordinal));
        Assert.Equal(["33010619851212002X", "33010619900101123X"], filter.Subjects.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Apply_UndeclaredOrUngranted_NeverLeaves()
    {
        var body = JsonNode.Parse("""{"data":[{"XM":"张三","SJHM":"13812345678","extra":"x"}],"debug":{"sql":"select *"}}""");
        var filter = new ResponseFilter(Members, GrantOf(["data.XM", "data.NOTDECLARED"], []));

        var result = filter.Apply(body)!.ToJsonString();

        Assert.DoesNotContain("13812345678", result, StringComparison.Ordinal);
        Assert.DoesNotContain("select", result, StringComparison.Ordinal);
        Assert.DoesNotContain("extra", result, StringComparison.Ordinal);
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;

namespace CityBrain.Data.Tests.Catalog;

[Collection(DemoLakeCollection.Name)]
public sealed class CatalogTests(DemoLake lake)
{
    private static readonly string[] DepartmentDatasets =
    [
        "gaj.rk", "jtj.parking", "jtj.vehicles", "mzj.deaths", "mzj.dibao", "mzj.disability", "rsj.insurance", "rsj.persons", "rsj.units",
        "scjgj.qy", "swj.nsr", "wjw.births", "wjw.death_certificates", "ybj.fixmedins", "ybj.insured", "ybj.setl",
    ];

    [Fact]
    public async Task Catalog_DemoCity_ListsEveryDepartmentDatasetLoadedWithOwnerClassificationAndFreshness()
    {
        using var staff = lake.Client(new Caller("operator@rsj", HubRoles.UnitOperator, "rsj", null, null));

        var catalog = (await staff.GetFromJsonAsync<JsonArray>("/api/data/catalog"))!;

        foreach (var code in DepartmentDatasets)
        {
            var entry = catalog.Single(e => (string)e!["code"]! == code)!;
            Assert.Equal(code.Split('.')[0], (string)entry["owner"]!);
            Assert.True((long)entry["version"]! >= 1, code);
            Assert.True((long)entry["rowCount"]! > 0, code);
            Assert.True((double)entry["freshnessHours"]! >= 0, code);
        }
        Assert.Equal("sensitive-personal", (string)catalog.Single(e => (string)e!["code"]! == "gaj.rk")!["classification"]!);

        var searched = (await staff.GetFromJsonAsync<JsonArray>("/api/data/catalog?q=" + Uri.EscapeDataString("最低生活保障")))!;
        Assert.Contains(searched, e => (string)e!["code"]! == "mzj.dibao");
        Assert.DoesNotContain(searched, e => (string)e!["code"]! == "jtj.parking");
    }

    [Fact]
    public async Task CatalogDetail_PersonalDataset_HasLineageAndAMaskedSample()
    {
        using var staff = lake.Client(new Caller("operator@rsj", HubRoles.UnitOperator, "rsj", null, null));

        var detail = (await staff.GetFromJsonAsync<JsonObject>("/api/data/catalog/gaj.rk"))!;

        var first = detail["versions"]!.AsArray()[0]!;
        Assert.Equal("gaj-population", (string)first["sourceSystem"]!);
        Assert.Equal("persons", (string)first["sourceInterface"]!);
        Assert.StartsWith("grt_", (string)first["grantId"]!, StringComparison.Ordinal);
        var sample = detail["sample"]!.AsArray();
        Assert.Equal(3, sample.Count);
        Assert.All(sample, row => Assert.Contains("********", (string)row!["SFZH"]!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task OpenData_OpenDatasetDownloadsAnonymously_ClosedOneIsRefused_DcatSaysWhich()
    {
        var code = "dsj.open_" + Guid.NewGuid().ToString("N")[..6];
        await lake.Registry.ApplyAsync(new RegistryManifest
        {
            Datasets = [new DatasetSpec
            {
                Code = code, Unit = "dsj", Name = "各区公共自行车站点数", UpdateFrequency = "monthly", Sharing = "unconditional", Open = true,
                Fields = [new FieldSpec { Name = "district", Level = "public" }, new FieldSpec { Name = "stations", Level = "public" }],
            }],
        }, DemoLake.Admin, CancellationToken.None);
        using var bureau = lake.Client(new Caller("operator@dsj", HubRoles.UnitOperator, "dsj", null, null));
        using var uploaded = await bureau.PostAsync($"/api/data/uploads/{code}?format=csv", new ByteArrayContent(Encoding.UTF8.GetBytes("district,stations\n西湖区,120\n滨江区,80\n")));
        Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        using var anonymous = lake.Client(null);

        var csv = await anonymous.GetStringAsync($"/api/data/open/{code}");
        using var closed = await anonymous.GetAsync("/api/data/open/gaj.rk");
        var dcat = (await anonymous.GetFromJsonAsync<JsonObject>("/api/data/dcat"))!;

        Assert.Equal("district,stations\n西湖区,120\n滨江区,80\n", csv);
        Assert.Equal(HttpStatusCode.Forbidden, closed.StatusCode);
        Assert.Equal("dcat:Catalog", (string)dcat["@type"]!);
        var datasets = dcat["dcat:dataset"]!.AsArray();
        Assert.EndsWith($"/api/data/open/{code}", (string)datasets.Single(d => (string)d!["dct:identifier"]! == code)!["dcat:distribution"]![0]!["dcat:downloadURL"]!, StringComparison.Ordinal);
        var rk = datasets.Single(d => (string)d!["dct:identifier"]! == "gaj.rk")!;
        Assert.Null(rk["dcat:distribution"]);
        Assert.Equal("restricted", (string)rk["dct:accessRights"]!);
    }

    [Fact]
    public async Task Catalog_Anonymous_IsRefused()
    {
        using var anonymous = lake.Client(null);
        using var response = await anonymous.GetAsync("/api/data/catalog");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}

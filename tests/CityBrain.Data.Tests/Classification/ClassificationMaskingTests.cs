using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;

namespace CityBrain.Data.Tests.Classification;

/// <summary>
/// The owner's confirmed classification (分类分级) decides masking in everything that leaves the hub: governed query
/// results, catalog samples, open-data downloads and the DCAT export; from the next call on, and audited.
/// </summary>
[Collection(DemoLakeCollection.Name)]
public sealed class ClassificationMaskingTests(DemoLake lake)
{
    private const string Purpose = "household-statistics";

    [Fact]
    public async Task Query_OwnerRaisesAFieldToSensitivePersonal_MaskedFromTheNextQueryUntilLoweredAgain()
    {
        // 户口性质 is declared internal: a grant released it in clear.
        var system = "stats-" + Guid.NewGuid().ToString("N")[..6];
        using var consumer = await lake.ConsumerWithGrantAsync(system, Purpose, ("gaj.rk", ["XB", "HKXZ"], []));
        using var owner = lake.Client(new Caller("operator@gaj", HubRoles.UnitOperator, "gaj", null, null));
        var before = await QueryAsync(consumer);
        Assert.Empty(before["maskedColumns"]!.AsArray());
        var clear = Values(before, "HKXZ");
        Assert.NotEmpty(clear);
        Assert.DoesNotContain(clear, v => v.Contains('*', StringComparison.Ordinal));

        using (var proposed = await owner.PostAsync("/api/data/classification/gaj_rk/proposals", null))
        {
            Assert.True(proposed.IsSuccessStatusCode, await proposed.Content.ReadAsStringAsync());
        }
        await ConfirmAsync(owner, "gaj_rk", "HKXZ", new { personalLevel = "sensitive-personal", mask = "generic" });
        var raised = await QueryAsync(consumer);

        Assert.Equal(["HKXZ"], raised["maskedColumns"]!.AsArray().Select(c => (string)c!));
        Assert.Equal(clear.Select(Masking.Generic).Order(), Values(raised, "HKXZ").Order());
        Assert.Equal(Values(before, "XB").Order(), Values(raised, "XB").Order());
        var field = (await owner.GetFromJsonAsync<JsonObject>("/api/data/catalog/gaj.rk"))!["entry"]!["fields"]!.AsArray().Single(f => (string)f!["name"]! == "HKXZ")!;
        Assert.Equal(("sensitive-personal", true), ((string)field["level"]!, (bool)field["confirmed"]!));
        var query = await LatestAuditAsync("data.query", r => (string)r["actor"]! == "system:" + system);
        Assert.Equal("HKXZ", (string)JsonNode.Parse((string)query["detail"]!)!["masked"]!);
        var confirmation = await LatestAuditAsync("data.classification", r => (string)r["resource"]! == "dataset:gaj.rk");
        Assert.Equal("unit:gaj", (string)confirmation["actor"]!);
        Assert.Equal(("HKXZ", "sensitive-personal"), ((string)JsonNode.Parse((string)confirmation["detail"]!)!["column"]!, (string)JsonNode.Parse((string)confirmation["detail"]!)!["personalLevel"]!));

        // A grant the owner decides knowing the new level may release it in clear.
        using var informed = await lake.ConsumerWithGrantAsync("census-" + Guid.NewGuid().ToString("N")[..6], Purpose, ("gaj.rk", ["XB", "HKXZ"], []));
        Assert.Empty((await QueryAsync(informed))["maskedColumns"]!.AsArray());

        await ConfirmAsync(owner, "gaj_rk", "HKXZ", new { personalLevel = "none" });
        var lowered = await QueryAsync(consumer);

        Assert.Empty(lowered["maskedColumns"]!.AsArray());
        Assert.Equal(clear.Order(), Values(lowered, "HKXZ").Order());
    }

    [Fact]
    public async Task OpenData_OwnerConfirmsAPhoneColumnPersonal_DownloadSampleAndDcatMaskItUntilLowered()
    {
        // Declared public by mistake: the classifier finds mobile numbers in it.
        var code = "dsj.hotline_" + Guid.NewGuid().ToString("N")[..6];
        var view = code.Replace('.', '_');
        await lake.Registry.ApplyAsync(new RegistryManifest
        {
            Datasets = [new DatasetSpec
            {
                Code = code, Unit = "dsj", Name = "便民服务点", UpdateFrequency = "monthly", Sharing = "unconditional", Open = true,
                Fields = [new FieldSpec { Name = "station", Level = "public" }, new FieldSpec { Name = "contact", Level = "public" }],
            }],
        }, DemoLake.Admin, CancellationToken.None);
        using var bureau = lake.Client(new Caller("operator@dsj", HubRoles.UnitOperator, "dsj", null, null));
        const string Csv = "station,contact\n文新便民点,13812345678\n古荡便民点,13987654321\n翠苑便民点,15800001111\n";
        using (var uploaded = await bureau.PostAsync($"/api/data/uploads/{code}?format=csv", new ByteArrayContent(Encoding.UTF8.GetBytes(Csv))))
        {
            Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        }
        using var anonymous = lake.Client(null);
        Assert.Equal(Csv, await anonymous.GetStringAsync($"/api/data/open/{code}"));

        var proposals = (await (await bureau.PostAsync($"/api/data/classification/{view}/proposals", null)).Content.ReadFromJsonAsync<JsonArray>())!;
        Assert.Equal("personal", (string)proposals.Single(c => (string)c!["column"]! == "contact")!["personalLevel"]!);
        await ConfirmAsync(bureau, view, "contact", new { });

        Assert.Equal("station,contact\n文新便民点,138****5678\n古荡便民点,139****4321\n翠苑便民点,158****1111\n", await anonymous.GetStringAsync($"/api/data/open/{code}"));
        var sample = (await bureau.GetFromJsonAsync<JsonObject>($"/api/data/catalog/{code}"))!["sample"]!.AsArray();
        Assert.All(sample, row => Assert.Contains("****", (string)row!["contact"]!, StringComparison.Ordinal));
        Assert.Contains(sample, row => (string)row!["station"]! == "文新便民点");
        Assert.Equal("personal", (string)(await DcatAsync(anonymous, code))["cb:classification"]!);

        await ConfirmAsync(bureau, view, "contact", new { personalLevel = "none" });

        Assert.Equal(Csv, await anonymous.GetStringAsync($"/api/data/open/{code}"));
        Assert.Equal("public", (string)(await DcatAsync(anonymous, code))["cb:classification"]!);
    }

    private static async Task<JsonObject> QueryAsync(HttpClient consumer)
    {
        using var answered = await consumer.PostAsJsonAsync("/api/data/query", new { dataset = "gaj.rk", fields = new[] { "XB", "HKXZ" }, limit = 10_000, purpose = Purpose });
        var body = (await answered.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(answered.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        return body;
    }

    private static List<string> Values(JsonObject result, string field) =>
        [.. result["rows"]!.AsArray().Select(r => (string?)r![field]).OfType<string>()];

    private static async Task ConfirmAsync(HttpClient owner, string view, string column, object confirmation)
    {
        using var confirmed = await owner.PostAsJsonAsync($"/api/data/classification/{view}/columns/{column}/confirm", confirmation);
        Assert.True(confirmed.IsSuccessStatusCode, await confirmed.Content.ReadAsStringAsync());
    }

    private static async Task<JsonObject> DcatAsync(HttpClient client, string code) =>
        (await client.GetFromJsonAsync<JsonObject>("/api/data/dcat"))!["dcat:dataset"]!.AsArray().Single(d => (string)d!["dct:identifier"]! == code)!.AsObject();

    private async Task<JsonObject> LatestAuditAsync(string action, Func<JsonObject, bool> matches)
    {
        using var auditor = lake.Client(DemoLake.Admin);
        JsonObject? found = null;
        for (long after = 0; ;)
        {
            var page = (await auditor.GetFromJsonAsync<JsonArray>($"/api/hub/audit?limit=1000&after={after}"))!;
            if (page.Count == 0)
            {
                break;
            }
            found = page.Select(r => r!.AsObject()).LastOrDefault(r => (string)r["action"]! == action && matches(r)) ?? found;
            after = (long)page[^1]!["seq"]!;
        }
        return found ?? throw new InvalidOperationException($"no {action} audit record");
    }
}

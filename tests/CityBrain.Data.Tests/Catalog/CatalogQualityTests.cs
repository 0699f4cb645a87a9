using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityBrain.Hub.Security;

namespace CityBrain.Data.Tests.Catalog;

/// <summary>The catalog shows each dataset's latest quality score (数据质量), its unit's score and when it was scored; search sorts and filters by it.</summary>
[Collection(DemoLakeCollection.Name)]
public sealed class CatalogQualityTests(DemoLake lake)
{
    [Fact]
    public async Task Catalog_AfterAQualityRun_EveryDepartmentDatasetShowsItsScoreItsUnitScoreAndTheRunTime()
    {
        var run = await RunQualityAsync();
        using var staff = lake.Client(new Caller("operator@rsj", HubRoles.UnitOperator, "rsj", null, null));

        var catalog = (await staff.GetFromJsonAsync<JsonArray>("/api/data/catalog"))!;

        var scored = run["datasets"]!.AsArray();
        var units = run["units"]!.AsArray().ToDictionary(u => (string)u!["unit"]!, u => (double)u!["score"]!);
        Assert.Equal(16, scored.Count);
        foreach (var card in scored)
        {
            // The run names datasets as the lake's views (gaj_rk), the catalog by their codes (gaj.rk).
            var entry = catalog.Single(e => ((string)e!["code"]!).Replace('.', '_') == (string)card!["dataset"]!)!;
            Assert.Equal((double)card!["score"]!, (double)entry["qualityScore"]!);
            Assert.Equal(units[(string)card["unit"]!], (double)entry["unitQualityScore"]!);
            Assert.Equal((string)run["runId"]!, (string)entry["qualityRunId"]!);
            Assert.Equal(DateTimeOffset.Parse((string)run["startedAt"]!, System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.Parse((string)entry["qualityScoredAt"]!, System.Globalization.CultureInfo.InvariantCulture));
        }
        // The planted dirt costs the population register points.
        Assert.InRange((double)catalog.Single(e => (string)e!["code"]! == "gaj.rk")!["qualityScore"]!, 50, 99.99);
    }

    [Fact]
    public async Task CatalogSearch_ByQuality_SortsWorstFirstAndFiltersByScore()
    {
        await RunQualityAsync();
        using var staff = lake.Client(new Caller("operator@gaj", HubRoles.UnitOperator, "gaj", null, null));

        var worstFirst = (await staff.GetFromJsonAsync<JsonArray>("/api/data/catalog?sort=quality"))!;
        var bestFirst = (await staff.GetFromJsonAsync<JsonArray>("/api/data/catalog?sort=-quality"))!;

        var scores = worstFirst.Select(e => (double?)e!["qualityScore"]).ToList();
        var known = scores.TakeWhile(s => s is not null).Select(s => s!.Value).ToList();
        Assert.True(known.Count >= 16);
        Assert.Equal(known.Order(), known);
        Assert.All(scores.Skip(known.Count), s => Assert.Null(s)); // unscored last
        Assert.Equal(known.OrderDescending(), bestFirst.Select(e => (double?)e!["qualityScore"]).OfType<double>());

        var threshold = known[known.Count / 2];
        var good = (await staff.GetFromJsonAsync<JsonArray>($"/api/data/catalog?minScore={threshold}"))!;
        var poor = (await staff.GetFromJsonAsync<JsonArray>($"/api/data/catalog?maxScore={threshold}&sort=quality"))!;
        Assert.Equal(known.Count(s => s >= threshold), good.Count);
        Assert.All(good, e => Assert.True((double)e!["qualityScore"]! >= threshold));
        Assert.Equal(known.Where(s => s <= threshold), poor.Select(e => (double)e!["qualityScore"]!));

        using var badSort = await staff.GetAsync("/api/data/catalog?sort=best");
        using var badScore = await staff.GetAsync("/api/data/catalog?minScore=101");
        Assert.Equal(HttpStatusCode.BadRequest, badSort.StatusCode);
        Assert.Contains("'best' is not an order", await badSort.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, badScore.StatusCode);
        Assert.Contains("minScore", await badScore.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private async Task<JsonObject> RunQualityAsync()
    {
        using var admin = lake.Client(DemoLake.Admin);
        using var response = await admin.PostAsJsonAsync("/api/data/quality/runs", new { });
        var run = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(response.StatusCode == HttpStatusCode.Created, run.ToJsonString());
        return run;
    }
}

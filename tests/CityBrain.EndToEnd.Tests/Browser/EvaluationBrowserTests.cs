using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CityBrain.Cockpit.Evaluation;
using CityBrain.Cockpit.Indicators;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Identifiers;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityBrain.EndToEnd.Tests.Browser;

/// <summary>
/// Scenario evaluation and the leaderboard in a real headless Chromium against the real host: a leader registers a
/// scenario on the evaluation page, its system reports use, a citizen rates it on the phone (once a day), and the page
/// shows daily active users, usage rate and satisfaction; the leaderboard ranks districts on an indicator.
/// </summary>
public sealed class EvaluationBrowserTests : IAsyncLifetime
{
    private readonly WaitingGauge _gauge = new();
    private HubNode _node = null!;
    private Chromium _chromium = null!;

    public async ValueTask InitializeAsync()
    {
        _node = await HubNode.StartAsync(TestStores.Sqlite, builder => builder.Services.AddSingleton<ILiveMetricSource>(_gauge));
        _chromium = await Chromium.LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _node.DisposeAsync();
    }

    [Fact]
    public async Task Scenario_RegisteredUsedAndRatedByCitizen_EvaluationPageShowsUsersUsageAndSatisfaction()
    {
        var leader = await _chromium.OpenAsync(1920, 1080);
        await Chromium.LoginAsync(leader, _node.BaseAddress, "leader", "leader-demo");
        await Chromium.GotoAsync(leader, _node.BaseAddress, "/scenarios");
        // The platform's own scenarios are registered at start; nothing else yet.
        await Expect(leader.Locator("[data-testid='scenario-row']")).ToHaveCountAsync(2);
        await Expect(leader.Locator("[data-testid='scenario-row'][data-scenario='traffic']")).ToBeVisibleAsync();
        await Expect(leader.Locator("[data-testid='lifecycle-rules']")).ToContainTextAsync("trial → online after 14 days");

        // A population that is not a number is named; nothing is registered.
        await leader.FillAsync("#scenario-code", "policy-direct");
        await leader.FillAsync("#scenario-name", "政策直达");
        await leader.FillAsync("#scenario-owner", "dsj");
        await leader.FillAsync("#scenario-population", "两千");
        await leader.ClickAsync("[data-testid='register']");
        await Expect(leader.Locator("[data-testid='scenario-error']")).ToContainTextAsync("targetPopulation");
        await Expect(leader.Locator("[data-testid='scenario-row']")).ToHaveCountAsync(2);

        await leader.FillAsync("#scenario-population", "2000");
        await leader.ClickAsync("[data-testid='register']");
        var row = leader.Locator("tr", new PageLocatorOptions { Has = leader.Locator("[data-testid='scenario-row'][data-scenario='policy-direct']") });
        await Expect(row.Locator("[data-testid='scenario-state']")).ToHaveAttributeAsync("data-state", ScenarioState.Trial);
        await Expect(row.Locator("[data-testid='scenario-dau']")).ToHaveTextAsync("0");

        // The scenario's system reports use, in-process as scenarios do: three people today, one of them twice.
        var usage = _node.Services.GetRequiredService<IScenarioUsage>();
        foreach (var user in new[] { "u-1", "u-2", "u-3", "u-1" })
        {
            await usage.RecordUseAsync("policy-direct", user, TestContext.Current.CancellationToken);
        }

        // A citizen rates it four stars on the phone; a second rating the same day is refused, saying why.
        var citizen = await _chromium.OpenAsync(390, 844);
        await LoginCitizenAsync(citizen);
        var service = citizen.Locator("[data-testid='rate-service'][data-scenario='policy-direct']");
        await service.Locator(".mud-rating-item").Nth(3).ClickAsync();
        await service.Locator("[data-testid='rate']").ClickAsync();
        await Expect(citizen.Locator("[data-testid='rating-message']")).ToContainTextAsync("rated 4 / 5");
        await Chromium.AssertFitsWidthAsync(citizen, 390);
        await Chromium.ScreenshotAsync(citizen, "evaluation-1-citizen-rates-phone");
        await service.Locator("[data-testid='rate']").ClickAsync();
        await Expect(citizen.Locator("[data-testid='rating-message']")).ToContainTextAsync("already rated scenario 'policy-direct' today");

        await Chromium.GotoAsync(leader, _node.BaseAddress, "/scenarios");
        await Expect(row.Locator("[data-testid='scenario-dau']")).ToHaveTextAsync("3");
        await Expect(row.Locator("[data-testid='scenario-usage-rate']")).ToHaveTextAsync("0.15 %");
        await Expect(row.Locator("[data-testid='scenario-satisfaction']")).ToContainTextAsync("4.00 / 5");
        await Expect(row.Locator("[data-testid='scenario-satisfaction']")).ToContainTextAsync("(1 rating)");
        await Chromium.ScreenshotAsync(leader, "evaluation-2-scenarios-wall");

        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    [Fact]
    public async Task Leaderboard_IndicatorChosen_RanksDistrictsInTheIndicatorsDirection()
    {
        var ct = TestContext.Current.CancellationToken;
        var admin = _node.Client(_node.Services.GetRequiredService<TokenService>().Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));
        await HttpAssert.StatusAsync(HttpStatusCode.Created, await admin.PostAsJsonAsync("/api/cockpit/indicators", new
        {
            code = "test.wait", name = "办事等候分钟", owningUnit = "dsj", source = "metric", query = "test.wait", measure = "分钟",
            refreshSeconds = 1, direction = "lowerIsBetter", yellow = 30, red = 60,
        }, ct));

        // Shortest wait first: 拱墅 (8), 西湖 (12), 上城 (25).
        var leader = await _chromium.OpenAsync(1280, 800);
        await Chromium.LoginAsync(leader, _node.BaseAddress, "leader", "leader-demo");
        // The leaderboard offers an indicator once it has values by district: the cockpit shows when it has.
        await leader.Locator("[data-testid='tile-test.wait'][data-status='Green']").WaitForAsync();
        await Chromium.GotoAsync(leader, _node.BaseAddress, "/supervision");
        await leader.Locator("[data-testid='leaderboard-metric']").ClickAsync();
        await leader.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasText = "办事等候分钟" }).ClickAsync();
        var entries = leader.Locator("[data-testid='leaderboard-entry']");
        await Expect(entries).ToHaveCountAsync(3);
        string[] order = ["330105", "330106", "330102"];
        for (var i = 0; i < order.Length; i++)
        {
            await Expect(entries.Nth(i)).ToHaveAttributeAsync("data-key", order[i]);
        }
        await Expect(entries.Nth(0)).ToContainTextAsync("拱墅区");
        await Chromium.ScreenshotAsync(leader, "leaderboard-indicator-by-district");

        // The API ranks the same; an indicator's figures belong to districts, so ranking units by one is refused by name.
        var leaderApi = _node.Client(_node.Services.GetRequiredService<TokenService>().Issue(new Caller("leader", HubRoles.Leader, null, null, null), TimeSpan.FromHours(1)));
        var board = await leaderApi.GetFromJsonAsync<JsonElement>("/api/cockpit/leaderboard?by=district&metric=indicator:test.wait", ct);
        Assert.Equal(order, board.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("key").GetString()).ToArray());
        var byUnit = await leaderApi.GetAsync("/api/cockpit/leaderboard?by=unit&metric=indicator:test.wait", ct);
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, byUnit);
        Assert.Contains("rank it by 'district'", await byUnit.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);

        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    private async Task LoginCitizenAsync(IPage page)
    {
        const string resident = "33010619900101123X";
        var valid = resident[..17] + ResidentId.ComputeCheckCharacter(resident.AsSpan(0, 17));
        await page.GotoAsync(new Uri(_node.BaseAddress, "/login").ToString());
        await page.ClickAsync("#tab-citizen");
        await page.FillAsync("#codeResidentId", valid);
        await page.ClickAsync("#send-code");
        var demoCode = page.Locator("#demo-code strong");
        await Expect(demoCode).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\s*\d{6}\s*$"));
        await page.FillAsync("#residentId", valid);
        await page.FillAsync("#code", (await demoCode.InnerTextAsync()).Trim());
        await page.ClickAsync("#citizen-login");
        await page.Locator("[data-interactive='true']").WaitForAsync();
    }

    /// <summary>Waiting minutes by district, as a live figure (test.wait).</summary>
    private sealed class WaitingGauge : ILiveMetricSource
    {
        public ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken) =>
            ValueTask.FromResult(metric == "test.wait"
                ? new IndicatorReading(15, new Dictionary<string, double> { ["330102"] = 25, ["330105"] = 8, ["330106"] = 12, ["330106001"] = 3 })
                : null);
    }
}

using System.Net.Http.Json;
using CityBrain.Cockpit.Indicators;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CityBrain.EndToEnd.Tests.Browser;

/// <summary>
/// The cockpit in a real headless Chromium (Debian's), against the real host: login, the city cockpit with its tiles and
/// district map, an indicator driven over its red threshold and the warning appearing live, the phone-sized layout.
/// Screenshots are kept under TestResults/screenshots; any console error fails the test.
/// </summary>
public sealed class CockpitBrowserTests : IAsyncLifetime
{
    private readonly QueueGauge _gauge = new();
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
    public async Task Leader_IndicatorCrossesRedThreshold_WarningAppearsLiveOnCityCockpit()
    {
        var admin = _node.Client(_node.Services.GetRequiredService<TokenService>().Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));
        var defined = await admin.PostAsJsonAsync("/api/cockpit/indicators", new
        {
            code = "test.queue", name = "办事排队人数", owningUnit = "dsj", source = "metric", query = "test.queue", measure = "人",
            refreshSeconds = 1, direction = "lowerIsBetter", yellow = 50, red = 80,
        }, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.Created, defined.StatusCode);

        var page = await OpenAsync(1920, 1080);
        await page.GotoAsync(new Uri(_node.BaseAddress, "/").ToString());
        await page.WaitForURLAsync("**/login**");
        await page.FillAsync("#userName", "leader");
        await page.FillAsync("#password", "leader-demo");
        await page.ClickAsync("#login");

        await page.Locator("[data-testid='tile-hub.interfaces'][data-status='Green']").WaitForAsync();
        await page.Locator("[data-testid='tile-env.air-quality'][data-status='Unavailable']").WaitForAsync();
        await page.Locator("[data-testid='district-map'][data-rendered='true'] canvas").WaitForAsync();
        await page.Locator("[data-testid='tile-test.queue'][data-status='Green']").WaitForAsync();
        await ScreenshotAsync(page, "city-cockpit-wall");

        _gauge.Value = 120;

        // No reload: the warning and the red tile arrive over the page's live connection.
        var warning = page.Locator("[data-testid='warning'][data-indicator='test.queue'][data-severity='Red']");
        await warning.First.WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        Assert.Contains("above the red threshold 80 人", await warning.First.InnerTextAsync(), StringComparison.Ordinal);
        await page.Locator("[data-testid='tile-test.queue'][data-status='Red']").WaitForAsync();
        await ScreenshotAsync(page, "city-cockpit-warning");

        // Drill down: the ranking (and the map) lead from the city to a district, whose ranking lists its streets.
        await page.Locator("[data-testid='indicator-select']").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasText = "办事排队人数" }).ClickAsync();
        await page.Locator("[data-testid='ranking'] a", new PageLocatorOptions { HasText = "西湖区" }).ClickAsync();
        await page.WaitForURLAsync("**/cockpit/district/330106");
        await page.Locator("[data-testid='cockpit-title']", new PageLocatorOptions { HasText = "西湖区" }).WaitForAsync();
        Assert.Equal("72 人", (await page.Locator("[data-testid='value-test.queue']").InnerTextAsync()).Trim());
        Assert.Equal("Yellow", await page.Locator("[data-testid='tile-test.queue']").GetAttributeAsync("data-status"));
        await page.Locator("[data-testid='ranking'] td", new PageLocatorOptions { HasText = "330106001" }).WaitForAsync();
        await ScreenshotAsync(page, "district-cockpit-wall");

        var phone = await OpenAsync(390, 844);
        await phone.GotoAsync(new Uri(_node.BaseAddress, "/login").ToString());
        await phone.FillAsync("#userName", "leader");
        await phone.FillAsync("#password", "leader-demo");
        await phone.ClickAsync("#login");
        await phone.Locator("[data-testid='tile-test.queue'][data-status='Red']").WaitForAsync();
        await phone.Locator("[data-testid='district-map'][data-rendered='true'] canvas").WaitForAsync();
        var width = await phone.EvaluateAsync<int>("document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the phone layout scrolls sideways: {width} px wide");
        await ScreenshotAsync(phone, "city-cockpit-phone");

        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    [Fact]
    public async Task Login_WrongPasswordThenCitizenOnCockpit_ClearMessagesNoCockpit()
    {
        var page = await OpenAsync(390, 844);
        await page.GotoAsync(new Uri(_node.BaseAddress, "/login").ToString());
        await page.FillAsync("#userName", "leader");
        await page.FillAsync("#password", "wrong");
        await page.ClickAsync("#login");
        Assert.Contains("wrong password", await page.Locator("#login-error").InnerTextAsync(), StringComparison.Ordinal);

        await page.ClickAsync("#tab-citizen");
        await page.FillAsync("#codeResidentId", "330106199001011234");
        await page.ClickAsync("#send-code");
        Assert.Contains("Resident ID", await page.Locator("#login-error").InnerTextAsync(), StringComparison.Ordinal);

        const string resident = "33010619900101123X";
        var valid = resident[..17] + CityBrain.Kernel.Identifiers.ResidentId.ComputeCheckCharacter(resident.AsSpan(0, 17));
        await page.FillAsync("#codeResidentId", valid);
        await page.ClickAsync("#send-code");
        var code = (await page.Locator("#demo-code strong").InnerTextAsync()).Trim();
        await page.FillAsync("#residentId", valid);
        await page.FillAsync("#code", code);
        await page.ClickAsync("#citizen-login");
        await page.Locator("[data-testid='cockpit-title']").WaitForAsync();
        Assert.Contains("社会端", await page.Locator("[data-testid='cockpit-title']").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("[data-testid='tile-hub.calls']").CountAsync());

        await page.GotoAsync(new Uri(_node.BaseAddress, "/indicators").ToString());
        await page.Locator("[data-testid='denied']").WaitForAsync();
        await ScreenshotAsync(page, "citizen-denied-phone");
        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    private Task<IPage> OpenAsync(int width, int height) => _chromium.OpenAsync(width, height);

    private static Task ScreenshotAsync(IPage page, string name) => Chromium.ScreenshotAsync(page, name);

    /// <summary>A live figure the test sets: the metric test.queue.</summary>
    private sealed class QueueGauge : ILiveMetricSource
    {
        public volatile int Value = 10;

        public ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken) =>
            ValueTask.FromResult(metric == "test.queue"
                ? new IndicatorReading(Value, new Dictionary<string, double> { ["330106"] = Value * 0.6, ["330102"] = Value * 0.4, ["330106001"] = Value * 0.1 })
                : null);
    }
}

using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CityBrain.Cockpit.Indicators;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityBrain.EndToEnd.Tests.Browser;

/// <summary>
/// The cockpit in a real headless Chromium (Debian's), against the real host: login, the city cockpit with its tiles and
/// district map, an indicator driven over its red threshold and the warning appearing live, the phone-sized layout.
/// Screenshots are kept under TestResults/screenshots; any console error fails the test.
/// </summary>
public sealed partial class CockpitBrowserTests : IAsyncLifetime
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
        await warning.First.WaitForAsync();
        await Expect(warning.First).ToContainTextAsync("above the red threshold 80 人");
        await page.Locator("[data-testid='tile-test.queue'][data-status='Red']").WaitForAsync();
        await ScreenshotAsync(page, "city-cockpit-warning");

        // Drill down: the ranking (and the map) lead from the city to a district, whose ranking lists its streets.
        await page.Locator("[data-testid='indicator-select']").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasText = "办事排队人数" }).ClickAsync();
        await page.Locator("[data-testid='ranking'] a", new PageLocatorOptions { HasText = "西湖区" }).ClickAsync();
        await page.WaitForURLAsync("**/cockpit/district/330106");
        await page.Locator("[data-testid='cockpit-title']", new PageLocatorOptions { HasText = "西湖区" }).WaitForAsync();
        await Expect(page.Locator("[data-testid='value-test.queue']")).ToHaveTextAsync("72 人");
        await Expect(page.Locator("[data-testid='tile-test.queue']")).ToHaveAttributeAsync("data-status", "Yellow");
        await page.Locator("[data-testid='ranking'] td", new PageLocatorOptions { HasText = "330106001" }).WaitForAsync();
        await ScreenshotAsync(page, "district-cockpit-wall");

        // ... and a street's own trend, from the district's ranking.
        await page.Locator("[data-testid='street-link'][data-street='330106001']").ClickAsync();
        await Expect(page.Locator("[data-testid='trend-street']")).ToHaveAttributeAsync("data-street", "330106001");
        await Expect(page.Locator("[data-testid='trend-chart']")).ToHaveAttributeAsync("data-area", "330106001");
        await Expect(page.Locator("[data-testid='trend-chart']")).ToHaveAttributeAsync("data-last", "12");
        await ScreenshotAsync(page, "street-trend-wall");

        var phone = await OpenAsync(390, 844);
        await phone.GotoAsync(new Uri(_node.BaseAddress, "/login").ToString());
        await phone.FillAsync("#userName", "leader");
        await phone.FillAsync("#password", "leader-demo");
        await phone.ClickAsync("#login");
        await phone.Locator("[data-testid='tile-test.queue'][data-status='Red']").WaitForAsync();
        await phone.Locator("[data-testid='district-map'][data-rendered='true'] canvas").WaitForAsync();
        await Chromium.AssertFitsWidthAsync(phone, 390);
        await ScreenshotAsync(phone, "city-cockpit-phone");

        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    [Fact]
    public async Task Operator_SignsIn_LandsOnOwnDepartmentsCockpitAndNoOther()
    {
        var page = await OpenAsync(390, 844);
        await Chromium.LoginAsync(page, _node.BaseAddress, "operator@dsj", "operator-demo");
        await page.WaitForURLAsync("**/cockpit/department/dsj");
        await Expect(page.Locator("[data-testid='cockpit-title']")).ToContainTextAsync("dsj");
        // The data bureau's own indicators, not the transport bureau's.
        await Expect(page.Locator("[data-testid='tile-hub.interfaces']")).ToHaveAttributeAsync("data-status", "Green");
        await Expect(page.Locator("[data-testid='tile-city.hotline']")).ToHaveCountAsync(1);
        await Expect(page.Locator("[data-testid='tile-city.parking']")).ToHaveCountAsync(0);
        await Chromium.AssertFitsWidthAsync(page, 390);
        await ScreenshotAsync(page, "department-cockpit-phone");

        await Chromium.GotoAsync(page, _node.BaseAddress, "/cockpit/department/jtj");
        await Expect(page.Locator("[data-testid='denied']")).ToContainTextAsync("own unit's cockpit only");
        await Expect(page.Locator("[data-testid='tile-city.parking']")).ToHaveCountAsync(0);
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
        await Expect(page.Locator("#login-error")).ToContainTextAsync("wrong password");

        await page.ClickAsync("#tab-citizen");
        await page.FillAsync("#codeResidentId", "330106199001011234");
        await page.ClickAsync("#send-code");
        await Expect(page.Locator("#login-error")).ToContainTextAsync("Resident ID");

        const string resident = "33010619900101123X";
        var valid = resident[..17] + CityBrain.Kernel.Identifiers.ResidentId.ComputeCheckCharacter(resident.AsSpan(0, 17));
        await page.FillAsync("#codeResidentId", valid);
        await page.ClickAsync("#send-code");
        var demoCode = page.Locator("#demo-code strong");
        await Expect(demoCode).ToHaveTextAsync(SixDigits());
        var code = (await demoCode.InnerTextAsync()).Trim();
        await page.FillAsync("#residentId", valid);
        await page.FillAsync("#code", code);
        await page.ClickAsync("#citizen-login");
        await Expect(page.Locator("[data-testid='cockpit-title']")).ToContainTextAsync("社会端");
        await Expect(page.Locator("[data-testid='tile-hub.calls']")).ToHaveCountAsync(0);

        await page.GotoAsync(new Uri(_node.BaseAddress, "/indicators").ToString());
        await page.Locator("[data-testid='denied']").WaitForAsync();
        await ScreenshotAsync(page, "citizen-denied-phone");
        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    private Task<IPage> OpenAsync(int width, int height) => _chromium.OpenAsync(width, height);

    private static Task ScreenshotAsync(IPage page, string name) => Chromium.ScreenshotAsync(page, name);

    [GeneratedRegex(@"^\s*\d{6}\s*$")]
    private static partial Regex SixDigits();

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

using System.Text.RegularExpressions;
using CityBrain.TestSupport;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityBrain.EndToEnd.Tests.Browser;

/// <summary>
/// The traffic scenario's cockpit pages in a real headless Chromium against the real host on the real Hangzhou 4x4 data:
/// the live view (signals, queues and vehicles moving, the controller switched mid-run, the speed changed), the controllers'
/// results table and the restriction what-if, each reached from the cockpit's menu. Screenshots are kept under
/// TestResults/screenshots; any console error fails the test.
/// </summary>
public sealed class TrafficBrowserTests : IAsyncLifetime
{
    private readonly List<string> _consoleErrors = [];
    private HubNode _node = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async ValueTask InitializeAsync()
    {
        _node = await HubNode.StartAsync(TestStores.Sqlite, builder => builder.Configuration["Traffic:DatasetsPath"] = SharedDatasets());
        _playwright = await Playwright.CreateAsync();
        // Web-first assertions retry until the page shows the expected state; CI machines are slow and busy.
        SetDefaultExpectTimeout(Chromium.Timeout);
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await _node.DisposeAsync();
    }

    [Fact]
    public async Task Leader_LiveViewSwitchingController_SignalsQueuesAndVehiclesMove()
    {
        var page = await LoginAsync();
        await page.Locator(".mud-nav-link", new PageLocatorOptions { HasText = "交通实况 Live view" }).ClickAsync();
        await page.WaitForURLAsync("**/traffic/live");
        await Expect(page.Locator("[data-testid='traffic-title']")).ToContainTextAsync("交通实况");

        // Enabled once the page's live connection is up (a click on the prerendered page would go nowhere).
        await Expect(page.Locator("[data-testid='start']")).ToBeEnabledAsync();
        await page.Locator("[data-testid='start']").ClickAsync();

        var map = page.Locator("[data-testid='traffic-map']");
        await Expect(map).ToHaveAttributeAsync("data-rendered", "true");
        await Expect(map.Locator("canvas").First).ToBeVisibleAsync();
        await Expect(map).ToHaveAttributeAsync("data-vehicles", new Regex("^[1-9][0-9]*$"));
        await Expect(page.Locator("[data-testid='signal']")).ToHaveCountAsync(16);
        // Queues form at the red lights of the real morning flow, and the signals change phase as the plan runs.
        await Expect(page.Locator("[data-testid='waiting']")).ToHaveTextAsync(new Regex("^[1-9][0-9]*$"));
        var firstPhase = page.Locator("[data-testid='phase']").First;
        var shown = await firstPhase.InnerTextAsync();
        await Expect(firstPhase).Not.ToHaveTextAsync(shown);
        await ScreenshotAsync(page, "traffic-live-plan");

        var before = int.Parse(await map.GetAttributeAsync("data-time") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await SelectAsync(page, "controller-select", "maxpressure");
        await Expect(map).ToHaveAttributeAsync("data-controller", "maxpressure");
        // The same run goes on under the new controller: simulated time keeps counting from where it was.
        await page.WaitForFunctionAsync(
            "t => +document.querySelector(\"[data-testid='traffic-map']\").dataset.time > t + 10", before,
            new PageWaitForFunctionOptions { Timeout = 20_000 });
        await Expect(page.Locator("[data-testid='live-figures']")).ToContainTextAsync("Max-Pressure");

        await SelectAsync(page, "speed-select", "尽快 as fast as possible");
        await Expect(page.Locator("[data-testid='finished-alert']")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 180_000 });
        await Expect(page.Locator("[data-testid='sim-time']")).ToHaveTextAsync("1:00:00 / 1:00:00");
        await Expect(page.Locator("[data-testid='finished']")).ToHaveTextAsync(new Regex("^[1-9][0-9]{3}$"));
        await Expect(page.Locator("[data-testid='start']")).ToBeVisibleAsync();
        await ScreenshotAsync(page, "traffic-live-maxpressure-finished");

        Assert.True(_consoleErrors.Count == 0, "console errors: " + string.Join(" | ", _consoleErrors));
    }

    [Fact]
    public async Task Leader_ControllersTableAndTailNumberWhatIf_ResultsShownAndBadInputNamed()
    {
        var page = await LoginAsync();
        await page.Locator(".mud-nav-link", new PageLocatorOptions { HasText = "信号控制对比 Controllers" }).ClickAsync();
        await page.WaitForURLAsync("**/traffic/controllers");
        var rows = page.Locator("[data-testid='result-row']");
        // The table is five one-hour simulations computed on first view: about a second on a quiet machine, but minutes
        // when the CI machine runs every test assembly at once on two cores.
        await Expect(rows).ToHaveCountAsync(5, new LocatorAssertionsToHaveCountOptions { Timeout = 180_000 });
        await Expect(page.Locator("[data-testid='result-row'][data-controller='plan'] [data-testid='throughput']")).ToHaveTextAsync(new Regex("^2[0-9]{3}$"));
        await Expect(page.Locator("[data-testid='best-published']")).ToContainTextAsync("Best published on HZ1");
        await ScreenshotAsync(page, "traffic-controllers");

        await page.Locator(".mud-nav-link", new PageLocatorOptions { HasText = "错峰限行推演 What-if" }).ClickAsync();
        await page.WaitForURLAsync("**/traffic/what-if");

        await Expect(page.Locator("[data-testid='run-what-if']")).ToBeEnabledAsync();
        // Bad input: a road that is not in the roadnet and a time that is not one, each named in the message; nothing shown as a result.
        await page.FillAsync("#closed-roads", "road_9_9_9");
        await page.Locator("[data-testid='run-what-if']").ClickAsync();
        await Expect(page.Locator("[data-testid='traffic-error']")).ToContainTextAsync("closed road 'road_9_9_9' does not exist");
        await Expect(page.Locator("[data-testid='what-if-row']")).ToHaveCountAsync(0);
        await page.FillAsync("#closed-roads", "");
        await page.FillAsync("#start", "25:00");
        await page.Locator("[data-testid='run-what-if']").ClickAsync();
        await Expect(page.Locator("[data-testid='traffic-error']")).ToContainTextAsync("start: '25:00' is not a time of day as HH:mm");

        // Hangzhou's Monday rule (tails 1 and 9 off the road from 7:00) on the 8:00 hour, plan against our controller and Max-Pressure.
        await page.FillAsync("#start", "08:00");
        await page.Locator("[data-testid='compare-maxpressure'] input").CheckAsync();
        await page.Locator("[data-testid='run-what-if']").ClickAsync();
        await Expect(page.Locator("[data-testid='what-if-row']")).ToHaveCountAsync(3, new LocatorAssertionsToHaveCountOptions { Timeout = 180_000 });
        await Expect(page.Locator("[data-testid='traffic-error']")).ToHaveCountAsync(0);
        await Expect(page.Locator("[data-testid='effect']")).ToContainTextAsync(new Regex("[1-9][0-9]* kept off by the tail-number rule"));
        // A fifth of the cars off the road: every controller's travel time falls.
        await Expect(page.Locator("[data-testid='what-if-row'] [data-testid='att-change']")).ToHaveTextAsync([new Regex("^-"), new Regex("^-"), new Regex("^-")]);
        await ScreenshotAsync(page, "traffic-what-if");

        Assert.True(_consoleErrors.Count == 0, "console errors: " + string.Join(" | ", _consoleErrors));
    }

    private async Task<IPage> LoginAsync()
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1600, Height = 1000 } });
        context.SetDefaultTimeout(Chromium.Timeout);
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                lock (_consoleErrors)
                {
                    _consoleErrors.Add($"{message.Text} at {message.Location}");
                }
            }
        };
        page.PageError += (_, error) =>
        {
            lock (_consoleErrors)
            {
                _consoleErrors.Add(error);
            }
        };
        await page.GotoAsync(new Uri(_node.BaseAddress, "/login").ToString());
        await page.FillAsync("#userName", "leader");
        await page.FillAsync("#password", "leader-demo");
        await page.ClickAsync("#login");
        await Expect(page.Locator("[data-testid='cockpit-title']")).ToContainTextAsync("城市驾驶舱");
        // A click on the prerendered menu would be undone when the page's live connection takes over.
        await page.Locator("[data-interactive='true']").WaitForAsync(new LocatorWaitForOptions { Timeout = 90_000 });
        return page;
    }

    private static async Task SelectAsync(IPage page, string select, string item)
    {
        await page.Locator($"[data-testid='{select}']").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasText = item }).First.ClickAsync();
    }

    private static Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        return page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    /// <summary>The shared CityFlow datasets beside the repository (../shared/datasets/traffic).</summary>
    internal static string SharedDatasets()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CityBrain.slnx")))
        {
            directory = directory.Parent;
        }
        return Path.Combine(directory?.Parent?.FullName ?? throw new InvalidOperationException("CityBrain.slnx not found above the test binaries"),
            "shared", "datasets", "traffic");
    }
}

using Microsoft.Playwright;

namespace CityBrain.EndToEnd.Tests.Browser;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, no browser download), headless, driven by Playwright for .NET. Each page opens in
/// its own context (its own cookies: two people at two screens); console errors of every page are collected; screenshots
/// are kept under TestResults/screenshots.
/// </summary>
internal sealed class Chromium : IAsyncDisposable
{
    /// <summary>Generous: CI machines are slow and run test assemblies in parallel.</summary>
    public const float Timeout = 60_000;

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly List<string> _consoleErrors = [];

    private Chromium(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<Chromium> LaunchAsync()
    {
        // Web-first assertions (Expect) retry until the page shows the expected state, for as long as CI may need.
        Assertions.SetDefaultExpectTimeout(Timeout);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        });
        return new Chromium(playwright, browser);
    }

    public IReadOnlyList<string> ConsoleErrors
    {
        get
        {
            lock (_consoleErrors)
            {
                return [.. _consoleErrors];
            }
        }
    }

    /// <summary>A page of the given size in a fresh context.</summary>
    public async Task<IPage> OpenAsync(int width, int height)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height } });
        context.SetDefaultTimeout(Timeout);
        // An uncaught error reaches PageError with its message only: log its stack too, so a failure says where it came from.
        await context.AddInitScriptAsync("window.addEventListener('error', e => console.error('uncaught: ' + (e.error?.stack ?? e.message)));");
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
        return page;
    }

    /// <summary>Signs in on /login with the staff form.</summary>
    public static async Task LoginAsync(IPage page, Uri baseAddress, string userName, string password)
    {
        await page.GotoAsync(new Uri(baseAddress, "/login").ToString());
        await page.FillAsync("#userName", userName);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#login");
        // Signed in once the browser is sent on and the landing page runs interactively: a click on the prerendered page
        // would be lost when its live connection takes over. Generous: under CI load the cockpit took over 30 s to load.
        await page.WaitForURLAsync(url => !url.Contains("/login", StringComparison.Ordinal),
            new PageWaitForURLOptions { WaitUntil = WaitUntilState.Commit, Timeout = 90_000 });
        await page.Locator("[data-interactive='true']").WaitForAsync(new LocatorWaitForOptions { Timeout = 90_000 });
    }

    /// <summary>
    /// Opens a page and waits until it runs interactively: the page is prerendered first, and what is typed before its
    /// live connection is up would be lost.
    /// </summary>
    public static async Task GotoAsync(IPage page, Uri baseAddress, string path)
    {
        await page.GotoAsync(new Uri(baseAddress, path).ToString());
        await page.Locator("[data-interactive='true']").WaitForAsync();
    }

    /// <summary>Asserts the page does not scroll sideways (a phone layout that fits).</summary>
    public static async Task AssertFitsWidthAsync(IPage page, int width)
    {
        var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
        if (scrollWidth <= width)
        {
            return;
        }
        // Name the innermost elements that stick out, so that a failure says what to fix.
        var culprits = await page.EvaluateAsync<string[]>(
            """
            w => [...document.body.querySelectorAll('*')]
                .filter(e => e.getBoundingClientRect().right > w + 1 || (e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'))
                .filter((e, _, all) => !all.some(o => o !== e && e.contains(o)))
                .slice(0, 5)
                .map(e => `<${e.tagName.toLowerCase()} class="${e.className}"> ${Math.round(e.getBoundingClientRect().right)} px: ${(e.textContent ?? '').trim().slice(0, 80)}`)
            """, width);
        await ScreenshotAsync(page, "too-wide-" + Path.GetFileName(new Uri(page.Url).AbsolutePath.TrimEnd('/')));
        Assert.Fail($"{page.Url} scrolls sideways: {scrollWidth} px wide on a {width} px screen; sticking out: {string.Join("; ", culprits)}");
    }

    public static Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");
        Directory.CreateDirectory(folder);
        return page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

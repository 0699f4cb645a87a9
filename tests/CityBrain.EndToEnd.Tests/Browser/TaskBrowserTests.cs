using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using CityBrain.Cockpit.Indicators;
using CityBrain.Cockpit.Live;
using CityBrain.Cockpit.Tasks;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityBrain.EndToEnd.Tests.Browser;

/// <summary>
/// The closed loop in a real headless Chromium against the real host: a warning on the leader's cockpit becomes a task in
/// one action, the unit's operator works it from a phone-sized screen in a second browser context (accept, progress with a
/// photo, complete), the leader verifies and closes it, and the supervision board shows the unit's on-time rate. Also: a
/// viewer whose connection drops reconnects and shows what changed meanwhile.
/// </summary>
public sealed partial class TaskBrowserTests : IAsyncLifetime
{
    private const string Units = """
        units:
          - { code: gaj, name: 杭州市公安局, divisionCode: "330100", parent: dsj }
          - { code: xh-gaj, name: 西湖区公安分局, divisionCode: "330106", parent: gaj }
        """;

    // A 48×32 green PNG: a real photo as far as the browser and the attachment check are concerned.
    private static readonly byte[] Photo = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAADAAAAAgCAIAAADbtmxLAAAAMUlEQVR42u3OMQ0AAAgDsCniwB/ecUE4mlRAU9OvREhISEhISEhISEhISEhISEjo0gKaXS5MK6BKyQAAAABJRU5ErkJggg==");

    private static readonly byte[] Pdf = "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"u8.ToArray();

    private readonly PushedGauge _gauge = new();
    private HubNode _node = null!;
    private Chromium _chromium = null!;

    public async ValueTask InitializeAsync()
    {
        _node = await HubNode.StartAsync(TestStores.Sqlite, Configure);
        _chromium = await Chromium.LaunchAsync();
        var admin = _node.Client(_node.Services.GetRequiredService<TokenService>().Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await admin.PostAsync("/api/hub/registry", new StringContent(Units, Encoding.UTF8, "application/yaml")));
        // Refreshed once an hour: the value moves on the cockpit only because the source pushes its changes.
        var defined = await admin.PostAsJsonAsync("/api/cockpit/indicators", new
        {
            code = "test.crowd", name = "西湖景区客流", owningUnit = "xh-gaj", source = "metric", query = "test.crowd", measure = "人",
            refreshSeconds = 3600, direction = "lowerIsBetter", yellow = 5000, red = 8000,
        });
        await HttpAssert.StatusAsync(HttpStatusCode.Created, defined);
    }

    private void Configure(Microsoft.AspNetCore.Builder.WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ILiveMetricSource>(_gauge);
        // Overdue tasks are looked for every second instead of every minute.
        builder.Configuration["Cockpit:Tasks:EscalationInterval"] = "00:00:01";
    }

    public async ValueTask DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _node.DisposeAsync();
    }

    [Fact]
    public async Task LeaderDispatchesFromLiveWarning_OperatorWorksItOnPhone_LeaderClosesBoardShowsOnTimeRate()
    {
        // The leader at the wall screen, the operator of 西湖区公安分局 on a phone: two people, two browser contexts.
        var leader = await _chromium.OpenAsync(1920, 1080);
        await Chromium.LoginAsync(leader, _node.BaseAddress, "leader", "leader-demo");
        await leader.Locator("[data-testid='tile-test.crowd'][data-status='Green']").WaitForAsync();
        await leader.Locator("[data-testid='district-map'][data-rendered='true'] canvas").WaitForAsync();

        var operatorPhone = await _chromium.OpenAsync(390, 844);
        await Chromium.LoginAsync(operatorPhone, _node.BaseAddress, "operator@xh-gaj", "operator-demo");
        await Chromium.GotoAsync(operatorPhone, _node.BaseAddress, "/tasks");
        await operatorPhone.Locator("[data-testid='tasks-title']", new PageLocatorOptions { HasText = "xh-gaj" }).WaitForAsync();
        await operatorPhone.Locator("[data-testid='no-tasks']").WaitForAsync();

        // The crowd crosses red; the warning arrives on the cockpit without a reload.
        _gauge.Set(9200);
        var warning = leader.Locator("[data-testid='warning'][data-indicator='test.crowd'][data-severity='Red']").First;
        await warning.WaitForAsync();
        await leader.Locator("[data-testid='tile-test.crowd'][data-status='Red']").WaitForAsync();
        await Chromium.ScreenshotAsync(leader, "flow-1-cockpit-warning-wall");

        // One action from the warning: the proposal names the owning unit; the leader adds instructions and a PDF plan.
        await warning.Locator("[data-testid='dispatch-from-warning']").ClickAsync();
        await leader.WaitForURLAsync("**/tasks/new?warning=*");
        await leader.Locator("[data-testid='dispatch-warning']").WaitForAsync();
        await Expect(leader.Locator("#task-unit")).ToHaveValueAsync("xh-gaj");
        await leader.FillAsync("#task-instructions", "断桥一带客流超限：增派警力疏导，设置单向通行，30分钟内回报。");
        await leader.SetInputFilesAsync("#task-files", new FilePayload { Name = "疏导预案.pdf", MimeType = "application/pdf", Buffer = Pdf });
        await Chromium.ScreenshotAsync(leader, "flow-2-dispatch-form-wall");
        await leader.ClickAsync("[data-testid='dispatch']");
        await leader.WaitForURLAsync(TaskPage());
        await leader.Locator("[data-testid='task-status'][data-status='dispatched']").WaitForAsync();
        await Expect(leader.Locator("[data-testid='task-source']")).ToHaveTextAsync(StartsWithWarning());
        await leader.Locator("[data-testid='timeline-entry'][data-action='dispatch'] [data-testid='attachment']", new PageLocatorOptions { HasText = "疏导预案.pdf" }).WaitForAsync();

        // The operator's inbox shows it without a reload; he or she opens it, accepts, reports progress with a photo, completes.
        var row = operatorPhone.Locator("[data-testid='task-row'][data-status='dispatched']");
        await row.WaitForAsync();
        await Chromium.AssertFitsWidthAsync(operatorPhone, 390);
        await Chromium.ScreenshotAsync(operatorPhone, "flow-3-inbox-phone");
        await row.Locator("[data-testid='task-link']").ClickAsync();
        await operatorPhone.WaitForURLAsync(TaskPage());
        await operatorPhone.ClickAsync("[data-testid='accept']");
        await operatorPhone.Locator("[data-testid='task-status'][data-status='accepted']").WaitForAsync();

        await operatorPhone.FillAsync("#progress-note", "已增派12名警力，断桥东侧单向通行。");
        await operatorPhone.SetInputFilesAsync("#evidence-files", new FilePayload { Name = "现场.png", MimeType = "image/png", Buffer = Photo });
        await operatorPhone.ClickAsync("[data-testid='report-progress']");
        await operatorPhone.Locator("[data-testid='task-status'][data-status='in-progress']").WaitForAsync();
        await operatorPhone.WaitForFunctionAsync(
            "() => { const img = document.querySelector(\"[data-testid='timeline-entry'][data-action='progress'] [data-testid='attachment-photo']\"); return img && img.complete && img.naturalWidth === 48; }",
            null, new PageWaitForFunctionOptions { Timeout = Chromium.Timeout });
        await Chromium.AssertFitsWidthAsync(operatorPhone, 390);
        await Chromium.ScreenshotAsync(operatorPhone, "flow-4-progress-photo-phone");

        await operatorPhone.FillAsync("#progress-note", "客流已回落，疏导完毕。");
        await operatorPhone.ClickAsync("[data-testid='complete']");
        await operatorPhone.Locator("[data-testid='task-status'][data-status='completed']").WaitForAsync();

        // The leader's page follows without a reload; the leader verifies and closes.
        await leader.Locator("[data-testid='task-status'][data-status='completed']").WaitForAsync();
        await leader.Locator("[data-testid='timeline-entry'][data-action='progress']", new PageLocatorOptions { HasText = "已增派12名警力" }).WaitForAsync();
        await leader.FillAsync("#close-note", "核验属实，办结。");
        await leader.ClickAsync("[data-testid='close']");
        await leader.Locator("[data-testid='task-status'][data-status='closed']").WaitForAsync();
        var timeline = leader.Locator("[data-testid='timeline-entry']");
        await Expect(timeline).ToHaveCountAsync(5);
        string[] actions = ["dispatch", "accept", "progress", "complete", "close"];
        for (var i = 0; i < actions.Length; i++)
        {
            await Expect(timeline.Nth(i)).ToHaveAttributeAsync("data-action", actions[i]);
        }
        await Chromium.ScreenshotAsync(leader, "flow-5-task-closed-wall");
        // A closed task offers nothing more to its unit.
        await operatorPhone.Locator("[data-testid='task-status'][data-status='closed']").WaitForAsync();
        await Expect(operatorPhone.Locator("[data-testid='unit-actions']")).ToHaveCountAsync(0);

        // The supervision board: the unit closed one task, on time; the leaderboard ranks it.
        await leader.ClickAsync("[data-testid='nav-supervision']");
        await leader.WaitForURLAsync("**/supervision");
        var unitRow = leader.Locator("tr", new PageLocatorOptions { Has = leader.Locator("[data-testid='unit-row'][data-unit='xh-gaj']") });
        await unitRow.WaitForAsync();
        await Expect(unitRow.Locator("[data-testid='unit-closed']")).ToHaveTextAsync("1 / 1");
        await Expect(unitRow.Locator("[data-testid='unit-on-time-rate']")).ToHaveTextAsync("100 %");
        await Expect(unitRow.Locator("[data-testid='unit-open']")).ToHaveTextAsync("0");
        await leader.Locator("[data-testid='leaderboard-entry'][data-key='xh-gaj']").WaitForAsync();
        await Chromium.ScreenshotAsync(leader, "flow-6-supervision-wall");

        // An overdue task escalates to the unit's superior (杭州市公安局): one given two seconds, dispatched in-process
        // as other modules do. The superior's operator sees it arrive; the board, still open, counts it overdue.
        var superior = await _chromium.OpenAsync(390, 844);
        await Chromium.LoginAsync(superior, _node.BaseAddress, "operator@gaj", "operator-demo");
        await Chromium.GotoAsync(superior, _node.BaseAddress, "/tasks");
        await superior.Locator("[data-testid='no-tasks']").WaitForAsync();
        await _node.Services.GetRequiredService<ITaskDispatcher>().DispatchAsync(
            new TaskDispatch("复查断桥周边", "复查断桥周边秩序并回报", "xh-gaj", DateTimeOffset.UtcNow.AddSeconds(2), null, null, null), "leader", TestContext.Current.CancellationToken);
        await superior.Locator("[data-testid='task-row'] [data-testid='escalated']", new PageLocatorOptions { HasText = "gaj" }).WaitForAsync();
        await Chromium.ScreenshotAsync(superior, "flow-7-escalated-to-superior-phone");
        await leader.Locator("tr", new PageLocatorOptions { Has = leader.Locator("[data-testid='unit-row'][data-unit='xh-gaj']") })
            .Locator("[data-testid='unit-overdue']", new LocatorLocatorOptions { HasTextRegex = OverdueOne() }).WaitForAsync();

        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    [Fact]
    public async Task Operator_WrongInputAndOtherUnitsTask_ClearMessageNothingChanged()
    {
        var operatorPhone = await _chromium.OpenAsync(390, 844);
        await Chromium.LoginAsync(operatorPhone, _node.BaseAddress, "operator@gaj", "operator-demo");
        var leader = await _chromium.OpenAsync(390, 844);
        await Chromium.LoginAsync(leader, _node.BaseAddress, "leader", "leader-demo");

        // From nothing: a task for another unit; the leader forgets the instructions first and is told which field.
        await Chromium.GotoAsync(leader, _node.BaseAddress, "/tasks/new");
        await leader.FillAsync("#task-title", "复查断桥周边");
        await leader.FillAsync("#task-unit", "xh-gaj");
        await leader.ClickAsync("[data-testid='dispatch']");
        await Expect(leader.Locator("[data-testid='dispatch-error']")).ToContainTextAsync("instructions");
        await leader.FillAsync("#task-instructions", "复查断桥周边秩序");
        await leader.ClickAsync("[data-testid='dispatch']");
        await leader.WaitForURLAsync(TaskPage());
        var taskUrl = leader.Url;
        await Chromium.AssertFitsWidthAsync(leader, 390);

        // Another unit's operator neither lists nor opens it.
        await Chromium.GotoAsync(operatorPhone, _node.BaseAddress, "/tasks");
        await operatorPhone.Locator("[data-testid='no-tasks']").WaitForAsync();
        await Chromium.GotoAsync(operatorPhone, _node.BaseAddress, taskUrl);
        await operatorPhone.Locator("[data-testid='task-not-found']").WaitForAsync();

        // The right unit sends it back without a reason: told so, and the task stays as it was.
        var district = await _chromium.OpenAsync(390, 844);
        await Chromium.LoginAsync(district, _node.BaseAddress, "operator@xh-gaj", "operator-demo");
        await Chromium.GotoAsync(district, _node.BaseAddress, taskUrl);
        await district.ClickAsync("[data-testid='send-back']");
        await Expect(district.Locator("[data-testid='action-error']")).ToContainTextAsync("reason");
        await Expect(district.Locator("[data-testid='task-status']")).ToHaveAttributeAsync("data-status", "dispatched");
        await district.FillAsync("#send-back-reason", "不属本单位职责，应由景区管委会处理");
        await district.ClickAsync("[data-testid='send-back']");
        await district.Locator("[data-testid='task-status'][data-status='sent-back']").WaitForAsync();

        // The leader sees it come back and gives it to another unit.
        await leader.Locator("[data-testid='task-status'][data-status='sent-back']").WaitForAsync();
        await leader.FillAsync("#redispatch-unit", "gaj");
        await leader.ClickAsync("[data-testid='redispatch']");
        await leader.Locator("[data-testid='task-status'][data-status='dispatched']").WaitForAsync();
        await Expect(leader.Locator("[data-testid='task-unit']")).ToHaveTextAsync("gaj");
        await Chromium.GotoAsync(operatorPhone, _node.BaseAddress, "/tasks");
        await operatorPhone.Locator("[data-testid='task-row'][data-status='dispatched']").WaitForAsync();
        await Chromium.ScreenshotAsync(leader, "task-redispatched-phone");

        // The new unit accepts, then offers a text file as evidence: refused by name, nothing recorded.
        await operatorPhone.Locator("[data-testid='task-row'] [data-testid='task-link']").ClickAsync();
        await operatorPhone.WaitForURLAsync(TaskPage());
        await operatorPhone.ClickAsync("[data-testid='accept']");
        await operatorPhone.Locator("[data-testid='task-status'][data-status='accepted']").WaitForAsync();
        await operatorPhone.FillAsync("#progress-note", "已到场");
        await operatorPhone.SetInputFilesAsync("#evidence-files", new FilePayload { Name = "记录.txt", MimeType = "text/plain", Buffer = "现场记录"u8.ToArray() });
        await operatorPhone.ClickAsync("[data-testid='report-progress']");
        var refusal = operatorPhone.Locator("[data-testid='action-error']");
        await Expect(refusal).ToContainTextAsync("files[0]");
        await Expect(refusal).ToContainTextAsync("记录.txt");
        await Expect(operatorPhone.Locator("[data-testid='task-status']")).ToHaveAttributeAsync("data-status", "accepted");
        await Expect(operatorPhone.Locator("[data-testid='timeline-entry'][data-action='progress']")).ToHaveCountAsync(0);
        await Chromium.ScreenshotAsync(operatorPhone, "task-evidence-refused-phone");

        // The unit completes without the refused file; the leader finds the work short and returns it: without a reason
        // refused, the task as it was; with one, back to the unit, which sees why.
        await operatorPhone.SetInputFilesAsync("#evidence-files", Array.Empty<FilePayload>());
        await operatorPhone.ClickAsync("[data-testid='complete']");
        await operatorPhone.Locator("[data-testid='task-status'][data-status='completed']").WaitForAsync();
        await leader.Locator("[data-testid='task-status'][data-status='completed']").WaitForAsync();
        await leader.ClickAsync("[data-testid='return']");
        await Expect(leader.Locator("[data-testid='action-error']")).ToContainTextAsync("reason");
        await Expect(leader.Locator("[data-testid='task-status']")).ToHaveAttributeAsync("data-status", "completed");
        await leader.FillAsync("#return-reason", "缺少现场照片，请补充");
        await leader.ClickAsync("[data-testid='return']");
        await leader.Locator("[data-testid='task-status'][data-status='reopened']").WaitForAsync();
        await operatorPhone.Locator("[data-testid='task-status'][data-status='reopened']").WaitForAsync();
        await Expect(operatorPhone.Locator("[data-testid='timeline-entry'][data-action='return']")).ToContainTextAsync("缺少现场照片");
        await Chromium.ScreenshotAsync(operatorPhone, "task-returned-phone");

        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    [Fact]
    public async Task Viewer_ConnectionDropsThenReturns_ReconnectsAndShowsWhatChangedMeanwhile()
    {
        var viewer = await _chromium.OpenAsync(1280, 800);
        // The page's live connection (the Blazor circuit's WebSocket) runs through a route the test controls: offline
        // emulation alone neither closes open WebSockets nor stops new ones, so while the network is "down" the route
        // cuts the open connections and refuses new ones.
        var networkDown = false;
        var open = new List<(IWebSocketRoute Page, IWebSocketRoute Server)>();
        await viewer.RouteWebSocketAsync(BlazorSocketPattern(), async page =>
        {
            if (Volatile.Read(ref networkDown))
            {
                await page.CloseAsync(new WebSocketRouteCloseOptions { Code = 1011, Reason = "network down" });
                return;
            }
            var server = page.ConnectToServer();
            lock (open)
            {
                open.Add((page, server));
            }
        });
        await Chromium.LoginAsync(viewer, _node.BaseAddress, "leader", "leader-demo");
        await viewer.Locator("[data-testid='tile-test.crowd'][data-status='Green']").WaitForAsync();
        await viewer.Locator("[data-testid='district-map'][data-rendered='true'] canvas").WaitForAsync();

        // The network goes: the connection drops and cannot come back; the page says it is reconnecting.
        Volatile.Write(ref networkDown, true);
        await viewer.Context.SetOfflineAsync(true);
        (IWebSocketRoute Page, IWebSocketRoute Server)[] cut;
        lock (open)
        {
            cut = [.. open];
            open.Clear();
        }
        foreach (var (page, server) in cut)
        {
            await page.CloseAsync(new WebSocketRouteCloseOptions { Code = 1011, Reason = "network down" });
            await server.CloseAsync(new WebSocketRouteCloseOptions { Code = 1011, Reason = "network down" });
        }
        var banner = viewer.Locator("#components-reconnect-modal");
        await banner.WaitForAsync();

        // Meanwhile the crowd grows past yellow: the server has it, the disconnected page cannot show it yet.
        _gauge.Set(6400);
        var feed = _node.Services.GetRequiredService<CockpitFeed>();
        var until = DateTime.UtcNow.AddSeconds(30);
        while (feed.Find("test.crowd")?.Status != IndicatorStatus.Yellow && DateTime.UtcNow < until)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
        Assert.Equal(IndicatorStatus.Yellow, feed.Find("test.crowd")?.Status);
        await Expect(viewer.Locator("[data-testid='tile-test.crowd']")).ToHaveAttributeAsync("data-status", "Green");
        await Expect(banner).ToBeVisibleAsync();
        // Readable: red, not MudBlazor's white on white.
        await Expect(banner).ToHaveCSSAsync("background-color", "rgb(198, 40, 40)");
        await viewer.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots", "reconnect-1-offline.png") });

        // The network is back: the page reconnects by itself and shows the change, the banner gone.
        Volatile.Write(ref networkDown, false);
        await viewer.Context.SetOfflineAsync(false);
        await viewer.Locator("[data-testid='tile-test.crowd'][data-status='Yellow']").WaitForAsync();
        await viewer.Locator("[data-testid='warning'][data-indicator='test.crowd'][data-severity='Yellow']").First.WaitForAsync();
        await banner.WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Hidden });
        await Chromium.ScreenshotAsync(viewer, "reconnect-2-back");

        // And it stays live on the new connection.
        _gauge.Set(9900);
        await viewer.Locator("[data-testid='tile-test.crowd'][data-status='Red']").WaitForAsync();
    }

    [Fact]
    public async Task Viewer_ServerRestarts_PageStartsAfreshByItselfAndShowsCurrentState()
    {
        var viewer = await _chromium.OpenAsync(1280, 800);
        await Chromium.LoginAsync(viewer, _node.BaseAddress, "leader", "leader-demo");
        await viewer.Locator("[data-testid='tile-test.crowd'][data-status='Green']").WaitForAsync();
        await viewer.Locator("[data-testid='district-map'][data-rendered='true'] canvas").WaitForAsync();
        await viewer.EvaluateAsync("() => { window.beforeRestart = true; }");

        // The node restarts (a deploy): the page's circuit died with the old process and cannot be resumed. While the node
        // is down the page keeps trying; the new node rejects the old circuit and the page reloads itself.
        await _node.RestartAsync(Configure);
        _gauge.Set(6400);
        await viewer.Locator("[data-testid='tile-test.crowd'][data-status='Yellow']").WaitForAsync();
        Assert.False(await viewer.EvaluateAsync<bool>("() => window.beforeRestart === true"), "the page should have reloaded");
        await Expect(viewer).ToHaveURLAsync(SiteRoot());
        await Chromium.ScreenshotAsync(viewer, "reconnect-3-after-restart");

        _gauge.Set(9900);
        await viewer.Locator("[data-testid='tile-test.crowd'][data-status='Red']").WaitForAsync();
    }

    [GeneratedRegex("/_blazor")]
    private static partial Regex BlazorSocketPattern();

    [GeneratedRegex(@"^\s*warning")]
    private static partial Regex StartsWithWarning();

    [GeneratedRegex("/$")]
    private static partial Regex SiteRoot();

    [GeneratedRegex(@"^\s*1\b")]
    private static partial Regex OverdueOne();

    private static Regex TaskPage() => TaskPagePattern();

    [GeneratedRegex("/tasks/task_[0-9a-f]{32}$")]
    private static partial Regex TaskPagePattern();

    /// <summary>A live figure the test sets, which announces each change (test.crowd).</summary>
    private sealed class PushedGauge : ILiveMetricSource, ILiveMetricChanges
    {
        private volatile int _value = 3000;

        public event Action<string>? MetricChanged;

        public void Set(int value)
        {
            _value = value;
            MetricChanged?.Invoke("test.crowd");
        }

        public ValueTask<IndicatorReading?> ReadAsync(string metric, CancellationToken cancellationToken) =>
            ValueTask.FromResult(metric == "test.crowd"
                ? new IndicatorReading(_value, new Dictionary<string, double> { ["330106"] = _value * 0.8, ["330102"] = _value * 0.2 })
                : null);
    }
}

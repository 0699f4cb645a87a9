using System.Globalization;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Identifiers;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy;
using CityBrain.Scenarios.Policy.Grants;
using CityBrain.SyntheticCity.Departments.Bank;
using CityBrain.SyntheticCity.Generation;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CityBrain.EndToEnd.Tests.Browser;

/// <summary>
/// The citizen side of policy direct-reach in a real headless Chromium against the real host and a small demo city:
/// a citizen who qualifies sees why and the payment waiting for the one bank-account confirmation, confirms, and after
/// the next run sees the money and its notification; one who does not qualify sees which condition failed, appeals,
/// and gets the answer at once. Residents are picked from the city's ground truth.
/// </summary>
public sealed class PolicyPortalBrowserTests : IAsyncLifetime
{
    private const string Policy = "unemployment-subsidy";

    /// <summary>The departments' datasets the shipped policies read.</summary>
    private static readonly string[] PolicyDatasets =
    [
        "gaj.rk", "mzj.dibao", "mzj.disability", "mzj.deaths", "rsj.persons", "rsj.insurance", "rsj.units", "scjgj.qy", "swj.nsr",
        "wjw.death_certificates", "ybj.insured",
    ];
    private HubNode _node = null!;
    private Chromium _chromium = null!;
    private string _city = null!;

    public async ValueTask InitializeAsync()
    {
        _node = await HubNode.StartAsync(TestStores.Sqlite);
        _city = Path.Combine(_node.DataDirectory, "city");
        await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = 3_000, Seed = 11, OutputDirectory = _city }, null, CancellationToken.None);
        // A policy runs only under its grants and reads the lake: the departments' datasets in the catalog and uploaded
        // into the lake by their owning units, then every policy's requests filed and approved by the owning units, as
        // `serve` does for the demo city.
        await _node.Services.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest
        {
            Units = [.. PolicyDatasets.Select(d => d.Split('.')[0]).Distinct().Select(u => new UnitSpec { Code = u, Name = u, DivisionCode = "330100" })],
            Datasets = [.. PolicyDatasets.Select(d => new DatasetSpec
            {
                Code = d, Unit = d.Split('.')[0], Name = d, UpdateFrequency = "daily", Sharing = "conditional",
                Fields = [.. File.ReadLines(DepartmentFile(d)).First().Split(',').Select(f => new FieldSpec { Name = f, Level = "personal" })],
            })],
        }, new Caller("admin", HubRoles.Admin, "dsj", null, null), CancellationToken.None);
        var tokens = _node.Services.GetRequiredService<TokenService>();
        foreach (var dataset in PolicyDatasets)
        {
            var unit = dataset.Split('.')[0];
            using var owner = new HttpClient { BaseAddress = _node.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
            owner.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
                tokens.Issue(new Caller($"operator@{unit}", HubRoles.UnitOperator, unit, null, null), TimeSpan.FromMinutes(10)));
            await using var file = File.OpenRead(DepartmentFile(dataset));
            using var uploaded = await owner.PostAsync($"/api/data/uploads/{dataset}?format=csv", new StreamContent(file));
            Assert.True(uploaded.IsSuccessStatusCode, await uploaded.Content.ReadAsStringAsync());
        }
        Assert.True(await PolicyGrants.RequestDemoGrantsAsync(_node.Services, _node.BaseAddress, CancellationToken.None) > 0);
        _chromium = await Chromium.LaunchAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _chromium.DisposeAsync();
        await _node.DisposeAsync();
    }

    [Fact]
    public async Task MyPolicies_QualifyingAndNotQualifyingCitizens_SeeWhyConfirmGetPaidNotifiedAndAppeal()
    {
        var ct = TestContext.Current.CancellationToken;
        var eligible = Rows("truth/policy_eligible.csv").Where(r => r[0] == Policy).Select(r => r[1]).Where(Valid).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(eligible);
        var anyPolicy = Rows("truth/policy_eligible.csv").Select(r => r[1]).ToHashSet(StringComparer.Ordinal);
        var nobody = Rows("truth/residents.csv").Select(r => r[0]).First(id => Valid(id) && !anyPolicy.Contains(id));
        var period = DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        Assert.Equal(0, (await RunAsync(period, ct)).Paid); // the policy waits for each beneficiary's confirmation

        var citizen = await _chromium.OpenAsync(390, 844);
        await LoginCitizenAsync(citizen, eligible[0]);
        await Chromium.GotoAsync(citizen, _node.BaseAddress, "/portal/policies");
        var mine = citizen.Locator($"[data-testid='my-policy'][data-policy='{Policy}']");
        await Expect(mine).ToHaveAttributeAsync("data-eligible", "true");
        await Expect(mine.Locator("[data-testid='verdict']")).ToContainTextAsync("You get it: ¥1,500.00");
        await Expect(mine.Locator("[data-testid='clause'][data-held='true']")).ToHaveCountAsync(3);
        await Expect(mine.Locator("[data-testid='clause']").First).ToContainTextAsync("employment = unemployed");
        await Expect(mine.Locator("[data-testid='payout']")).ToHaveAttributeAsync("data-status", "awaiting-confirmation");
        await Expect(citizen.Locator("[data-testid='no-notifications']")).ToBeVisibleAsync();
        await Chromium.ScreenshotAsync(citizen, "policy-portal-1-why-and-confirm");

        await citizen.ClickAsync("[data-testid='confirm-account-button']");
        await Expect(citizen.Locator("[data-testid='account-confirmed']")).ToContainTextAsync("1 payment(s) go out on the next run");
        await Expect(citizen.Locator("[data-testid='confirm-account']")).ToHaveCountAsync(0);

        var next = await RunAsync(period, ct);
        Assert.Equal(1, next.Paid);
        await Chromium.GotoAsync(citizen, _node.BaseAddress, "/portal/policies");
        await Expect(mine.Locator("[data-testid='payout']")).ToHaveAttributeAsync("data-status", "paid");
        await Expect(mine.Locator("[data-testid='payout']")).ToContainTextAsync("已到账 paid");
        var notification = citizen.Locator($"[data-testid='notification'][data-policy='{Policy}']");
        await Expect(notification).ToContainTextAsync($"Paid: ¥1,500.00 · 失业补助金 Unemployment subsidy · {period}");
        await Expect(notification).ToHaveAttributeAsync("data-read", "false");
        await Chromium.AssertFitsWidthAsync(citizen, 390);
        await Chromium.ScreenshotAsync(citizen, "policy-portal-2-paid-and-notified");

        var other = await _chromium.OpenAsync(1280, 900);
        await LoginCitizenAsync(other, nobody);
        await Chromium.GotoAsync(other, _node.BaseAddress, "/portal/policies");
        var notMine = other.Locator($"[data-testid='my-policy'][data-policy='{Policy}']");
        await Expect(notMine).ToHaveAttributeAsync("data-eligible", "false");
        await Expect(notMine.Locator("[data-testid='verdict']")).ToContainTextAsync("You do not qualify");
        await Expect(notMine.Locator("[data-testid='clause'][data-held='false']").First).ToContainTextAsync("✗ 不满足 failed");

        await other.Locator("[data-testid='appeal-submit']").ClickAsync();
        await Expect(other.Locator("[data-testid='appeal-error']")).ToContainTextAsync("statement");
        await other.Locator("textarea[data-testid='appeal-statement'], [data-testid='appeal-statement'] textarea").FillAsync("我认为我符合条件 I believe I qualify");
        await other.Locator("[data-testid='appeal-submit']").ClickAsync();
        var answer = other.Locator("[data-testid='appeal-answer']");
        await Expect(answer).ToHaveAttributeAsync("data-status", "answered");
        await Expect(answer).ToContainTextAsync("answered at once");
        await Expect(answer.Locator("[data-testid='appeal-failed-clause']").First).ToContainTextAsync("✗");
        await Chromium.ScreenshotAsync(other, "policy-portal-3-not-eligible-appeal");

        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
        Assert.DoesNotContain(_node.Logs, line => line.Contains(eligible[0], StringComparison.Ordinal) || line.Contains(nobody, StringComparison.Ordinal));
    }

    private string DepartmentFile(string dataset) => Path.Combine(_city, "departments", dataset.Split('.')[0], dataset.Split('.')[1] + ".csv");

    private IEnumerable<string[]> Rows(string path) => File.ReadLines(Path.Combine(_city, path)).Skip(1).Select(l => l.Split(','));

    private static bool Valid(string id) => id.Length == 18 && ResidentId.ComputeCheckCharacter(id.AsSpan(0, 17)) == id[17];

    /// <summary>The policy's payout run for the period, as `citybrain policy run` does it, against the node's store and a demo bank.</summary>
    private async Task<Scenarios.Policy.Payout.PolicyRunSummary> RunAsync(string period, CancellationToken ct)
    {
        await using var bank = await DemoBank.StartAsync(Path.Combine(_node.DataDirectory, "bank"), new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, ct);
        var (run, _) = await PolicyCli.RunAsync(_node.Services, bank.BaseUrl, Policy, period, NullLogger.Instance, ct);
        return run;
    }

    private async Task LoginCitizenAsync(IPage page, string resident)
    {
        await page.GotoAsync(new Uri(_node.BaseAddress, "/login").ToString());
        await page.ClickAsync("#tab-citizen");
        await page.FillAsync("#codeResidentId", resident);
        await page.ClickAsync("#send-code");
        var demoCode = page.Locator("#demo-code strong");
        await Expect(demoCode).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\s*\d{6}\s*$"));
        await page.FillAsync("#residentId", resident);
        await page.FillAsync("#code", (await demoCode.InnerTextAsync()).Trim());
        await page.ClickAsync("#citizen-login");
        await page.Locator("[data-interactive='true']").WaitForAsync();
    }
}

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
/// The citizen and enterprise sides of policy direct-reach in a real headless Chromium against the real host, a small demo
/// city and its demo bank (a separate HTTP service that knows the residents' accounts): a citizen who qualifies sees why
/// and the payment waiting for the one bank-account confirmation, is refused a mistyped and someone else's account, confirms
/// an account of his or her own and is paid at once; one who does not qualify sees which condition failed, appeals, and
/// gets the answer at once. An enterprise signs in with its credit code, sees its policies clause by clause and what was
/// paid through it for its employees (masked), and appeals disputing its insured headcount. Subjects come from the
/// city's ground truth.
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
    private readonly string _cityRoot = Path.Combine(Path.GetTempPath(), "citybrain-portal-city-" + Guid.NewGuid().ToString("N")[..10]);
    private HubNode _node = null!;
    private DemoBank _bank = null!;
    private Chromium _chromium = null!;
    private string _city = null!;

    public async ValueTask InitializeAsync()
    {
        // The city first, so that the bank knows its residents and the node (data folder DATA/city) judges by it.
        var city = Path.Combine(_cityRoot, "city");
        await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = 3_000, Seed = 11, OutputDirectory = city }, null, CancellationToken.None);
        _bank = await DemoBank.StartAsync(Path.Combine(_cityRoot, "bank"), new DemoBankOptions { FailureRate = 0, TimeoutRate = 0, CityDirectory = city }, CancellationToken.None);
        _node = await HubNode.StartAsync(TestStores.Sqlite, builder => builder.Configuration["Policy:BankUrl"] = _bank.BaseUrl.ToString());
        _city = Path.Combine(_node.DataDirectory, "city");
        Directory.CreateSymbolicLink(_city, city);
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
        await _bank.DisposeAsync();
        try
        {
            Directory.Delete(_cityRoot, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
    }

    [Fact]
    public async Task MyPolicies_QualifyingAndNotQualifyingCitizens_SeeWhyConfirmTheirAccountGetPaidAtOnceAndAppeal()
    {
        var ct = TestContext.Current.CancellationToken;
        var eligible = Rows("truth/policy_eligible.csv").Where(r => r[0] == Policy).Select(r => r[1]).Where(Valid).Order(StringComparer.Ordinal).ToList();
        Assert.True(eligible.Count > 1);
        var (me, someoneElse) = (eligible[0], eligible[1]);
        var myName = Rows("truth/residents.csv").Single(r => r[0] == me)[1];
        var anyPolicy = Rows("truth/policy_eligible.csv").Select(r => r[1]).ToHashSet(StringComparer.Ordinal);
        var nobody = Rows("truth/residents.csv").Select(r => r[0]).First(id => Valid(id) && !anyPolicy.Contains(id));
        var period = DateTime.UtcNow.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        Assert.Equal(0, (await RunAsync(Policy, period, ct)).Paid); // the policy waits for each beneficiary's confirmation

        var citizen = await _chromium.OpenAsync(390, 844);
        await LoginCitizenAsync(citizen, me);
        await Chromium.GotoAsync(citizen, _node.BaseAddress, "/portal/policies");
        var mine = citizen.Locator($"[data-testid='my-policy'][data-policy='{Policy}']");
        await Expect(mine).ToHaveAttributeAsync("data-eligible", "true");
        await Expect(mine.Locator("[data-testid='verdict']")).ToContainTextAsync("You get it: ¥1,500.00");
        await Expect(mine.Locator("[data-testid='clause'][data-held='true']")).ToHaveCountAsync(3);
        await Expect(mine.Locator("[data-testid='clause']").First).ToContainTextAsync("employment = unemployed");
        await Expect(mine.Locator("[data-testid='payout']")).ToHaveAttributeAsync("data-status", "awaiting-confirmation");
        await Expect(citizen.Locator("[data-testid='no-notifications']")).ToBeVisibleAsync();
        var onFile = DemoBank.AccountNumber(me, 0);
        await Expect(citizen.Locator("[data-testid='account-on-file']")).ToContainTextAsync($"CBDB {onFile[..4]} **** {onFile[^4..]}");
        await Chromium.ScreenshotAsync(citizen, "policy-portal-1-why-and-confirm");

        // Another account of one's own: a mistyped number and someone else's account are refused with the reason.
        var account = DemoBank.AccountNumber(me, 1);
        var number = citizen.Locator("input[data-testid='account-number'], [data-testid='account-number'] input");
        var holder = citizen.Locator("input[data-testid='account-holder'], [data-testid='account-holder'] input");
        await holder.FillAsync(myName);
        await number.FillAsync(account[..^1] + (char)('0' + (account[^1] - '0' + 1) % 10));
        await citizen.ClickAsync("[data-testid='confirm-other']");
        await Expect(citizen.Locator("[data-testid='account-error']")).ToContainTextAsync("accountNumber: the check digit does not match");
        await number.FillAsync(DemoBank.AccountNumber(someoneElse, 1));
        await citizen.ClickAsync("[data-testid='confirm-other']");
        await Expect(citizen.Locator("[data-testid='account-error']")).ToContainTextAsync("is not held by this person under the name given");
        await Expect(mine.Locator("[data-testid='payout']")).ToHaveAttributeAsync("data-status", "awaiting-confirmation");
        await Chromium.ScreenshotAsync(citizen, "policy-portal-2-wrong-account");

        await number.FillAsync(account);
        await citizen.ClickAsync("[data-testid='confirm-other']");
        // Paid at once, without waiting for a run: the page shows the money and its notification.
        await Expect(citizen.Locator("[data-testid='account-confirmed']")).ToContainTextAsync($"{account[..4]} **** {account[^4..]}; 1 of 1 waiting payment(s) paid now");
        await Expect(citizen.Locator("[data-testid='confirm-account']")).ToHaveCountAsync(0);
        await Expect(mine.Locator("[data-testid='payout']")).ToHaveAttributeAsync("data-status", "paid");
        var notification = citizen.Locator($"[data-testid='notification'][data-policy='{Policy}']");
        await Expect(notification).ToContainTextAsync($"Paid: ¥1,500.00 · 失业补助金 Unemployment subsidy · {period}");
        await Expect(notification).ToHaveAttributeAsync("data-read", "false");
        await Chromium.AssertFitsWidthAsync(citizen, 390);
        await Chromium.ScreenshotAsync(citizen, "policy-portal-3-paid-at-once");
        var again = await RunAsync(Policy, period, ct);
        Assert.Equal((0, 1), (again.Paid, again.AlreadyPaid)); // the run finds the payout paid: nobody is paid twice

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
        await Chromium.ScreenshotAsync(other, "policy-portal-4-not-eligible-appeal");

        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
        Assert.DoesNotContain(_node.Logs, line => line.Contains(me, StringComparison.Ordinal) || line.Contains(nobody, StringComparison.Ordinal)
            || line.Contains(account, StringComparison.Ordinal) || line.Contains(myName, StringComparison.Ordinal));
    }

    [Fact]
    public async Task EnterprisePortal_Employer_SeesItsPoliciesAndMaskedEmployeesAndAppealsTheData()
    {
        var ct = TestContext.Current.CancellationToken;
        var employerOf = Rows("truth/residents.csv").ToDictionary(r => r[0], r => r[13], StringComparer.Ordinal);
        var refunded = Rows("truth/policy_eligible.csv").Where(r => r[0] == "stable-employment-refund").Select(r => r[1]).ToHashSet(StringComparer.Ordinal);
        // An employer that stay-in-hangzhou pays through and the refund does not: its appeal disputes the data.
        var (uscc, employees) = Rows("truth/policy_eligible.csv").Where(r => r[0] == "stay-in-hangzhou").GroupBy(r => employerOf[r[1]], r => r[1])
            .Where(g => !refunded.Contains(g.Key)).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, g.ToList())).First();
        Assert.True((await RunAsync("stay-in-hangzhou", "once", ct)).Paid > 0);

        var page = await _chromium.OpenAsync(390, 844);
        await page.GotoAsync(new Uri(_node.BaseAddress, "/login").ToString());
        await page.ClickAsync("#tab-enterprise");
        await page.FillAsync("#codeUscc", uscc);
        await page.ClickAsync("#send-enterprise-code");
        var demoCode = page.Locator("#demo-code strong");
        await Expect(demoCode).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\s*\d{6}\s*$"));
        await page.FillAsync("#uscc", uscc);
        await page.FillAsync("#enterpriseCode", (await demoCode.InnerTextAsync()).Trim());
        await page.ClickAsync("#enterprise-login");
        await page.WaitForURLAsync("**/portal/enterprise");
        await page.Locator("[data-interactive='true']").WaitForAsync();

        await Expect(page.Locator("[data-testid='enterprise-uscc']")).ToContainTextAsync(uscc);
        var refund = page.Locator("[data-testid='enterprise-policy'][data-policy='stable-employment-refund']");
        await Expect(refund.Locator("[data-testid='clause']")).ToHaveCountAsync(4);
        await Expect(refund.Locator("[data-testid='clause']").Nth(1)).ToContainTextAsync("insured_employees = ");
        var group = page.Locator("[data-testid='paid-through-group'][data-policy='stay-in-hangzhou']");
        await Expect(group).ToContainTextAsync(string.Create(CultureInfo.InvariantCulture, $": {employees.Count} employees, ¥{employees.Count * 1000:N2}, {employees.Count} paid"));
        await Expect(group.Locator("[data-testid='employee']")).ToHaveTextAsync([.. employees.Order(StringComparer.Ordinal).Take(10).Select(Mask)]);
        var content = await page.ContentAsync();
        Assert.All(employees, id => Assert.DoesNotContain(id, content, StringComparison.Ordinal));
        await Chromium.AssertFitsWidthAsync(page, 390);
        await Chromium.ScreenshotAsync(page, "enterprise-portal-1-policies");

        // The appeal disputes the insured headcount of the refund: answered at once, and sent to human resources (rsj).
        await page.Locator("[data-testid='appeal-policy']").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasText = "稳岗返还" }).First.ClickAsync();
        await page.Locator("[data-testid='appeal-field']").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new PageLocatorOptions { HasText = "insured_employees" }).First.ClickAsync();
        await page.Locator("textarea[data-testid='appeal-statement'], [data-testid='appeal-statement'] textarea").FillAsync("参保人数有误 Our insured headcount is wrong");
        await page.Locator("[data-testid='appeal-submit']").ClickAsync();
        var answer = page.Locator("[data-testid='appeal-answer']");
        await Expect(answer).ToContainTextAsync("answered at once");
        await Expect(answer).ToHaveAttributeAsync("data-status", "data-disputed");
        await Expect(answer).ToContainTextAsync("You do not qualify");
        await Expect(answer.Locator("[data-testid='appeal-units']")).ToContainTextAsync("Sent to rsj");
        await Chromium.ScreenshotAsync(page, "enterprise-portal-2-appeal");

        // Only for itself: another enterprise's page is refused, over the same cookie.
        var other = Rows("truth/enterprises.csv").Select(r => r[0]).First(code => code != uscc);
        var refused = await page.APIRequest.GetAsync(new Uri(_node.BaseAddress, $"/api/enterprises/{other}/policies").ToString());
        Assert.Equal(403, refused.Status);
        Assert.True(_chromium.ConsoleErrors.Count == 0, "console errors: " + string.Join(" | ", _chromium.ConsoleErrors));
    }

    private static string Mask(string id) => id[..6] + new string('*', 8) + id[14..];

    private string DepartmentFile(string dataset) => Path.Combine(_city, "departments", dataset.Split('.')[0], dataset.Split('.')[1] + ".csv");

    private IEnumerable<string[]> Rows(string path) => File.ReadLines(Path.Combine(_city, path)).Skip(1).Select(l => l.Split(','));

    private static bool Valid(string id) => id.Length == 18 && ResidentId.ComputeCheckCharacter(id.AsSpan(0, 17)) == id[17];

    /// <summary>A policy's payout run for the period, as `citybrain policy run` does it, against the node's store and the demo bank.</summary>
    private async Task<Scenarios.Policy.Payout.PolicyRunSummary> RunAsync(string policy, string period, CancellationToken ct)
    {
        var (run, _) = await PolicyCli.RunAsync(_node.Services, _bank.BaseUrl, policy, period, NullLogger.Instance, ct);
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

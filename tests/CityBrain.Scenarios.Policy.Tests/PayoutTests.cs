using System.Globalization;
using System.Net.Http.Json;
using CityBrain.Hub.Security;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using CityBrain.Scenarios.Policy.Grants;
using CityBrain.Scenarios.Policy.Citizen;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;
using CityBrain.SyntheticCity.Departments.Bank;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityBrain.Scenarios.Policy.Tests;

public sealed class PayoutTests(DemoCity city)
{
    public static TheoryData<string> Stores => TestStores.Kinds;

    /// <summary>A flaky bank: a fifth of calls refused, a tenth settled but answered too late for the adapter's 150 ms timeout.</summary>
    private static DemoBankOptions Flaky => new() { Seed = 3, FailureRate = 0.2, TimeoutRate = 0.1, Hang = TimeSpan.FromMilliseconds(600) };

    /// <summary>A bank, and the real host over a fresh store with the shipped policies' grants approved (unless told not to).</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        private readonly TestStore _store;
        private readonly HttpClient _http;
        private readonly string _data;

        private Fixture(TestStore store, PolicyHub hub, DemoBank bank, string data)
        {
            _store = store;
            Hub = hub;
            Bank = bank;
            _data = data;
            _http = new HttpClient { BaseAddress = bank.BaseUrl };
            Provider = new HttpBankProvider(_http, new BankOptions(TimeSpan.FromMilliseconds(150), 10, TimeSpan.FromMilliseconds(5)), TimeProvider.System);
        }

        public PolicyHub Hub { get; }

        public DemoBank Bank { get; }

        public HttpBankProvider Provider { get; }

        public Kernel.Storage.IOperationalStore Store => Hub.Store;

        public static async Task<Fixture> CreateAsync(string kind, DemoBankOptions bank, string cityDirectory, bool granted = true)
        {
            var ct = TestContext.Current.CancellationToken;
            var store = await TestStores.CreateAsync(kind, ct);
            var data = Path.Combine(Path.GetTempPath(), "citybrain-payout-" + Guid.NewGuid().ToString("N")[..10]);
            Directory.CreateDirectory(data);
            Directory.CreateSymbolicLink(Path.Combine(data, "city"), cityDirectory);
            var hub = await PolicyHub.StartAsync(data, kind == TestStores.Sqlite ? "sqlite:" + store.Connection : store.Connection, ct);
            if (granted)
            {
                Assert.True(await hub.GrantAllAsync(ct) > 0);
            }
            return new Fixture(store, hub, await DemoBank.StartAsync(Path.Combine(data, "bank"), bank, ct), data);
        }

        public PayoutRun Run() => new(Store, Provider, TimeProvider.System, NullLogger.Instance);

        public Task<PolicyRunSummary> RunAsync(PolicyDefinition policy, string period, string cityDirectory) =>
            Run().RunAsync(policy, period, cityDirectory, Hub.Access, TestContext.Current.CancellationToken);

        public async Task<long> CountAsync(string sql)
        {
            await using var connection = await Store.OpenConnectionAsync(TestContext.Current.CancellationToken);
            return await Db.ScalarAsync(connection, null, sql, TestContext.Current.CancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await Bank.DisposeAsync();
            await Hub.DisposeAsync();
            await _store.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_data, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS's temp cleaner.
            }
        }
    }

    private static PolicyDefinition Policy(string id) => PolicyLoader.Shipped().Single(p => p.Id == id);

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Run_FlakyBank_PaysEveryoneEligibleOnceAndReconciles(string kind)
    {
        await using var fixture = await Fixture.CreateAsync(kind, Flaky, city.CityDirectory);
        var policy = Policy("dibao-monthly");
        var truth = city.Rows("truth/policy_eligible.csv").Where(r => r[0] == policy.Id).Select(r => r[1]).ToHashSet();

        var run = await fixture.RunAsync(policy, "2025-12", city.CityDirectory);
        var statement = await fixture.Provider.StatementAsync(TestContext.Current.CancellationToken);
        var report = await Reconciliation.RunAsync(fixture.Store, fixture.Provider, TestContext.Current.CancellationToken);

        Assert.Equal(truth.Count, run.Eligible);
        Assert.Equal((truth.Count, 0, 0), (run.Paid, run.AlreadyPaid, run.Failed));
        Assert.True(run.Blocked > 0, "the planted dead on 低保 are blocked");
        Assert.Equal(truth.Count, statement.Count);
        Assert.Equal(truth.Order(), statement.Select(s => s.Payee).Order());
        Assert.Equal(run.Amount, statement.Sum(s => s.Amount));
        Assert.Empty(report.Differences);
        Assert.Equal(truth.Count, report.Matched);
        // Double entry: every journal balances, and the budget account is the budget less what was paid.
        Assert.Equal(0, await fixture.CountAsync("SELECT COUNT(*) FROM (SELECT journal FROM policy_ledger GROUP BY journal HAVING SUM(amount_cents) <> 0) j"));
        Assert.Equal((long)(policy.Budget * 100 - run.Amount * 100), await fixture.CountAsync("SELECT SUM(amount_cents) FROM policy_ledger WHERE account = 'budget:dibao-monthly'"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Run_GrantsNotInForce_RefusedNamingEachMissingDatasetAndNothingDecidedOrPaid(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fixture = await Fixture.CreateAsync(kind, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory, granted: false);
        var policy = Policy("severe-disability-care");
        var tokens = fixture.Hub.App.Services.GetRequiredService<TokenService>();
        string Token(string unit) => tokens.Issue(new Caller($"operator@{unit}", HubRoles.UnitOperator, unit, null, null), TimeSpan.FromMinutes(30));
        // The issuing unit files its requests; the owners have not decided them yet.
        var filed = await PolicyGrants.RequestAsync(fixture.Hub.App.Services, fixture.Hub.BaseAddress, Token("mzj"), policy, ct);
        Assert.All(filed, need => Assert.Equal(RequestStatus.Pending, need.RequestStatus));

        var none = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => fixture.RunAsync(policy, "2025-12", city.CityDirectory));

        Assert.Equal(409, none.Status);
        Assert.Contains("policy 'severe-disability-care' may not run", none.Message, StringComparison.Ordinal);
        Assert.All(policy.Needs, dataset => Assert.Contains(dataset, none.Message, StringComparison.Ordinal));

        // One owner approves: the run is still refused, now naming only the datasets still missing.
        var approvedNeed = filed.Single(n => n.Dataset == "mzj.disability");
        using (var owner = new HttpClient { BaseAddress = fixture.Hub.BaseAddress })
        {
            owner.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token("mzj"));
            using var decided = await owner.PostAsJsonAsync($"/api/hub/requests/{approvedNeed.RequestId}/decision", new { approve = true, days = 365, reason = "政策直达" }, ct);
            Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync(ct));
        }
        var some = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => fixture.RunAsync(policy, "2025-12", city.CityDirectory));

        Assert.DoesNotContain("mzj.disability", some.Message, StringComparison.Ordinal);
        Assert.All(policy.Needs.Where(d => d != "mzj.disability"), dataset => Assert.Contains(dataset, some.Message, StringComparison.Ordinal));
        Assert.Equal(0, await fixture.CountAsync("SELECT COUNT(*) FROM policy_decisions"));
        Assert.Equal(0, await fixture.CountAsync("SELECT COUNT(*) FROM policy_payouts"));
        Assert.Empty(await fixture.Provider.StatementAsync(ct));
        Assert.DoesNotContain(await fixture.Hub.AuditAsync(ct), r => r.Actor == "system:mzj-policy" && r.Action == "data.query");
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Run_WithGrants_EveryDatasetReadIsOneRecordInTheAuditChain(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fixture = await Fixture.CreateAsync(kind, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory);
        var policy = Policy("severe-disability-care");

        var first = await fixture.RunAsync(policy, "2025-12", city.CityDirectory);
        var second = await fixture.RunAsync(policy, "2026-01", city.CityDirectory);

        Assert.True(first.Paid > 0 && second.Paid > 0);
        var reads = (await fixture.Hub.AuditAsync(ct)).Where(r => r.Action == "data.query" && r.Actor == "system:mzj-policy").ToList();
        // Two runs, each one record per dataset the policy needs: its grading and the death records that block the deceased.
        Assert.Equal(["gaj.rk", "mzj.deaths", "mzj.disability", "rsj.persons", "wjw.death_certificates"], policy.Needs);
        Assert.Equal(policy.Needs.Concat(policy.Needs).Order(StringComparer.Ordinal), reads.Select(r => r.Resource!["dataset:".Length..]).Order(StringComparer.Ordinal));
        Assert.All(reads, r => Assert.Equal(PolicyGrants.Purpose, r.Purpose));
        Assert.Equal(["2025-12", "2026-01"], reads.Select(r => r.Detail["period"]).Distinct());
        var disability = reads.First(r => r.Resource == "dataset:mzj.disability");
        Assert.Equal("disability_grade", disability.Detail["fields"]);
        Assert.Equal((File.ReadLines(Path.Combine(city.CityDirectory, "departments", "mzj", "disability.csv")).Count() - 1).ToString(CultureInfo.InvariantCulture), disability.Detail["rows"]);
        Assert.Equal("dead", reads.First(r => r.Resource == "dataset:wjw.death_certificates").Detail["fields"]);
        Assert.Contains("moved_out", reads.First(r => r.Resource == "dataset:gaj.rk").Detail["fields"], StringComparison.Ordinal);
        Assert.All(reads, r => Assert.False(string.IsNullOrEmpty(r.Detail["grant"])));
        Assert.Null((await fixture.Hub.VerifyAuditAsync(ct)).FirstProblem);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Run_LeaversBeforeAndAfterThePeriodEnd_BlockedAsMovedOutOrPaidForThePeriod(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        var directory = await city.ManyLeaversAsync();
        await using var fixture = await Fixture.CreateAsync(kind, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, directory);
        var policy = Policy("elderly-allowance");
        var end = new DateOnly(2025, 6, 30);
        const string period = "2025-06";
        var old = city.Leavers(directory).Where(l => city.Age(l.Id, end, directory) >= 80).ToList();
        var gone = old.Where(l => l.Day <= end).ToDictionary(l => l.Id, l => l.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        var stillHere = old.Where(l => l.Day > end).Select(l => l.Id).ToHashSet();
        Assert.NotEmpty(gone);
        Assert.NotEmpty(stillHere);

        var run = await fixture.RunAsync(policy, period, directory);
        var paid = (await fixture.Provider.StatementAsync(ct)).Select(s => s.Payee).ToHashSet();
        var decisions = new Dictionary<string, (string Status, string? Reason, string Snapshot)>();
        await using (var connection = await fixture.Store.OpenConnectionAsync(ct))
        await using (var command = Db.Command(connection, null, "SELECT subject, status, reason, snapshot FROM policy_decisions WHERE policy = @policy AND period = @period", ("policy", policy.Id), ("period", period)))
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                decisions[reader.GetString(0)] = (reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetString(3));
            }
        }

        // Moved out by the period's end: not paid, blocked as moved-out with the day in words and in the snapshot.
        Assert.DoesNotContain(gone.Keys, paid.Contains);
        var movedOut = decisions.Where(d => d.Value.Reason?.StartsWith("moved-out", StringComparison.Ordinal) == true).ToList();
        Assert.Equal(gone.Keys.Order(StringComparer.Ordinal), movedOut.Select(d => d.Key).Order(StringComparer.Ordinal));
        Assert.All(movedOut, d =>
        {
            Assert.Equal("blocked", d.Value.Status);
            Assert.Contains($"户籍已于 {gone[d.Key]} 迁出杭州", d.Value.Reason, StringComparison.Ordinal);
            Assert.Contains($"\"movedOut\":\"{gone[d.Key]}\"", d.Value.Snapshot, StringComparison.Ordinal);
        });
        // Counted in the run's blocked figure, with the dead.
        Assert.Equal(decisions.Count(d => d.Value.Status == "blocked"), run.Blocked);
        Assert.True(run.Blocked > gone.Count, "the planted dead are blocked too");
        // Moved out after the period's end: still registered here for that period, and paid for it.
        Assert.Subset(paid, stillHere);
        Assert.All(stillHere, id => Assert.Equal("eligible", decisions[id].Status));
        Assert.Equal(run.Eligible, run.Paid);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Run_SamePeriodAgain_PaysNothingNew(string kind)
    {
        await using var fixture = await Fixture.CreateAsync(kind, Flaky, city.CityDirectory);
        var policy = Policy("severe-disability-care");
        var first = await fixture.RunAsync(policy, "2025-12", city.CityDirectory);

        var second = await fixture.RunAsync(policy, "2025-12", city.CityDirectory);
        var nextMonth = await fixture.RunAsync(policy, "2026-01", city.CityDirectory);

        Assert.True(first.Paid > 0);
        Assert.Equal((0, first.Paid, 0m), (second.Paid, second.AlreadyPaid, second.Amount));
        Assert.Equal(first.Paid, nextMonth.Paid);
        Assert.Equal(2 * first.Paid, (await fixture.Provider.StatementAsync(TestContext.Current.CancellationToken)).Count);
    }

    [Fact]
    public async Task Run_BudgetBelowWhatIsDue_StopsAtTheCap()
    {
        await using var fixture = await Fixture.CreateAsync(TestStores.Sqlite, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory);
        var policy = Policy("childcare-subsidy") with { Budget = 3600 * 10 + 1800 };
        var due = city.Rows("truth/policy_eligible.csv").Count(r => r[0] == policy.Id);
        Assert.True(due > 11);

        var first = await fixture.RunAsync(policy, "2025", city.CityDirectory);
        var second = await fixture.RunAsync(policy, "2026", city.CityDirectory);

        Assert.Equal((10, 36000m, due - 10), (first.Paid, first.Amount, first.OverBudget));
        Assert.Equal(0, second.Paid);
        Assert.Equal(1800, await fixture.CountAsync("SELECT SUM(amount_cents) / 100 FROM policy_ledger WHERE account = 'budget:childcare-subsidy'"));
    }

    [Fact]
    public async Task Run_PaidThroughTheEmployer_TheEmployerReceivesTheMoney()
    {
        await using var fixture = await Fixture.CreateAsync(TestStores.Sqlite, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory);
        var policy = Policy("stay-in-hangzhou");

        var run = await fixture.RunAsync(policy, "once", city.CityDirectory);
        var statement = await fixture.Provider.StatementAsync(TestContext.Current.CancellationToken);

        Assert.Equal(run.Eligible, run.Paid);
        var employers = city.Rows("truth/enterprises.csv").Select(r => r[0]).ToHashSet();
        Assert.All(statement, s => Assert.Contains(s.Payee, employers));
        Assert.Equal(run.Paid * 1000m, statement.Sum(s => s.Amount));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Run_PolicyRequiresConfirmation_PaysOnlyWhoConfirmedOnceAndNotifiesThem(string kind)
    {
        await using var fixture = await Fixture.CreateAsync(kind, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory);
        var policy = Policy("unemployment-subsidy");
        Assert.True(policy.RequiresConfirmation);
        var truth = city.Rows("truth/policy_eligible.csv").Where(r => r[0] == policy.Id).Select(r => r[1]).Order(StringComparer.Ordinal).ToList();
        Assert.True(truth.Count > 1);
        var ct = TestContext.Current.CancellationToken;
        await using var profiles = new PolicyProfiles(city.CityDirectory);
        var citizen = new CitizenPolicies(profiles, fixture.Store, TimeProvider.System);

        var waiting = await fixture.RunAsync(policy, "2025-12", city.CityDirectory);
        Assert.Equal((truth.Count, 0), (waiting.Eligible, waiting.Paid));
        Assert.Equal(truth.Count, await fixture.CountAsync("SELECT COUNT(*) FROM policy_payouts WHERE status = 'awaiting-confirmation'"));
        Assert.Empty(await fixture.Provider.StatementAsync(ct));

        var confirmed = await citizen.ConfirmAccountAsync(truth[0], ct);
        var again = await citizen.ConfirmAccountAsync(truth[0], ct);
        Assert.Equal((1, 0, confirmed.ConfirmedAt), (confirmed.Released, again.Released, again.ConfirmedAt));

        var next = await fixture.RunAsync(policy, "2025-12", city.CityDirectory);
        var nextMonth = await fixture.RunAsync(policy, "2026-01", city.CityDirectory);
        var repeat = await fixture.RunAsync(policy, "2026-01", city.CityDirectory);

        // The one confirmation covers later periods too; nobody else is paid, and a repeated run pays no one twice.
        Assert.Equal((1, 1, 0), (next.Paid, nextMonth.Paid, repeat.Paid));
        var statement = await fixture.Provider.StatementAsync(ct);
        Assert.Equal([truth[0], truth[0]], statement.Select(s => s.Payee));
        var notifications = await citizen.NotificationsAsync(truth[0], ct);
        Assert.Equal(["2026-01", "2025-12"], notifications.Select(n => n.Period).Order(StringComparer.Ordinal).Reverse());
        Assert.All(notifications, n => Assert.Equal((policy.Id, 1500m, false), (n.Policy, n.Amount, n.Read)));
        Assert.Empty(await citizen.NotificationsAsync(truth[1], ct));
        var payouts = await citizen.PayoutsAsync(truth[1], ct);
        Assert.Equal(["awaiting-confirmation", "awaiting-confirmation"], payouts.Select(p => p.Status));

        Assert.Equal(2, await citizen.MarkReadAsync(truth[0], ct));
        Assert.All(await citizen.NotificationsAsync(truth[0], ct), n => Assert.True(n.Read));
    }
}

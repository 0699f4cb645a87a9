using System.Globalization;
using System.Net;
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

        public static async Task<Fixture> CreateAsync(string kind, DemoBankOptions bank, string cityDirectory, bool granted = true, bool ingested = true)
        {
            var ct = TestContext.Current.CancellationToken;
            var store = await TestStores.CreateAsync(kind, ct);
            var data = Path.Combine(Path.GetTempPath(), "citybrain-payout-" + Guid.NewGuid().ToString("N")[..10]);
            Directory.CreateDirectory(data);
            Directory.CreateSymbolicLink(Path.Combine(data, "city"), cityDirectory);
            // The bank knows the city's residents' accounts, and the node checks accounts with it and pays confirmations through it.
            bank.CityDirectory ??= cityDirectory;
            var demoBank = await DemoBank.StartAsync(Path.Combine(data, "bank"), bank, ct);
            var hub = await PolicyHub.StartAsync(data, kind == TestStores.Sqlite ? "sqlite:" + store.Connection : store.Connection, ct, demoBank.BaseUrl, ingested);
            if (granted)
            {
                Assert.True(await hub.GrantAllAsync(ct) > 0);
            }
            return new Fixture(store, hub, demoBank, data);
        }

        public PayoutRun Run() => new(Store, Provider, TimeProvider.System, NullLogger.Instance);

        public Task<PolicyRunSummary> RunAsync(PolicyDefinition policy, string period) =>
            Run().RunAsync(policy, period, Hub.Access, TestContext.Current.CancellationToken);

        /// <summary>A client of the hub as the signed-in citizen <paramref name="residentId"/>.</summary>
        public HttpClient Citizen(string residentId)
        {
            var token = Hub.App.Services.GetRequiredService<TokenService>().Issue(new Caller("citizen", HubRoles.Citizen, null, null, residentId), TimeSpan.FromMinutes(30));
            var client = new HttpClient { BaseAddress = Hub.BaseAddress };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            return client;
        }

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

        var run = await fixture.RunAsync(policy, "2025-12");
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

        var none = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => fixture.RunAsync(policy, "2025-12"));

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
        var some = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => fixture.RunAsync(policy, "2025-12"));

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

        var first = await fixture.RunAsync(policy, "2025-12");
        var second = await fixture.RunAsync(policy, "2026-01");

        Assert.True(first.Paid > 0 && second.Paid > 0);
        var reads = (await fixture.Hub.AuditAsync(ct)).Where(r => r.Action == "data.query" && r.Actor == "system:mzj-policy").ToList();
        // Two runs, each one record per dataset the policy needs: its grading and the death records that block the deceased.
        Assert.Equal(["gaj.rk", "mzj.deaths", "mzj.disability", "rsj.persons", "wjw.death_certificates"], policy.Needs);
        Assert.Equal(policy.Needs.Concat(policy.Needs).Order(StringComparer.Ordinal), reads.Select(r => r.Resource!["dataset:".Length..]).Order(StringComparer.Ordinal));
        Assert.All(reads, r => Assert.Equal(PolicyGrants.Purpose, r.Purpose));
        Assert.Equal(["2025-12", "2026-01"], reads.Select(r => r.Detail["period"]).Distinct());
        Assert.All(reads, r => Assert.Equal(policy.Id, r.Detail["policy"]));
        // Each read names the fields it took (those the profiles read, nothing else), none masked, and all the rows.
        var disability = reads.First(r => r.Resource == "dataset:mzj.disability");
        Assert.Equal("idNumber,certificateNo,grade", disability.Detail["fields"]);
        Assert.Equal("", disability.Detail["masked"]);
        Assert.Equal((File.ReadLines(Path.Combine(city.CityDirectory, "departments", "mzj", "disability.csv")).Count() - 1).ToString(CultureInfo.InvariantCulture), disability.Detail["rows"]);
        Assert.Equal("person_id,death_time", reads.First(r => r.Resource == "dataset:wjw.death_certificates").Detail["fields"]);
        // gaj.rk is read for the register's death mark and the date a registration moved out of the city, besides the rule's fields.
        Assert.Equal("SFZH,XB,HKXZ,HJQH,SWBZ,SWRQ,QCRQ,QWQH", reads.First(r => r.Resource == "dataset:gaj.rk").Detail["fields"]);
        var grants = fixture.Hub.App.Services.GetRequiredService<IGrantLookup>();
        foreach (var read in reads)
        {
            var grant = await grants.FindActiveAsync("mzj-policy", read.Resource!, DateTimeOffset.UtcNow, ct);
            Assert.Equal(grant!.Id, read.Detail["grant"]);
        }
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

        var run = await fixture.RunAsync(policy, period);
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
        var first = await fixture.RunAsync(policy, "2025-12");

        var second = await fixture.RunAsync(policy, "2025-12");
        var nextMonth = await fixture.RunAsync(policy, "2026-01");

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

        var first = await fixture.RunAsync(policy, "2025");
        var second = await fixture.RunAsync(policy, "2026");

        Assert.Equal((10, 36000m, due - 10), (first.Paid, first.Amount, first.OverBudget));
        Assert.Equal(0, second.Paid);
        Assert.Equal(1800, await fixture.CountAsync("SELECT SUM(amount_cents) / 100 FROM policy_ledger WHERE account = 'budget:childcare-subsidy'"));
    }

    [Fact]
    public async Task Run_PaidThroughTheEmployer_TheEmployerReceivesTheMoney()
    {
        await using var fixture = await Fixture.CreateAsync(TestStores.Sqlite, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory);
        var policy = Policy("stay-in-hangzhou");

        var run = await fixture.RunAsync(policy, "once");
        var statement = await fixture.Provider.StatementAsync(TestContext.Current.CancellationToken);

        Assert.Equal(run.Eligible, run.Paid);
        var employers = city.Rows("truth/enterprises.csv").Select(r => r[0]).ToHashSet();
        Assert.All(statement, s => Assert.Contains(s.Payee, employers));
        Assert.Equal(run.Paid * 1000m, statement.Sum(s => s.Amount));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task PostConfirmAccount_OwnAccountVerifiedByTheBank_PaidAtOnceIntoItAndNoRunPaysTwice(string kind)
    {
        await using var fixture = await Fixture.CreateAsync(kind, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory);
        var policy = Policy("unemployment-subsidy");
        Assert.True(policy.RequiresConfirmation);
        var truth = city.Rows("truth/policy_eligible.csv").Where(r => r[0] == policy.Id).Select(r => r[1]).Order(StringComparer.Ordinal).ToList();
        Assert.True(truth.Count > 1);
        var (me, other) = (truth[0], truth[1]);
        var myName = city.Rows("truth/residents.csv").Single(r => r[0] == me)[1];
        var ct = TestContext.Current.CancellationToken;
        using var citizen = fixture.Hub.Client(new Caller("citizen", HubRoles.Citizen, null, null, me));
        Task<HttpResponseMessage> ConfirmAsync(object body) => citizen.PostAsJsonAsync("/api/my/policies/payouts/confirm-account", body, ct);

        var waiting = await fixture.RunAsync(policy, "2025-12");
        Assert.Equal((truth.Count, 0), (waiting.Eligible, waiting.Paid));
        var account = await citizen.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/my/policies/payouts/account", ct);
        var onFile = DemoBank.AccountNumber(me, 0);
        Assert.Equal($"{onFile[..4]} **** {onFile[^4..]}", account.GetProperty("onFileMasked").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, account.GetProperty("confirmedAt").ValueKind);

        // Wrong accounts: each refused with what was wrong, and nothing recorded or paid.
        var mine = DemoBank.AccountNumber(me, 1);
        var typo = mine[..^1] + (char)('0' + (mine[^1] - '0' + 1) % 10);
        using var mistyped = await ConfirmAsync(new { bank = "CBDB", accountNumber = typo, holderName = myName });
        using var someoneElses = await ConfirmAsync(new { bank = "CBDB", accountNumber = DemoBank.AccountNumber(other, 1), holderName = myName });
        using var wrongName = await ConfirmAsync(new { bank = "CBDB", accountNumber = mine, holderName = myName + "某" });
        using var otherBank = await ConfirmAsync(new { bank = "ICBC", accountNumber = mine, holderName = myName });
        foreach (var (response, says) in new[] { (mistyped, "the check digit does not match"), (someoneElses, "is not held by this person"), (wrongName, "is not held by this person"),
            (otherBank, "the demo city pays through CBDB only") })
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadAsStringAsync(ct);
            Assert.Contains(says, problem, StringComparison.Ordinal);
            Assert.DoesNotContain(mine, problem, StringComparison.Ordinal);
        }
        Assert.Contains("accountNumber", await mistyped.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(0, await fixture.CountAsync("SELECT COUNT(*) FROM policy_account_confirmations"));
        Assert.Empty(await fixture.Provider.StatementAsync(ct));

        using var confirmed = await ConfirmAsync(new { bank = "CBDB", accountNumber = mine[..4] + " " + mine[4..], holderName = " " + myName });
        Assert.Equal(HttpStatusCode.OK, confirmed.StatusCode);
        var confirmation = await confirmed.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(ct);
        Assert.Equal((1, 1, $"{mine[..4]} **** {mine[^4..]}"),
            (confirmation.GetProperty("released").GetInt32(), confirmation.GetProperty("paidNow").GetInt32(), confirmation.GetProperty("accountMasked").GetString()));

        // Paid at once, into the confirmed account, under the payout's id: the runs that follow pay no one twice.
        var statement = await BankStatementAsync(fixture.Bank, ct);
        var line = Assert.Single(statement);
        Assert.Equal((PayoutRun.PayoutId(policy.Id, "2025-12", me), me, mine, 1500m), (line.Key, line.Payee, line.Account, line.Amount));
        var again = await fixture.RunAsync(policy, "2025-12");
        var nextMonth = await fixture.RunAsync(policy, "2026-01");
        var repeat = await fixture.RunAsync(policy, "2026-01");
        Assert.Equal((0, 1, 0), (again.Paid, nextMonth.Paid, repeat.Paid));
        statement = await BankStatementAsync(fixture.Bank, ct);
        Assert.Equal([me, me], statement.Select(s => s.Payee));
        Assert.All(statement, s => Assert.Equal(mine, s.Account));
        var notifications = await citizen.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/my/notifications", ct);
        Assert.Equal(["2026-01", "2025-12"], notifications.EnumerateArray().Select(n => n.GetProperty("period").GetString()).Order(StringComparer.Ordinal).Reverse());
        Assert.Equal(truth.Count - 1, await fixture.CountAsync("SELECT COUNT(*) FROM policy_payouts WHERE period = '2026-01' AND status = 'awaiting-confirmation'"));
    }

    /// <summary>The bank's own statement, with the account each payment went into.</summary>
    private static async Task<IReadOnlyList<BankLine>> BankStatementAsync(DemoBank bank, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = bank.BaseUrl };
        return (await http.GetFromJsonAsync<BankStatement>("statement", ct))!.Lines;
    }

    private sealed record BankStatement(IReadOnlyList<BankLine> Lines);

    private sealed record BankLine(string Key, string Payee, decimal Amount, string? Account);

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task GetEnterprisePolicies_Employer_OwnPayoutsAndItsEmployeesMaskedOthersRefused(string kind)
    {
        await using var fixture = await Fixture.CreateAsync(kind, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory);
        var ct = TestContext.Current.CancellationToken;
        var eligible = city.Rows("truth/policy_eligible.csv").ToLookup(r => r[0], r => r[1]);
        var employerOf = city.Rows("truth/residents.csv").ToDictionary(r => r[0], r => r[13], StringComparer.Ordinal);
        var refunded = eligible["stable-employment-refund"].ToHashSet(StringComparer.Ordinal);
        // An employer that stay-in-hangzhou pays through, preferably one the refund also pays.
        var employers = eligible["stay-in-hangzhou"].GroupBy(id => employerOf[id]).OrderByDescending(g => refunded.Contains(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        var (uscc, employees) = (employers[0].Key, employers[0].ToList());
        var stay = await fixture.RunAsync(Policy("stay-in-hangzhou"), "once");
        var refund = await fixture.RunAsync(Policy("stable-employment-refund"), "2025");
        Assert.True(stay.Paid > 0 && refund.Paid > 0);
        using var enterprise = fixture.Hub.Client(new Caller("enterprise", HubRoles.Enterprise, null, null, null, uscc));

        using var response = await enterprise.GetAsync($"/api/enterprises/{uscc}/policies", ct);
        using var otherEnterprise = await enterprise.GetAsync($"/api/enterprises/{employers[^1].Key}/policies", ct);
        using var asCitizen = await fixture.Hub.Client(new Caller("citizen", HubRoles.Citizen, null, null, employees[0])).GetAsync($"/api/enterprises/{uscc}/policies", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(ct);
        var overview = System.Text.Json.JsonDocument.Parse(text).RootElement;
        var policies = overview.GetProperty("policies").EnumerateArray().ToList();
        Assert.Equal(PolicyLoader.Shipped().Count(p => p.Target == Target.Enterprises && p.EffectiveFrom <= DateOnly.FromDateTime(DateTime.UtcNow) && DateOnly.FromDateTime(DateTime.UtcNow) <= p.EffectiveTo),
            policies.Count);
        Assert.All(policies, p => Assert.All(p.GetProperty("explanation").GetProperty("clauses").EnumerateArray(), c => Assert.False(string.IsNullOrEmpty(c.GetProperty("words").GetString()))));
        var ownRefund = policies.Single(p => p.GetProperty("id").GetString() == "stable-employment-refund").GetProperty("payouts").EnumerateArray().ToList();
        Assert.Equal(refunded.Contains(uscc) ? ["2025 paid"] : [], ownRefund.Select(p => $"{p.GetProperty("period").GetString()} {p.GetProperty("status").GetString()}"));
        var through = overview.GetProperty("paidThrough").EnumerateArray().ToList();
        Assert.Equal(employees.Select(PolicyCli.Mask).Order(StringComparer.Ordinal), through.Select(t => t.GetProperty("employeeMasked").GetString()).Order(StringComparer.Ordinal));
        Assert.All(through, t => Assert.Equal((1000m, "paid"), (t.GetProperty("amount").GetDecimal(), t.GetProperty("status").GetString())));
        Assert.All(employees, id => Assert.DoesNotContain(id, text, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, otherEnterprise.StatusCode);
        Assert.Contains("only for itself", await otherEnterprise.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, asCitizen.StatusCode);
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
        var citizen = fixture.Hub.App.Services.GetRequiredService<CitizenPolicies>();

        var waiting = await fixture.RunAsync(policy, "2025-12");
        Assert.Equal((truth.Count, 0), (waiting.Eligible, waiting.Paid));
        Assert.Equal(truth.Count, await fixture.CountAsync("SELECT COUNT(*) FROM policy_payouts WHERE status = 'awaiting-confirmation'"));
        Assert.Empty(await fixture.Provider.StatementAsync(ct));

        var confirmed = await citizen.ConfirmAccountAsync(truth[0], new AccountChoice(true, null, null, null), ct);
        var again = await citizen.ConfirmAccountAsync(truth[0], new AccountChoice(true, null, null, null), ct);
        Assert.Equal((1, 1, 0, 0), (confirmed.Released, confirmed.PaidNow, again.Released, again.PaidNow));

        var next = await fixture.RunAsync(policy, "2025-12");
        var nextMonth = await fixture.RunAsync(policy, "2026-01");
        var repeat = await fixture.RunAsync(policy, "2026-01");

        // Paid at confirmation; the one confirmation covers later periods too; nobody else is paid, and a repeated run pays no one twice.
        Assert.Equal((0, 1, 0), (next.Paid, nextMonth.Paid, repeat.Paid));
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

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Run_GrantLeavesOutOneFieldAndMasksAnother_RefusedNamingDatasetsAndFieldsAndNothingReadOrPaid(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fixture = await Fixture.CreateAsync(kind, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory, granted: false);
        var policy = Policy("severe-disability-care");
        var tokens = fixture.Hub.App.Services.GetRequiredService<TokenService>();
        string Token(string unit) => tokens.Issue(new Caller($"operator@{unit}", HubRoles.UnitOperator, unit, null, null), TimeSpan.FromMinutes(30));
        var filed = await PolicyGrants.RequestAsync(fixture.Hub.App.Services, fixture.Hub.BaseAddress, Token("mzj"), policy, ct);
        // Every owner approves; 民政 leaves the certificate number out of the disability grant, 公安 releases the resident ID only masked.
        foreach (var need in filed)
        {
            var unit = need.Dataset.Split('.')[0];
            var fields = ProfileBuilder.Fields[need.Dataset];
            object decision = need.Dataset switch
            {
                "mzj.disability" => new { approve = true, days = 365, fields = fields.Where(f => f != "certificateNo").ToArray(), reason = "政策直达" },
                "gaj.rk" => new { approve = true, days = 365, fields = fields.Where(f => f != "SFZH").ToArray(), maskedFields = new[] { "SFZH" }, reason = "政策直达" },
                _ => new { approve = true, days = 365, reason = "政策直达" },
            };
            using var owner = new HttpClient { BaseAddress = fixture.Hub.BaseAddress };
            owner.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token(unit));
            using var decided = await owner.PostAsJsonAsync($"/api/hub/requests/{need.RequestId}/decision", decision, ct);
            Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync(ct));
        }

        var refused = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => fixture.RunAsync(policy, "2025-12"));

        Assert.Equal(409, refused.Status);
        Assert.Contains("on mzj.disability does not include the field certificateNo", refused.Message, StringComparison.Ordinal);
        Assert.Contains("on gaj.rk releases SFZH only masked", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("rsj.persons", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, await fixture.CountAsync("SELECT COUNT(*) FROM policy_decisions"));
        Assert.Equal(0, await fixture.CountAsync("SELECT COUNT(*) FROM policy_payouts"));
        Assert.Empty(await fixture.Provider.StatementAsync(ct));
        Assert.DoesNotContain(await fixture.Hub.AuditAsync(ct), r => r.Actor == "system:mzj-policy" && r.Action == "data.query");
    }

    [Fact]
    public async Task Run_LakeHasNotIngestedTheData_RefusedSayingWhichDatasetAndWhatToDo()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fixture = await Fixture.CreateAsync(TestStores.Sqlite, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory, ingested: false);

        var refused = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => fixture.RunAsync(Policy("severe-disability-care"), "2025-12"));

        Assert.Equal(409, refused.Status);
        Assert.Contains("gaj.rk has not been ingested into the lake yet", refused.Message, StringComparison.Ordinal);
        Assert.Contains("citybrain serve", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, await fixture.CountAsync("SELECT COUNT(*) FROM policy_decisions"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Match_EveryShippedPolicyFromTheLakeUnderTheDemoGrants_ExactlyTheGroundTruth(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fixture = await Fixture.CreateAsync(kind, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory);
        var asOf = await GroundTruthCheck.AsOfAsync(city.CityDirectory, ct);
        var results = await GroundTruthCheck.RunAsync(city.CityDirectory, PolicyLoader.Shipped(), policy => fixture.Hub.Access.MatchAsync(policy, "check", asOf, ct), ct);

        Assert.Equal(10, results.Count);
        Assert.All(results, r =>
        {
            Assert.True(r.Truth > 0, $"{r.Policy}: the demo city should have beneficiaries");
            Assert.True(r.Missed.Count == 0 && r.Wrong.Count == 0, $"{r.Policy}: missed {r.Missed.Count}, wrongly found {r.Wrong.Count}");
        });
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task GetMyDataAccess_AfterARun_ListsThePolicyDecisionAboutTheBeneficiaryAndNoneAboutOthers(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var fixture = await Fixture.CreateAsync(kind, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, city.CityDirectory);
        var policy = Policy("severe-disability-care");
        var beneficiary = city.Rows("truth/policy_eligible.csv").First(r => r[0] == policy.Id)[1];
        var outsider = city.Rows("truth/residents.csv").Select(r => r[0]).First(id => !city.Rows("departments/mzj/disability.csv").Any(d => d.Contains(id)));

        await fixture.RunAsync(policy, "2025-12");
        using var mine = fixture.Citizen(beneficiary);
        var accesses = (await mine.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/my/data-access", ct)).EnumerateArray().ToList();
        using var theirs = fixture.Citizen(outsider);
        var others = (await theirs.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/my/data-access", ct)).EnumerateArray().ToList();

        var decision = Assert.Single(accesses, a => a.GetProperty("action").GetString() == "policy.decision");
        Assert.Equal("system:mzj-policy", decision.GetProperty("accessor").GetString());
        Assert.Equal("policy:severe-disability-care", decision.GetProperty("resource").GetString());
        Assert.Equal(PolicyGrants.Purpose, decision.GetProperty("purpose").GetString());
        Assert.Equal("eligible for 2025-12", decision.GetProperty("status").GetString());
        Assert.Contains("disability_grade", decision.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        Assert.DoesNotContain(others, a => a.GetProperty("action").GetString() == "policy.decision");
    }
}

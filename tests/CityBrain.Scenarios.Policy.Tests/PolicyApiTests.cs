using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityBrain.Host;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;
using CityBrain.SyntheticCity.Departments.Bank;
using CityBrain.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityBrain.Scenarios.Policy.Tests;

/// <summary>The citizen portal's "why I get it / why not" and the staff's policy list, on the real host with the hub's tokens.</summary>
public sealed class PolicyApiTests(DemoCity city) : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "citybrain-policy-api-" + Guid.NewGuid().ToString("N")[..10]);
    private TestStore _store = null!;
    private WebApplication _app = null!;
    private Uri _baseAddress = null!;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_data);
        Directory.CreateSymbolicLink(Path.Combine(_data, "city"), city.CityDirectory);
        _store = await TestStores.CreateAsync(TestStores.Sqlite);
        _app = CityBrainHost.Create(new HostSettings(_data, "sqlite:" + _store.Connection, "http://127.0.0.1:0"));
        await CityBrainHost.PrepareAsync(_app, CancellationToken.None);
        await _app.StartAsync();
        _baseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private HttpClient Client(string role, string? residentId = null, string unit = "mzj")
    {
        var token = _app.Services.GetRequiredService<TokenService>().Issue(new Caller("someone", role, role == HubRoles.UnitOperator ? unit : null, null, residentId), TimeSpan.FromHours(1));
        var client = new HttpClient { BaseAddress = _baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task GetWhy_EligibleCitizen_EveryConditionHeldAndTheAmount()
    {
        var ct = TestContext.Current.CancellationToken;
        var resident = city.Rows("truth/policy_eligible.csv").First(r => r[0] == "severe-disability-care")[1];

        using var response = await Client(HubRoles.Citizen, resident).GetAsync("/api/my/policies/severe-disability-care?period=2025-12", ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        var root = body.RootElement;
        Assert.True(root.GetProperty("eligible").GetBoolean());
        Assert.Contains(root.GetProperty("amount").GetDecimal(), new[] { 385m, 308m });
        var clause = Assert.Single(root.GetProperty("clauses").EnumerateArray());
        Assert.True(clause.GetProperty("held").GetBoolean());
        Assert.InRange(clause.GetProperty("values").GetProperty("disability_grade").GetDouble(), 1, 2);
    }

    [Fact]
    public async Task GetWhy_IneligibleCitizen_SaysWhichConditionFailedWithTheValue()
    {
        var ct = TestContext.Current.CancellationToken;
        var nonlocal = city.Rows("truth/residents.csv").First(r => r[7] == "nonlocal" && r[22].Length == 0 && string.CompareOrdinal(r[3], "1990") > 0)[0];

        var explanation = await Client(HubRoles.Citizen, nonlocal).GetFromJsonAsync<JsonElement>("/api/my/policies/elderly-allowance?period=2025-12", ct);

        Assert.False(explanation.GetProperty("eligible").GetBoolean());
        var summary = explanation.GetProperty("summary").GetString()!;
        Assert.Contains("it is not so that your household registration (local or non-local hukou) is \"local\" (hukou = nonlocal)", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetWhy_CitizenWhoMovedOut_HeldBackSayingWhenTheRegistrationMovedOut()
    {
        var ct = TestContext.Current.CancellationToken;
        var leaver = city.Leavers().First(l => city.Age(l.Id, new DateOnly(2025, 12, 31)) >= 80);
        var day = leaver.Day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var explanation = await Client(HubRoles.Citizen, leaver.Id).GetFromJsonAsync<JsonElement>("/api/my/policies/elderly-allowance?period=2025-12", ct);

        Assert.Equal((false, true), (explanation.GetProperty("eligible").GetBoolean(), explanation.GetProperty("blocked").GetBoolean()));
        Assert.StartsWith($"No payment: 户籍已于 {day} 迁出杭州 (your household registration moved out of Hangzhou on {day})",
            explanation.GetProperty("summary").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetWhy_BadInput_ClearRefusals()
    {
        var ct = TestContext.Current.CancellationToken;
        var citizen = Client(HubRoles.Citizen, city.Rows("truth/residents.csv").First()[0]);

        using var badPeriod = await citizen.GetAsync("/api/my/policies/elderly-allowance?period=2025-13", ct);
        using var noPeriod = await citizen.GetAsync("/api/my/policies/elderly-allowance", ct);
        using var unknown = await citizen.GetAsync("/api/my/policies/free-money?period=2025-12", ct);
        using var staff = await Client(HubRoles.UnitOperator).GetAsync("/api/my/policies/elderly-allowance?period=2025-12", ct);
        using var outside = await citizen.GetAsync("/api/my/policies/elderly-allowance?period=2031-01", ct);

        Assert.Equal(HttpStatusCode.BadRequest, badPeriod.StatusCode);
        Assert.Contains("'2025-13' is not a month", await badPeriod.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noPeriod.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, staff.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, outside.StatusCode);
        Assert.Equal("application/problem+json", outside.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task GetPolicies_Staff_EveryPolicyWithTheDataItNeeds()
    {
        var ct = TestContext.Current.CancellationToken;

        var policies = await Client(HubRoles.UnitOperator).GetFromJsonAsync<JsonElement>("/api/policy/policies", ct);
        using var citizen = await Client(HubRoles.Citizen, "330106199001011234").GetAsync("/api/policy/policies", ct);

        Assert.Equal(10, policies.GetArrayLength());
        var refund = policies.EnumerateArray().Single(p => p.GetProperty("id").GetString() == "stable-employment-refund");
        Assert.Contains("rsj.units", refund.GetProperty("needs").EnumerateArray().Select(n => n.GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, citizen.StatusCode);
    }

    [Fact]
    public async Task PostAppeal_DisputedDisabilityGrade_AnsweredAtOnceAndATaskForCivilAffairs()
    {
        var ct = TestContext.Current.CancellationToken;
        var eligible = city.Rows("truth/policy_eligible.csv").Where(r => r[0] == "severe-disability-care").Select(r => r[1]).ToHashSet(StringComparer.Ordinal);
        var resident = city.Rows("truth/residents.csv").First(r => r[22].Length == 0 && !eligible.Contains(r[0]))[0];
        await _app.Services.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest { Units = [new UnitSpec { Code = "mzj", Name = "民政局", DivisionCode = "330100" }] },
            new Caller("admin", HubRoles.Admin, "dsj", null, null), ct);
        var mzj = Client(HubRoles.UnitOperator, unit: "mzj");
        var before = (await mzj.GetFromJsonAsync<JsonElement>("/api/cockpit/tasks", ct)).GetArrayLength();

        using var filed = await Client(HubRoles.Citizen, resident).PostAsJsonAsync("/api/my/policies/severe-disability-care/appeals",
            new { period = "2025-12", statement = "我持有一级残疾证", disputedField = "disability_grade" }, ct);

        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var appeal = await filed.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("data-disputed", appeal.GetProperty("status").GetString());
        Assert.False(appeal.GetProperty("explanation").GetProperty("eligible").GetBoolean());
        Assert.Contains("You do not qualify", appeal.GetProperty("explanation").GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal(["mzj"], appeal.GetProperty("units").EnumerateArray().Select(u => u.GetString()));

        // The task arrives over the bus: wait for it, generously.
        var tasks = await mzj.GetFromJsonAsync<JsonElement>("/api/cockpit/tasks", ct);
        for (var polls = 0; tasks.GetArrayLength() == before && polls < 300; polls++)
        {
            await Task.Delay(100, ct);
            tasks = await mzj.GetFromJsonAsync<JsonElement>("/api/cockpit/tasks", ct);
        }
        var task = Assert.Single(tasks.EnumerateArray(), t => t.GetProperty("source").GetString() == "policy-appeal");
        Assert.Equal("mzj", task.GetProperty("unit").GetString());
        var instructions = task.GetProperty("instructions").GetString()!;
        Assert.Contains("disability_grade", instructions, StringComparison.Ordinal);
        Assert.DoesNotContain(resident, instructions, StringComparison.Ordinal);

        var id = appeal.GetProperty("id").GetString();
        var full = await mzj.GetFromJsonAsync<JsonElement>($"/api/policy/appeals/{id}", ct);
        Assert.Equal(resident, full.GetProperty("subject").GetString());
        using var otherUnit = await Client(HubRoles.UnitOperator, unit: "gaj").GetAsync($"/api/policy/appeals/{id}", ct);
        Assert.Equal(HttpStatusCode.Forbidden, otherUnit.StatusCode);
    }

    [Fact]
    public async Task PostAppeal_EligibleOrBadInput_NoTaskAndClearRefusals()
    {
        var ct = TestContext.Current.CancellationToken;
        var resident = city.Rows("truth/policy_eligible.csv").First(r => r[0] == "severe-disability-care")[1];
        var citizen = Client(HubRoles.Citizen, resident);

        var answered = await (await citizen.PostAsJsonAsync("/api/my/policies/severe-disability-care/appeals",
            new { period = "2025-12", statement = "为什么还没到账?" }, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        using var unknownField = await citizen.PostAsJsonAsync("/api/my/policies/severe-disability-care/appeals",
            new { period = "2025-12", statement = "x", disputedField = "income_tax" }, ct);
        using var noStatement = await citizen.PostAsJsonAsync("/api/my/policies/severe-disability-care/appeals", new { period = "2025-12" }, ct);

        Assert.Equal("eligible", answered.GetProperty("status").GetString());
        Assert.Empty(answered.GetProperty("units").EnumerateArray());
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Contains("'income_tax' is not read by policy severe-disability-care; it reads disability_grade", await unknownField.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, noStatement.StatusCode);
        Assert.Contains("statement", await noStatement.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostRequests_IssuingUnit_OneHubRequestPerNeedAndGrantedOnceTheOwnerApproves()
    {
        var ct = TestContext.Current.CancellationToken;
        await _app.Services.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest
        {
            Units = [new UnitSpec { Code = "mzj", Name = "民政局", DivisionCode = "330100" }],
            Datasets = [new DatasetSpec
            {
                Code = "mzj.disability", Unit = "mzj", Name = "残疾人", UpdateFrequency = "daily", Sharing = "conditional",
                Fields = [new FieldSpec { Name = "idNumber", Level = "sensitive-personal", Mask = "resident-id" }, new FieldSpec { Name = "name", Level = "personal", Mask = "name" },
                    new FieldSpec { Name = "grade", Level = "personal" }, new FieldSpec { Name = "certificateNo", Level = "personal" }],
            }],
        }, new Caller("admin", HubRoles.Admin, "dsj", null, null), ct);
        var mzj = Client(HubRoles.UnitOperator, unit: "mzj");
        async Task<JsonElement> NeedAsync(string dataset) => (await mzj.GetFromJsonAsync<JsonElement>("/api/policy/policies", ct)).EnumerateArray()
            .Single(p => p.GetProperty("id").GetString() == "poor-disability-living").GetProperty("grants").EnumerateArray().Single(g => g.GetProperty("dataset").GetString() == dataset);

        using var otherUnit = await Client(HubRoles.UnitOperator, unit: "gaj").PostAsync("/api/policy/policies/poor-disability-living/requests", null, ct);
        var first = await (await mzj.PostAsync("/api/policy/policies/poor-disability-living/requests", null, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        var again = await (await mzj.PostAsync("/api/policy/policies/poor-disability-living/requests", null, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);

        var unregisteredIssuer = await (await Client(HubRoles.Admin).PostAsync("/api/policy/policies/tech-rd-subsidy/requests", null, ct)).Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.All(unregisteredIssuer.EnumerateArray(), n => Assert.Contains("the issuing unit 'kjj' is not registered", n.GetProperty("problem").GetString(), StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Forbidden, otherUnit.StatusCode);
        var disability = first.EnumerateArray().Single(n => n.GetProperty("dataset").GetString() == "mzj.disability");
        Assert.Equal("pending", disability.GetProperty("requestStatus").GetString());
        var requestId = disability.GetProperty("requestId").GetString();
        Assert.Equal(requestId, again.EnumerateArray().Single(n => n.GetProperty("dataset").GetString() == "mzj.disability").GetProperty("requestId").GetString());
        Assert.Contains("mzj.dibao is not in the catalog yet", first.EnumerateArray().Single(n => n.GetProperty("dataset").GetString() == "mzj.dibao").GetProperty("problem").GetString(), StringComparison.Ordinal);
        var request = await mzj.GetFromJsonAsync<JsonElement>($"/api/hub/requests/{requestId}", ct);
        Assert.Equal("mzj-policy", request.GetProperty("consumer").GetString());
        Assert.Equal("policy-direct-reach", request.GetProperty("purpose").GetString());
        // The fields the profiles read from the dataset, not the name beside them (data minimisation).
        Assert.Equal(["idNumber", "certificateNo", "grade"], request.GetProperty("fields").EnumerateArray().Select(f => f.GetString()));
        Assert.False((await NeedAsync("mzj.disability")).GetProperty("granted").GetBoolean());

        using var approved = await mzj.PostAsJsonAsync($"/api/hub/requests/{requestId}/decision", new { approve = true, days = 365, reason = "政策直达" }, ct);

        Assert.True(approved.IsSuccessStatusCode, await approved.Content.ReadAsStringAsync(ct));
        Assert.True((await NeedAsync("mzj.disability")).GetProperty("granted").GetBoolean());
        Assert.False((await NeedAsync("mzj.dibao")).GetProperty("granted").GetBoolean());
    }

    [Fact]
    public async Task RefreshIndicators_AfterRuns_CoverageBudgetBurnTimeToPayAndBlockedFollowTheDecisions()
    {
        var ct = TestContext.Current.CancellationToken;
        var admin = Client(HubRoles.Admin);
        var policy = PolicyCli.Find("severe-disability-care");
        var elderly = PolicyCli.Find("elderly-allowance");
        async Task<double> ReadAsync(string code)
        {
            using var response = await admin.PostAsync($"/api/cockpit/indicators/{code}/refresh", null, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("value").GetDouble();
        }

        // A bank that refuses every call: the eligible are decided but nobody is paid.
        var refused = await PayAsync(policy, new DemoBankOptions { FailureRate = 1, TimeoutRate = 0 }, ct);
        Assert.Equal(0, refused.Paid);
        Assert.Equal(0, await ReadAsync("policy.coverage"));
        Assert.Equal(0, await ReadAsync("policy.budget-burn"));

        var paid = await PayAsync(policy, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, ct);
        // One policy's own figure, as a department would define it on its cockpit.
        using var defined = await admin.PostAsJsonAsync("/api/cockpit/indicators", new
        {
            code = "policy.burn-sdc", name = "重度残疾人护理补贴资金使用率", owningUnit = "mzj", source = "metric", query = "policy.budget-burn.severe-disability-care",
            measure = "%", refreshSeconds = 60, direction = "lowerIsBetter",
        }, ct);
        Assert.True(defined.IsSuccessStatusCode, await defined.Content.ReadAsStringAsync(ct));

        Assert.True(paid.Paid > 0);
        Assert.Equal(100, await ReadAsync("policy.coverage"));
        Assert.Equal(Math.Round((double)(paid.Amount / policy.Budget) * 100, 4), await ReadAsync("policy.burn-sdc"), 4);
        Assert.InRange(await ReadAsync("policy.seconds-to-pay"), 0, 600);
        var indicators = await admin.GetFromJsonAsync<JsonElement>("/api/cockpit/indicators", ct);
        Assert.Equal(6, indicators.EnumerateArray().Count(i => i.GetProperty("definition").GetProperty("code").GetString()!.StartsWith("policy.", StringComparison.Ordinal)));

        // The allowance for the 80+: its planted dead and leavers are held back, and the cockpit counts them.
        var leavers = city.Leavers().Count(l => city.Age(l.Id, new DateOnly(2025, 12, 31)) >= 80);
        Assert.True(leavers > 0);
        var blockedBefore = await ReadAsync("policy.blocked");
        var movedOutBefore = await ReadAsync("policy.blocked-moved-out");
        var run = await PayAsync(elderly, new DemoBankOptions { FailureRate = 0, TimeoutRate = 0 }, ct);
        Assert.Equal(blockedBefore + run.Blocked, await ReadAsync("policy.blocked"));
        Assert.True(run.Blocked > leavers, "the dead are held back too");
        Assert.Equal(movedOutBefore + leavers, await ReadAsync("policy.blocked-moved-out"));
    }

    [Fact]
    public async Task PostConfirmAccount_NoBankConnected_RefusedSayingSoAndNothingRecorded()
    {
        var ct = TestContext.Current.CancellationToken;
        var resident = city.Rows("truth/policy_eligible.csv").First(r => r[0] == "unemployment-subsidy")[1];

        using var confirm = await Client(HubRoles.Citizen, resident).PostAsJsonAsync("/api/my/policies/payouts/confirm-account", new { useAccountOnFile = true }, ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, confirm.StatusCode);
        Assert.Contains("no bank to check accounts with", await confirm.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEnterpriseAppeal_DisputedInsuredEmployees_AnsweredAtOnceAndATaskForHumanResources()
    {
        var ct = TestContext.Current.CancellationToken;
        var eligible = city.Rows("truth/policy_eligible.csv").Where(r => r[0] == "stable-employment-refund").Select(r => r[1]).ToHashSet(StringComparer.Ordinal);
        var uscc = city.Rows("truth/enterprises.csv").First(r => r[13] == "active" && !eligible.Contains(r[0]))[0];
        await _app.Services.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest { Units = [new UnitSpec { Code = "rsj", Name = "人社局", DivisionCode = "330100" }] },
            new Caller("admin", HubRoles.Admin, "dsj", null, null), ct);
        var rsj = Client(HubRoles.UnitOperator, unit: "rsj");
        var before = (await rsj.GetFromJsonAsync<JsonElement>("/api/cockpit/tasks", ct)).GetArrayLength();
        var enterprise = EnterpriseClient(uscc);

        using var filed = await enterprise.PostAsJsonAsync($"/api/enterprises/{uscc}/policies/stable-employment-refund/appeals",
            new { period = "2025", statement = "我单位参保人数有误", disputedField = "insured_employees" }, ct);

        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var appeal = await filed.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("data-disputed", appeal.GetProperty("status").GetString());
        Assert.False(appeal.GetProperty("explanation").GetProperty("eligible").GetBoolean());
        Assert.Equal(uscc, appeal.GetProperty("explanation").GetProperty("subject").GetString());
        Assert.Equal(["rsj"], appeal.GetProperty("units").EnumerateArray().Select(u => u.GetString()));
        var tasks = await rsj.GetFromJsonAsync<JsonElement>("/api/cockpit/tasks", ct);
        for (var polls = 0; tasks.GetArrayLength() == before && polls < 300; polls++)
        {
            await Task.Delay(100, ct);
            tasks = await rsj.GetFromJsonAsync<JsonElement>("/api/cockpit/tasks", ct);
        }
        var task = Assert.Single(tasks.EnumerateArray(), t => t.GetProperty("source").GetString() == "policy-appeal");
        Assert.Equal("rsj", task.GetProperty("unit").GetString());
        Assert.Contains("insured_employees", task.GetProperty("instructions").GetString(), StringComparison.Ordinal);
        var full = await rsj.GetFromJsonAsync<JsonElement>($"/api/policy/appeals/{appeal.GetProperty("id").GetString()}", ct);
        Assert.Equal(uscc, full.GetProperty("subject").GetString());
    }

    [Fact]
    public async Task PostEnterpriseAppeal_OtherEnterpriseOrBadInput_ClearRefusals()
    {
        var ct = TestContext.Current.CancellationToken;
        var codes = city.Rows("truth/enterprises.csv").Select(r => r[0]).Take(2).ToList();
        var enterprise = EnterpriseClient(codes[0]);
        var resident = city.Rows("truth/residents.csv").First()[0];

        using var forOther = await enterprise.PostAsJsonAsync($"/api/enterprises/{codes[1]}/policies/stable-employment-refund/appeals", new { period = "2025", statement = "x" }, ct);
        using var residentPolicy = await enterprise.PostAsJsonAsync($"/api/enterprises/{codes[0]}/policies/elderly-allowance/appeals", new { period = "2025-12", statement = "x" }, ct);
        using var unknownField = await enterprise.PostAsJsonAsync($"/api/enterprises/{codes[0]}/policies/small-business-relief/appeals",
            new { period = "2025", statement = "x", disputedField = "disability_grade" }, ct);
        using var citizen = await Client(HubRoles.Citizen, resident).PostAsJsonAsync($"/api/enterprises/{codes[0]}/policies/stable-employment-refund/appeals",
            new { period = "2025", statement = "x" }, ct);
        using var citizenRoute = await enterprise.PostAsJsonAsync("/api/my/policies/stable-employment-refund/appeals", new { period = "2025", statement = "x" }, ct);
        using var staffList = await enterprise.GetAsync("/api/policy/policies", ct);

        Assert.Equal(HttpStatusCode.Forbidden, forOther.StatusCode);
        Assert.Contains($"you are signed in for {codes[0]}, not {codes[1]}", await forOther.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, residentPolicy.StatusCode);
        Assert.Contains("policy elderly-allowance is for residents, not enterprises", await residentPolicy.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, unknownField.StatusCode);
        Assert.Contains("'disability_grade' is not read by policy small-business-relief", await unknownField.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, citizen.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, citizenRoute.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, staffList.StatusCode);
    }

    private HttpClient EnterpriseClient(string uscc)
    {
        var token = _app.Services.GetRequiredService<TokenService>().Issue(new Caller("enterprise", HubRoles.Enterprise, null, null, null, uscc), TimeSpan.FromHours(1));
        var client = new HttpClient { BaseAddress = _baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task MyEndpoints_StaffOrAnonymous_Refused()
    {
        var ct = TestContext.Current.CancellationToken;
        using var staff = await Client(HubRoles.Admin).PostAsJsonAsync("/api/my/policies/payouts/confirm-account", new { useAccountOnFile = true }, ct);
        using var nobody = new HttpClient { BaseAddress = _baseAddress };
        using var anonymous = await nobody.GetAsync("/api/my/notifications", ct);

        Assert.Equal(HttpStatusCode.Forbidden, staff.StatusCode);
        Assert.Contains("sign in as a citizen", (await staff.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    private async Task<PolicyRunSummary> PayAsync(PolicyDefinition policy, DemoBankOptions bankOptions, CancellationToken ct)
    {
        var bankDirectory = Path.Combine(_data, "bank-" + Guid.NewGuid().ToString("N")[..6]);
        await using var bank = await DemoBank.StartAsync(bankDirectory, bankOptions, ct);
        using var http = new HttpClient { BaseAddress = bank.BaseUrl };
        var provider = new HttpBankProvider(http, new BankOptions(TimeSpan.FromSeconds(5), 1, TimeSpan.FromMilliseconds(5)), TimeProvider.System);
        // Granted as `serve` grants the demo city's policies (a second call files nothing new).
        await PolicyHub.CatalogAsync(_app.Services, city.CityDirectory, ct);
        await PolicyHub.IngestAsync(_app.Services, _baseAddress, city.CityDirectory, ct);
        await Grants.PolicyGrants.RequestDemoGrantsAsync(_app.Services, _baseAddress, ct);
        return await new PayoutRun(_app.Services.GetRequiredService<Kernel.Storage.IOperationalStore>(), provider, TimeProvider.System, NullLogger.Instance)
            .RunAsync(policy, "2025-12", PolicyHub.AccessOf(_app.Services), ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
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

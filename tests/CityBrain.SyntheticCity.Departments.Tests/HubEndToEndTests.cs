using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Security;
using static CityBrain.SyntheticCity.Departments.Tests.FixtureCity;

namespace CityBrain.SyntheticCity.Departments.Tests;

/// <summary>
/// The departments as the city uses them: started, registered in the real hub from the generated registry YAML, and
/// called through the gateway by a consumer system holding grants that each owning bureau decided.
/// </summary>
public sealed class HubEndToEndTests(RunningCity city) : IClassFixture<RunningCity>, IAsyncLifetime
{
    private const string Purpose = "policy-direct-reach";
    private readonly string _hubData = Path.Combine(Path.GetTempPath(), "citybrain-dept-hub-" + Guid.NewGuid().ToString("N")[..10]);
    private HubHost _hub = null!;
    private HttpClient _admin = null!;

    public async ValueTask InitializeAsync()
    {
        _hub = await HubHost.StartAsync(_hubData);
        _admin = _hub.Client(new Caller("admin", HubRoles.Admin, "dsj", null, null));
    }

    /// <summary>One department's part of the walk: what the consumer asks, what the bureau releases in clear and masked, the call, the check.</summary>
    private sealed record Case(string Resource, string[] Clear, string[] Masked, string Call, Action<JsonObject> Check)
    {
        public string[] Requested => [.. Clear, .. Masked];
    }

    [Fact]
    public async Task HubCall_EveryDepartment_AnswersThroughTheGatewayMaskedAsGranted()
    {
        await ApplyAsync(city.Cluster.RegistryYaml);
        var secret = await ApplyAsync("""
            systems:
              - code: policy-engine
                unit: dsj
                name: 政策直达引擎
                baseUrl: http://127.0.0.1:9
            """);
        var consumer = await LoginAsync("policy-engine", (string)secret["policy-engine"]!);

        Case[] cases =
        [
            new("gaj-population/person", ["XB"], ["XM", "SFZH", "JZDZ"], $"/hub/call/gaj-population/person/{ResidentId(0)}", body =>
            {
                Assert.Equal(["JZDZ", "SFZH", "XB", "XM"], body.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray());
                Assert.Equal(Masking.Name(Name(0)), (string)body["XM"]!);
                Assert.Equal(ResidentId(0)[..6] + "********" + ResidentId(0)[14..], (string)body["SFZH"]!);
                Assert.StartsWith("浙江省杭州市西湖区文新街道", (string)body["JZDZ"]!);
                Assert.DoesNotContain("文一西路", (string)body["JZDZ"]!, StringComparison.Ordinal);
            }),
            new("mzj-assistance/dibao-recipients", ["items.districtCode", "items.monthlyAmount", "next"], ["items.idNumber", "items.name"],
                "/hub/call/mzj-assistance/dibao-recipients?districtCode=330106&limit=3", body =>
            {
                var items = body["items"]!.AsArray();
                Assert.Equal(3, items.Count);
                Assert.All(items, i => Assert.Equal(["districtCode", "idNumber", "monthlyAmount", "name"], i!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal).ToArray()));
                Assert.Equal(Masking.Name(Name(3)), (string)items[1]!["name"]!);
                Assert.Equal(1030m, (decimal)items[1]!["monthlyAmount"]!);
                Assert.NotNull((string?)body["next"]);
            }),
            new("rsj-insurance/unit-contributions", ["uscc", "results.year", "results.layoffs"], [], $"/hub/call/rsj-insurance/unit-contributions/{CreditCode(1)}", body =>
            {
                Assert.Equal(CreditCode(1), (string)body["uscc"]!);
                Assert.Equal([0, 3], body["results"]!.AsArray().Select(r => (int)r!["layoffs"]!).ToArray());
                Assert.Null(body["results"]![0]!["unemployment_insurance_paid"]);
            }),
            new("scjgj-registry/enterprise", ["uniscid", "entname", "regstate", "lerep"], [], $"/hub/call/scjgj-registry/enterprise/{CreditCode(11)}", body =>
            {
                Assert.Equal(EnterpriseName(11), (string)body["entname"]!);
                Assert.Equal("注销", (string)body["regstate"]!);
                Assert.Null(body["dom"]);
            }),
            new("swj-returns/taxpayer-returns", ["ret", "msg", "data.ssq", "data.ynse"], [], $"/hub/call/swj-returns/taxpayer-returns/{CreditCode(0)}?ssq_q=202510&ssq_z=202512", body =>
            {
                Assert.Equal(0, (int)body["ret"]!);
                Assert.Equal([1010m, 1011m, 1012m], body["data"]!.AsArray().Select(r => (decimal)r!["ynse"]!).ToArray());
                Assert.Null(body["data"]![0]!["nsrmc"]);
            }),
            new("wjw-certificates/death", ["death_time"], ["person_id"], $"/hub/call/wjw-certificates/death/{ResidentId(11)}", body =>
            {
                Assert.Equal(["death_time", "person_id"], body.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray());
                Assert.Equal("2025-06-15T21:00:00+08:00", (string)body["death_time"]!);
                Assert.Equal(Masking.ResidentId(ResidentId(11)), (string)body["person_id"]!);
            }),
            new("ybj-platform/settlements", ["infcode", "output.setlinfo.setl_id", "output.setlinfo.setl_time", "output.setlinfo.medfee_sumamt", "output.next_cursor"],
                ["output.setlinfo.psn_no"], $"/hub/call/ybj-platform/settlements?psn_no={ResidentId(1)}&size=5", body =>
            {
                var swipes = body["output"]!["setlinfo"]!.AsArray();
                Assert.Equal([SettlementId(0), SettlementId(3), SettlementId(6), SettlementId(9), SettlementId(12)], swipes.Select(s => (string)s!["setl_id"]!).ToArray());
                Assert.All(swipes, s => Assert.Equal(Masking.ResidentId(ResidentId(1)), (string)s!["psn_no"]!));
                Assert.Null(swipes[0]!["fixmedins_code"]);
                Assert.Equal(SettlementId(12), (string)body["output"]!["next_cursor"]!);
            }),
            new("jtj-traffic/vehicle", ["hpzl"], ["hphm", "syr", "sfzh"], $"/hub/call/jtj-traffic/vehicle/{Uri.EscapeDataString(Plate(3))}", body =>
            {
                Assert.Equal("52", (string)body["hpzl"]!);
                Assert.Equal(Masking.Name(Name(3)), (string)body["syr"]!);
                Assert.Equal(Masking.Generic(Plate(3)), (string)body["hphm"]!);
                Assert.Null(body["ccdjrq"]);
            }),
        ];
        Assert.Equal(DepartmentCluster.Codes.Count, cases.Select(c => c.Resource.Split('-')[0]).Distinct().Count());

        foreach (var @case in cases)
        {
            var refused = await consumer.GetAsync(@case.Call);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{@case.Resource} answered {refused.StatusCode} before any grant");

            await GrantAsync(@case);

            var answered = await consumer.GetAsync(@case.Call);
            var text = await answered.Content.ReadAsStringAsync();
            Assert.True(answered.StatusCode == HttpStatusCode.OK, $"{@case.Resource}: {(int)answered.StatusCode} {text}");
            @case.Check(JsonNode.Parse(text)!.AsObject());
        }

        // A malformed call is refused by the hub before it reaches the department; one the hub passes is answered in the hub's words.
        var malformed = await consumer.GetAsync("/hub/call/gaj-population/person/12345");
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        var declined = await consumer.GetAsync($"/hub/call/mzj-assistance/dibao-recipients?limit=5000");
        Assert.Equal(HttpStatusCode.BadRequest, declined.StatusCode);
        Assert.Equal("application/problem+json", declined.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ApplyRegistry_GeneratedYaml_CatalogsEveryDepartmentFileWithItsClassification()
    {
        await ApplyAsync(city.Cluster.RegistryYaml);

        var datasets = (await _admin.GetFromJsonAsync<JsonArray>("/api/hub/datasets"))!;
        var units = (await _admin.GetFromJsonAsync<JsonArray>("/api/hub/units"))!;

        Assert.Equal(["gaj.rk", "jtj.parking", "jtj.vehicles", "mzj.deaths", "mzj.dibao", "mzj.disability", "rsj.insurance", "rsj.persons", "rsj.units",
            "scjgj.qy", "swj.nsr", "wjw.births", "wjw.death_certificates", "ybj.fixmedins", "ybj.insured", "ybj.setl"],
            datasets.Select(d => (string)d!["code"]!).Order(StringComparer.Ordinal).ToArray());
        var rk = datasets.Single(d => (string)d!["code"]! == "gaj.rk")!;
        Assert.Equal("sensitive-personal", (string)rk["fields"]!.AsArray().Single(f => (string)f!["name"]! == "SFZH")!["level"]!);
        Assert.Equal("unconditional", (string)datasets.Single(d => (string)d!["code"]! == "scjgj.qy")!["sharing"]!);
        Assert.Equal("杭州市卫生健康委员会", (string)units.Single(u => (string)u!["code"]! == "wjw")!["name"]!);
        Assert.Equal("dsj", (string)units.Single(u => (string)u!["code"]! == "wjw")!["parent"]!);
    }

    [Fact]
    public async Task ImportOpenApi_EveryDepartment_RegistersTheSameInterfacesAsTheRegistryFile()
    {
        await ApplyAsync(city.Cluster.RegistryYaml);

        foreach (var system in city.Cluster.Registry.Systems)
        {
            using var department = city.Client(system.Unit!, authenticated: false);
            var openApi = await department.GetStringAsync("/openapi.json");
            var imported = await _admin.PostAsync($"/api/hub/systems/{system.Code}/openapi", new StringContent(openApi, Encoding.UTF8, "application/json"));
            Assert.True(imported.StatusCode == HttpStatusCode.OK, $"{system.Code}: {await imported.Content.ReadAsStringAsync()}");

            var registered = (await _admin.GetFromJsonAsync<JsonObject>($"/api/hub/systems/{system.Code}"))!;
            foreach (var expected in system.Interfaces)
            {
                var actual = registered["interfaces"]!.AsArray().Single(i => (string)i!["code"]! == expected.Code)!;
                Assert.Equal(expected.Path, (string)actual["path"]!);
                Assert.Equal(expected.Sharing, (string)actual["sharing"]!);
                Assert.Equal(expected.Fields.Select(f => (f.Name, f.Level, f.Mask)).Order(),
                    actual["fields"]!.AsArray().Select(f => ((string?)f!["name"], (string?)f["level"], (string?)f["mask"])).Order());
            }
        }
    }

    [Fact]
    public async Task ApplyRegistry_DepartmentsRestartedOnNewPorts_HubFollowsTheNewBaseUrls()
    {
        await ApplyAsync(city.Cluster.RegistryYaml);
        var secret = await ApplyAsync("""
            systems:
              - code: enterprise-portal
                unit: dsj
                name: 企业服务门户
                baseUrl: http://127.0.0.1:9
            """);
        var consumer = await LoginAsync("enterprise-portal", (string)secret["enterprise-portal"]!);
        using var filed = await consumer.PostAsJsonAsync("/api/hub/requests", new
        {
            consumer = "enterprise-portal",
            resource = "scjgj-registry/enterprise",
            fields = new[] { "entname" },
            purpose = Purpose,
            legalBasis = "《企业信息公示暂行条例》",
            days = 30,
        });
        Assert.Equal(HttpStatusCode.Created, filed.StatusCode);
        var call = $"/hub/call/scjgj-registry/enterprise/{CreditCode(2)}";

        // A second start from the same data folder: same databases and credentials, new ports, registry applied again.
        await using (var restarted = await DepartmentCluster.StartAsync(city.CityDirectory, city.DataDirectory, CancellationToken.None))
        {
            Assert.NotEqual(city.Cluster.BaseUrls["scjgj"], restarted.BaseUrls["scjgj"]);
            await ApplyAsync(restarted.RegistryYaml);
            var answered = await consumer.GetAsync(call);
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            Assert.Equal(EnterpriseName(2), (string)(await answered.Content.ReadFromJsonAsync<JsonObject>())!["entname"]!);
        }

        // The restarted systems are gone: the hub reaches for them, not for the old ports, and says so.
        var gone = await consumer.GetAsync(call);
        Assert.Equal(HttpStatusCode.BadGateway, gone.StatusCode);
    }

    private async Task<JsonObject> ApplyAsync(string yaml)
    {
        using var response = await _admin.PostAsync("/api/hub/registry", new StringContent(yaml, Encoding.UTF8, "application/yaml"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["clientSecrets"]!.AsObject();
    }

    private async Task<HttpClient> LoginAsync(string system, string secret)
    {
        using var anonymous = _hub.Client((string?)null);
        using var login = await anonymous.PostAsJsonAsync("/api/auth/token", new { clientId = system, clientSecret = secret });
        var token = (string)(await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!;
        var client = _hub.Client(token);
        client.DefaultRequestHeaders.Add("X-Purpose", Purpose);
        return client;
    }

    private async Task GrantAsync(Case @case)
    {
        var owner = city.Cluster.Registry.Systems.Single(s => @case.Resource.StartsWith(s.Code + "/", StringComparison.Ordinal)).Unit!;
        using var consumer = _hub.Client(new Caller("operator@dsj", HubRoles.UnitOperator, "dsj", null, null));
        using var filed = await consumer.PostAsJsonAsync("/api/hub/requests", new
        {
            consumer = "policy-engine",
            resource = @case.Resource,
            fields = @case.Requested,
            purpose = Purpose,
            legalBasis = "《浙江省公共数据条例》第二十九条",
            days = 30,
        });
        var request = (await filed.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(filed.StatusCode == HttpStatusCode.Created, request.ToJsonString());
        if ((string)request["status"]! == "granted")
        {
            return; // unconditional (无条件共享): granted as requested
        }
        using var bureau = _hub.Client(new Caller($"operator@{owner}", HubRoles.UnitOperator, owner, null, null));
        using var decided = await bureau.PostAsJsonAsync($"/api/hub/requests/{request["id"]}/decision", new
        {
            approve = true,
            fields = @case.Clear,
            maskedFields = @case.Masked,
            days = 30,
            reason = "needed for eligibility checks",
        });
        Assert.True(decided.StatusCode == HttpStatusCode.OK, await decided.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        _admin.Dispose();
        await _hub.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_hubData, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.EndToEnd.Tests;

/// <summary>The README's walk-through, end to end, on SQLite and on PostgreSQL.</summary>
public sealed class HubFlowTests
{
    private const string Citizen = "33010619900101123X";

    public static TheoryData<string> Stores => TestStores.Kinds;

    internal static string RegistryYaml(string backendUrl) => $$"""
        units:
          - code: gaj
            name: 杭州市公安局
            divisionCode: "330100"
            parent: dsj
          - code: mzj
            name: 杭州市民政局
            divisionCode: "330100"
        systems:
          - code: police-pop
            unit: gaj
            name: 人口信息系统
            baseUrl: {{backendUrl}}
            credentials: { header: X-Api-Key, value: {{PopulationSystem.ApiKey}} }
            timeoutMs: 5000
            interfaces:
              - code: person
                name: 人口基本信息查询
                method: GET
                path: /persons/{sfzh}
                sharing: conditional
                parameters:
                  - { name: sfzh, in: path, required: true, format: resident-id }
                fields:
                  - { name: XM, level: personal, mask: name }
                  - { name: SFZH, level: sensitive-personal, mask: resident-id }
                  - { name: XB, level: internal }
                  - { name: CSRQ, level: personal }
                  - { name: DZ, level: personal, mask: address }
                  - { name: SJHM, level: personal, mask: phone }
          - code: mz-dibao
            unit: mzj
            name: 最低生活保障系统
            baseUrl: http://127.0.0.1:9/
        """;

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ReadmeFlow_RegisterRequestApproveCallRevokeVerify_EachStepAsDocumented(string storeKind)
    {
        await using var backend = await PopulationSystem.StartAsync();
        await using var node = await HubNode.StartAsync(storeKind);
        var tokens = node.Services.GetRequiredService<TokenService>();
        var admin = node.Client(tokens.Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));

        // Register a unit, a system and an interface from a YAML file.
        var registered = await admin.PostAsync("/api/hub/registry", new StringContent(RegistryYaml(backend.BaseUrl), Encoding.UTF8, "application/yaml"));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, registered);
        var change = await registered.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal(2, (int)change!["systems"]!);
        var secret = (string)change["clientSecrets"]!["mz-dibao"]!;

        var systems = await admin.GetFromJsonAsync<JsonArray>("/api/hub/systems");
        var person = systems!.Single(s => (string)s!["code"]! == "police-pop")!["interfaces"]![0]!;
        Assert.Equal("GET", (string)person["method"]!);
        Assert.Equal("sensitive-personal", (string)person["fields"]!.AsArray().Single(f => (string)f!["name"]! == "SFZH")!["level"]!);

        // The consumer system logs in with its client credentials.
        var login = await node.Client().PostAsJsonAsync("/api/auth/token", new { clientId = "mz-dibao", clientSecret = secret });
        await HttpAssert.StatusAsync(HttpStatusCode.OK, login);
        var consumer = node.Client((string)(await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!);
        consumer.DefaultRequestHeaders.Add("X-Purpose", "dibao-eligibility");

        // Without a grant: 403.
        var refused = await consumer.GetAsync($"/hub/call/police-pop/person/{Citizen}");
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, refused);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);

        // File a request; the owner approves fewer fields, some masked.
        var filed = await consumer.PostAsJsonAsync("/api/hub/requests", new
        {
            consumer = "mz-dibao",
            resource = "police-pop/person",
            fields = new[] { "XM", "SFZH", "XB", "DZ", "SJHM" },
            purpose = "dibao-eligibility",
            legalBasis = "《社会救助暂行办法》第十一条",
            days = 90,
        });
        await HttpAssert.StatusAsync(HttpStatusCode.Created, filed);
        var request = await filed.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("pending", (string)request!["status"]!);

        var owner = node.Client(tokens.Issue(new Caller("operator@gaj", HubRoles.UnitOperator, "gaj", null, null), TimeSpan.FromHours(1)));
        var decided = await owner.PostAsJsonAsync($"/api/hub/requests/{request["id"]}/decision", new
        {
            approve = true,
            fields = new[] { "XB" },
            maskedFields = new[] { "XM", "SFZH", "DZ" },
            days = 30,
            reason = "phone number not needed for eligibility",
        });
        await HttpAssert.StatusAsync(HttpStatusCode.OK, decided);
        var decision = await decided.Content.ReadFromJsonAsync<JsonObject>();
        Assert.Equal("granted", (string)decision!["status"]!);
        var grantId = (string)decision["grantId"]!;

        // The call answers only the granted fields, masked as granted.
        var answered = await consumer.GetAsync($"/hub/call/police-pop/person/{Citizen}");
        await HttpAssert.StatusAsync(HttpStatusCode.OK, answered);
        var body = (await answered.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(["DZ", "SFZH", "XB", "XM"], body.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("1", (string)body["XB"]!);
        Assert.Equal("张*", (string)body["XM"]!);
        Assert.Equal("330106********123X", (string)body["SFZH"]!);
        Assert.StartsWith("浙江省杭州市西湖区文新街道", (string)body["DZ"]!);
        Assert.DoesNotContain("文一西路", (string)body["DZ"]!);
        Assert.All(backend.Seen, s => Assert.True(s.KeyValid && !s.HadConsumerAuthorization));

        // The citizen sees who read which fields, when and why.
        var citizen = node.Client(tokens.Issue(new Caller("citizen", HubRoles.Citizen, null, null, Citizen), TimeSpan.FromHours(1)));
        var accesses = (await citizen.GetFromJsonAsync<JsonArray>("/api/my/data-access"))!;
        var access = Assert.Single(accesses, a => (string?)a!["resource"] == "police-pop/person" && ((string?)a["status"] ?? "200") == "200");
        Assert.Equal("dibao-eligibility", (string)access!["purpose"]!);
        Assert.Contains("mz-dibao", access.ToJsonString(), StringComparison.Ordinal);
        Assert.Contains("XM", access["maskedFields"]!.ToJsonString(), StringComparison.Ordinal);

        // Revoked: refused at once.
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await owner.DeleteAsync($"/api/hub/grants/{grantId}"));
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, await consumer.GetAsync($"/hub/call/police-pop/person/{Citizen}"));

        // No personal data in clear in any log line.
        Assert.DoesNotContain(node.Logs, line => line.Contains(Citizen, StringComparison.Ordinal) || line.Contains("张三", StringComparison.Ordinal));

        // audit verify: intact; then one row changed in the database is named.
        await node.StopAsync();
        var intact = await node.RunCliAsync("audit", "verify");
        Assert.True(intact.ExitCode == 0, intact.Output);
        Assert.Contains("intact", intact.Output, StringComparison.Ordinal);

        await using (var connection = await TestStores.OpenConnectionAsync(node.StoreConnection))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "UPDATE hub_audit SET purpose = 'something-else' WHERE seq = (SELECT MIN(seq) FROM hub_audit WHERE action = 'gateway.call')";
            Assert.Equal(1, await command.ExecuteNonQueryAsync());
            command.CommandText = "SELECT MIN(seq) FROM hub_audit WHERE action = 'gateway.call'";
            var seq = Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            var broken = await node.RunCliAsync("audit", "verify");
            Assert.Equal(1, broken.ExitCode);
            Assert.Contains($"record {seq} ", broken.Output, StringComparison.Ordinal);
            Assert.Contains("altered", broken.Output, StringComparison.Ordinal);
        }
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CityBrain.EndToEnd.Tests;

/// <summary>`citybrain serve` on an empty data folder: the demo city is generated, its departments start and answer through the hub.</summary>
public sealed partial class ServeDemoCityTests
{
    /// <summary>One listing per department system, as a consumer would first try it (query after '?').</summary>
    private static readonly (string System, string Interface, string Query)[] Listings =
    [
        ("gaj-population", "persons", "?page=1&size=5"),
        ("mzj-assistance", "dibao-recipients", "?limit=5"),
        ("rsj-insurance", "persons", "?offset=0&limit=5"),
        ("scjgj-registry", "enterprises", "?pageno=1&pagesize=5"),
        ("swj-returns", "period-returns", "?ssq=202512&page=1&size=5"),
        ("wjw-certificates", "births", "?limit=5"),
        ("ybj-platform", "settlements", "?size=5"),
        ("jtj-traffic", "vehicles", "?page=1&limit=5"),
    ];

    [Fact]
    public async Task Serve_EmptyDataFolder_GeneratesCityStartsDepartmentsAndEachAnswersThroughTheHub()
    {
        await using var serve = await ServeProcess.StartAsync("--residents", "3000", "--seed", "11");

        // The console showed the generation and the departments starting.
        Assert.Contains("generating a demo Hangzhou of 3,000 residents", serve.Output, StringComparison.Ordinal);
        Assert.Contains("gaj: rk.csv loaded", serve.Output, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(serve.DataDirectory, "city", "city.json")));
        Assert.True(File.Exists(Path.Combine(serve.DataDirectory, "city", "truth", "dirt.csv")));

        var admin = serve.Client(await serve.RunAsync("token", "--as", "admin"));
        var systems = (await admin.GetFromJsonAsync<JsonArray>("/api/hub/systems"))!;
        foreach (var (system, _, _) in Listings)
        {
            Assert.Contains(systems, s => (string?)s!["code"] == system);
        }

        // A consumer system of the data bureau's portal.
        var registered = await admin.PostAsJsonAsync("/api/hub/systems", new { code = "e2e-portal", unit = "dsj", name = "一网通办门户", baseUrl = "http://127.0.0.1:9/" });
        await HttpAssert.StatusAsync(HttpStatusCode.Created, registered);
        var secret = (string)(await registered.Content.ReadFromJsonAsync<JsonObject>())!["clientSecrets"]!["e2e-portal"]!;
        var login = await serve.Client().PostAsJsonAsync("/api/auth/token", new { clientId = "e2e-portal", clientSecret = secret });
        await HttpAssert.StatusAsync(HttpStatusCode.OK, login);
        var consumer = serve.Client((string)(await login.Content.ReadFromJsonAsync<JsonObject>())!["accessToken"]!);
        consumer.DefaultRequestHeaders.Add("X-Purpose", "e2e-demo");

        foreach (var (system, @interface, query) in Listings)
        {
            var definition = systems.Single(s => (string?)s!["code"] == system)!;
            var unit = (string)definition["unit"]!;
            var fields = definition["interfaces"]!.AsArray().Single(i => (string?)i!["code"] == @interface)!["fields"]!.AsArray();
            var personal = fields.Where(f => ((string)f!["level"]!).Contains("personal", StringComparison.Ordinal)).Select(f => (string)f!["name"]!).ToArray();
            var clear = fields.Select(f => (string)f!["name"]!).Except(personal).ToArray();

            var refused = await consumer.GetAsync($"/hub/call/{system}/{@interface}{query}");
            var filed = await consumer.PostAsJsonAsync("/api/hub/requests", new
            {
                consumer = "e2e-portal",
                resource = $"{system}/{@interface}",
                fields = fields.Select(f => (string)f!["name"]!).ToArray(),
                purpose = "e2e-demo",
                legalBasis = "《杭州城市大脑赋能城市治理促进条例》",
                days = 7,
            });
            await HttpAssert.StatusAsync(HttpStatusCode.Created, filed);
            var request = (await filed.Content.ReadFromJsonAsync<JsonObject>())!;
            if ((string)request["status"]! == "pending")
            {
                await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, refused);
                var owner = serve.Client(await serve.RunAsync("token", "--as", $"unit:{unit}"));
                var decided = await owner.PostAsJsonAsync($"/api/hub/requests/{request["id"]}/decision",
                    new { approve = true, fields = clear, maskedFields = personal, days = 7, reason = "demo" });
                await HttpAssert.StatusAsync(HttpStatusCode.OK, decided);
            }
            else
            {
                Assert.Equal("granted", (string)request["status"]!);
            }

            var answered = await consumer.GetAsync($"/hub/call/{system}/{@interface}{query}");
            await HttpAssert.StatusAsync(HttpStatusCode.OK, answered);
            var body = await answered.Content.ReadAsStringAsync();
            Assert.True(JsonNode.Parse(body) is JsonObject { Count: > 0 }, $"{system}/{@interface} answered {body}");
            // No resident ID leaves the hub in clear: every 18-character ID in the answer is masked.
            Assert.DoesNotMatch(ClearResidentId(), body);
        }

        // One person, looked up through the hub: masked as granted.
        var someone = File.ReadLines(Path.Combine(serve.DataDirectory, "city", "truth", "residents.csv")).Skip(1).First().Split(',')[0];
        var person = await consumer.GetAsync($"/hub/call/gaj-population/person/{someone}");
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, person);

        // The city clock runs: city time moves a minute for every second.
        var before = (DateTimeOffset)(await admin.GetFromJsonAsync<JsonObject>("/api/city/pulse"))!["cityTime"]!;
        await Task.Delay(TimeSpan.FromSeconds(3));
        var after = (DateTimeOffset)(await admin.GetFromJsonAsync<JsonObject>("/api/city/pulse"))!["cityTime"]!;
        Assert.True(after - before >= TimeSpan.FromMinutes(1), $"city time went from {before} to {after}");

        // After the lake's ingestion, the shipped policies' data needs were filed as sharing requests and approved by
        // the owning units: every policy whose issuing unit is in the registry holds its grants (kjj, the issuer of
        // tech-rd-subsidy, runs no department system in the demo). Ingestion runs in the background: wait generously.
        for (var polls = 0; !serve.Output.Contains("policy: the shipped policies' sharing requests filed", StringComparison.Ordinal) && polls < 1200; polls++)
        {
            await Task.Delay(100);
        }
        var policies = (await admin.GetFromJsonAsync<JsonArray>("/api/policy/policies"))!;
        Assert.Equal(10, policies.Count);
        Assert.Equal(["tech-rd-subsidy"], policies.Where(p => !(bool)p!["granted"]!).Select(p => (string)p!["id"]!));

        // With the grants serve approved, `policy run` on the same data folder pays, and its reads are in the hub's audit
        // chain as the issuing unit's policy system; a policy whose grants were never approved is refused.
        var run = JsonNode.Parse(await serve.RunAsync("policy", "run", "--policy", "severe-disability-care", "--period", "2025-12"))!;
        Assert.True((int)run["paid"]! > 0, run.ToJsonString());
        // Its reads of the lake (personal data) were kept in the data folder while it matched, and are gone now.
        Assert.Empty(Directory.EnumerateFileSystemEntries(Path.Combine(serve.DataDirectory, "policy-runs")));
        var audit = new List<JsonNode>();
        for (var page = (await admin.GetFromJsonAsync<JsonArray>("/api/hub/audit?limit=1000"))!; page.Count > 0;
             page = (await admin.GetFromJsonAsync<JsonArray>($"/api/hub/audit?limit=1000&after={(long)audit[^1]["seq"]!}"))!)
        {
            audit.AddRange(page.Select(r => r!));
        }
        var reads = audit
            .Where(r => (string?)r!["action"] == "data.query" && (string?)r!["actor"] == "system:mzj-policy").Select(r => (string)r!["resource"]!).Order(StringComparer.Ordinal);
        Assert.Equal(["dataset:gaj.rk", "dataset:mzj.deaths", "dataset:mzj.disability", "dataset:rsj.persons", "dataset:wjw.death_certificates"], reads);
        var ungranted = await serve.RunFailingAsync("policy", "run", "--policy", "tech-rd-subsidy", "--period", "2025");
        Assert.Equal(2, ungranted.ExitCode);
        Assert.Contains("policy 'tech-rd-subsidy' may not run", ungranted.Error, StringComparison.Ordinal);

        // serve started the demo bank beside the node: a citizen sees the account it holds on file, masked.
        var citizen = serve.Client(await serve.RunAsync("token", "--as", $"citizen:{someone}"));
        var account = (await citizen.GetFromJsonAsync<JsonObject>("/api/my/policies/payouts/account"))!;
        Assert.Matches(@"^6217 \*\*\*\* [0-9]{4}$", (string)account["onFileMasked"]!);
        // An enterprise's token (credit code checked) answers for that enterprise only.
        var enterprises = File.ReadLines(Path.Combine(serve.DataDirectory, "city", "truth", "enterprises.csv")).Skip(1).Take(2).Select(l => l.Split(',')[0]).ToList();
        var enterprise = serve.Client(await serve.RunAsync("token", "--as", $"enterprise:{enterprises[0]}"));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await enterprise.GetAsync($"/api/enterprises/{enterprises[0]}/policies"));
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, await enterprise.GetAsync($"/api/enterprises/{enterprises[1]}/policies"));
        var badCode = await serve.RunFailingAsync("token", "--as", "enterprise:" + enterprises[0][..17] + (enterprises[0][17] == '0' ? '1' : '0'));
        Assert.Equal(2, badCode.ExitCode);
    }

    [GeneratedRegex(@"(?<![0-9])[1-9][0-9]{5}(19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx](?![0-9])")]
    private static partial Regex ClearResidentId();
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data.Tests.Query;

[Collection(DemoLakeCollection.Name)]
public sealed class GovernedQueryTests(DemoLake lake)
{
    private const string Purpose = "eligibility-check";

    [Fact]
    public async Task Query_GrantWithMaskedFields_ReturnsThemMaskedAndAuditsPurposeFieldsRowsAndSubject()
    {
        var system = "welfare-" + Guid.NewGuid().ToString("N")[..6];
        using var consumer = await lake.ConsumerWithGrantAsync(system, Purpose, ("gaj.rk", ["XB", "HJQH"], ["SFZH", "XM"]));
        var (id, name, sex) = await PersonAsync();

        using var answered = await consumer.PostAsJsonAsync("/api/data/query", new
        {
            dataset = "gaj.rk", fields = new[] { "SFZH", "XM", "XB" }, filters = new[] { new { field = "SFZH", op = "eq", value = id } }, purpose = Purpose,
        });
        var body = (await answered.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.True(answered.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        var row = body["rows"]!.AsArray().Single()!;
        Assert.Equal(Masking.ResidentId(id), (string)row["SFZH"]!);
        Assert.Equal(Masking.Name(name), (string)row["XM"]!);
        Assert.Equal(sex, (string)row["XB"]!);

        // The person sees the query in the data tracker, with its purpose; the record carries fields and row count.
        using var citizen = lake.Client(new Caller("citizen", HubRoles.Citizen, null, null, id));
        var access = (await citizen.GetFromJsonAsync<JsonArray>("/api/my/data-access"))!;
        Assert.Contains(access, a => a!.ToJsonString().Contains("data.query", StringComparison.Ordinal) && a.ToJsonString().Contains(Purpose, StringComparison.Ordinal));
        using var auditor = lake.Client(DemoLake.Admin);
        JsonNode? audited = null;
        for (long after = 0; ;)
        {
            var page = (await auditor.GetFromJsonAsync<JsonArray>($"/api/hub/audit?limit=1000&after={after}"))!;
            if (page.Count == 0)
            {
                break;
            }
            audited = page.LastOrDefault(r => (string)r!["action"]! == "data.query" && (string)r["actor"]! == "system:" + system) ?? audited;
            after = (long)page[^1]!["seq"]!;
        }
        Assert.NotNull(audited);
        Assert.Equal(Purpose, (string)audited["purpose"]!);
        var detail = JsonNode.Parse((string)audited["detail"]!)!;
        Assert.Equal("SFZH,XM,XB", (string)detail["fields"]!);
        Assert.Equal("1", (string)detail["rows"]!);
    }

    [Fact]
    public async Task Query_FieldOutsideTheGrantOrNoGrant_IsRefused()
    {
        using var consumer = await lake.ConsumerWithGrantAsync("portal-" + Guid.NewGuid().ToString("N")[..6], Purpose, ("gaj.rk", ["XB", "HJQH"], ["XM"]));

        using var phone = await consumer.PostAsJsonAsync("/api/data/query", new { dataset = "gaj.rk", fields = new[] { "XB", "LXDH" }, purpose = Purpose });
        Assert.Equal(HttpStatusCode.Forbidden, phone.StatusCode);
        Assert.Contains("does not release LXDH of gaj.rk", await phone.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var grouped = await consumer.PostAsJsonAsync("/api/data/query", new { dataset = "gaj.rk", groupBy = new[] { "XM" }, aggregates = new[] { new { function = "count" } }, purpose = Purpose });
        Assert.Equal(HttpStatusCode.Forbidden, grouped.StatusCode);

        using var ungranted = await consumer.PostAsJsonAsync("/api/data/query", new { dataset = "rsj.persons", fields = new[] { "district_code" }, purpose = Purpose });
        Assert.Equal(HttpStatusCode.Forbidden, ungranted.StatusCode);

        using var otherPurpose = await consumer.PostAsJsonAsync("/api/data/query", new { dataset = "gaj.rk", fields = new[] { "XB" }, purpose = "marketing" });
        Assert.Equal(HttpStatusCode.Forbidden, otherPurpose.StatusCode);
    }

    [Fact]
    public async Task Query_AggregateOverClearFields_CountsEveryRow()
    {
        using var consumer = await lake.ConsumerWithGrantAsync("stats-" + Guid.NewGuid().ToString("N")[..6], Purpose, ("gaj.rk", ["XB"], []));

        using var answered = await consumer.PostAsJsonAsync("/api/data/query", new { dataset = "gaj.rk", groupBy = new[] { "XB" }, aggregates = new[] { new { function = "count" } }, purpose = Purpose });
        var body = (await answered.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.True(answered.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(lake.FileRows("gaj.rk"), body["rows"]!.AsArray().Sum(r => long.Parse((string)r!["count"]!, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Profile_PersonInManyDepartments_ShowsEachDatasetWithSourceVersionAndFreshness()
    {
        var (subject, datasets) = await BusiestPersonAsync();
        var registry = lake.App.Services.GetRequiredService<IRegistryReader>();
        var grants = new List<(string, string[], string[])>();
        foreach (var dataset in datasets)
        {
            var fields = (await registry.FindDatasetAsync(dataset, CancellationToken.None))!.Fields;
            grants.Add((dataset, [.. fields.Where(f => f.Level is FieldLevel.Public or FieldLevel.Internal).Select(f => f.Name)],
                [.. fields.Where(f => f.Level is FieldLevel.Personal or FieldLevel.SensitivePersonal).Select(f => f.Name)]));
        }
        using var consumer = await lake.ConsumerWithGrantAsync("profiles-" + Guid.NewGuid().ToString("N")[..6], Purpose, [.. grants]);

        using var answered = await consumer.GetAsync($"/api/data/profiles/person/{subject}");
        var body = (await answered.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.True(answered.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        var sections = body["sections"]!.AsArray();
        Assert.Equal(datasets, sections.Select(s => (string)s!["dataset"]!).ToArray());
        Assert.True(datasets.Select(d => d.Split('.')[0]).Distinct().Count() >= 4, string.Join(",", datasets));
        Assert.All(sections, s =>
        {
            Assert.Equal(((string)s!["dataset"]!).Split('.')[0], (string)s["owner"]!);
            Assert.True((long)s["version"]! >= 1);
            Assert.True((double)s["freshnessHours"]! >= 0);
            Assert.NotEmpty(s["records"]!.AsArray());
        });
        var rk = sections.Single(s => (string)s!["dataset"]! == "gaj.rk")!["records"]![0]!.AsArray();
        var id = rk.Single(f => (string)f!["field"]! == "SFZH")!;
        Assert.True((bool)id["masked"]!);
        Assert.Equal(Masking.ResidentId(subject), (string)id["value"]!);
    }

    [Fact]
    public async Task Profile_WithoutGrants_WithholdsEveryDataset()
    {
        var (subject, datasets) = await BusiestPersonAsync();
        using var consumer = await lake.ConsumerWithGrantAsync("nogrant-" + Guid.NewGuid().ToString("N")[..6], Purpose);

        var body = (await consumer.GetFromJsonAsync<JsonObject>($"/api/data/profiles/person/{subject}"))!;

        Assert.Empty(body["sections"]!.AsArray());
        Assert.Equal(datasets, body["withheld"]!.AsArray().Select(d => (string)d!).ToArray());
    }

    [Fact]
    public async Task OwnProfile_Resident_SeesOwnRecordsFromEveryDepartmentInClearAndTheReadIsInTheTracker()
    {
        var (subject, datasets) = await BusiestPersonAsync();
        using var citizen = lake.Client(new Caller("citizen", HubRoles.Citizen, null, null, subject));

        using var answered = await citizen.GetAsync("/api/data/profiles/me");
        var body = (await answered.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.True(answered.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(subject, (string)body["subject"]!);
        var sections = body["sections"]!.AsArray();
        Assert.Equal(datasets, sections.Select(s => (string)s!["dataset"]!).ToArray());
        var id = sections.Single(s => (string)s!["dataset"]! == "gaj.rk")!["records"]![0]!.AsArray().Single(f => (string)f!["field"]! == "SFZH")!;
        Assert.Equal((subject, false), ((string)id["value"]!, (bool)id["masked"]!));
        var access = (await citizen.GetFromJsonAsync<JsonArray>("/api/my/data-access"))!;
        Assert.Contains(access, a => a!.ToJsonString().Contains("own-data-access", StringComparison.Ordinal));

        // Nobody else reads a profile this way: staff and systems go through grants.
        using var staff = lake.Client(new Caller("operator@gaj", HubRoles.UnitOperator, "gaj", null, null));
        using var refused = await staff.GetAsync("/api/data/profiles/me");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Profile_EnterpriseInSeveralDepartments_ShowsEachDatasetWithItsOwnerAndSource()
    {
        var store = lake.App.Services.GetRequiredService<Lake.Lake>();
        string uscc;
        string[] datasets;
        await using (var connection = await store.OpenReadConnectionAsync(CancellationToken.None))
        {
            uscc = (string)Lake.Lake.Scalar(connection, """
                SELECT subject FROM profile_index WHERE kind = 'enterprise' AND length(subject) = 18
                GROUP BY subject ORDER BY count(DISTINCT dataset) DESC, subject LIMIT 1
                """)!;
            datasets = ((string)Lake.Lake.Scalar(connection, "SELECT string_agg(DISTINCT dataset, ',' ORDER BY dataset) FROM profile_index WHERE subject = $1", null, uscc)!).Split(',');
        }
        var registry = lake.App.Services.GetRequiredService<IRegistryReader>();
        var grants = new List<(string, string[], string[])>();
        foreach (var dataset in datasets)
        {
            grants.Add((dataset, [.. (await registry.FindDatasetAsync(dataset, CancellationToken.None))!.Fields.Select(f => f.Name)], []));
        }
        using var consumer = await lake.ConsumerWithGrantAsync("enterprise-" + Guid.NewGuid().ToString("N")[..6], Purpose, [.. grants]);

        using var answered = await consumer.GetAsync($"/api/data/profiles/enterprise/{uscc}");
        var body = (await answered.Content.ReadFromJsonAsync<JsonObject>())!;
        using var invalid = await consumer.GetAsync("/api/data/profiles/enterprise/91330100000000000X");

        Assert.True(answered.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(uscc, (string)body["subject"]!);
        var sections = body["sections"]!.AsArray();
        Assert.Equal(datasets, sections.Select(s => (string)s!["dataset"]!).ToArray());
        Assert.True(datasets.Select(d => d.Split('.')[0]).Distinct().Count() >= 2, string.Join(",", datasets));
        Assert.All(sections, s =>
        {
            Assert.Equal(((string)s!["dataset"]!).Split('.')[0], (string)s["owner"]!);
            Assert.True((long)s["version"]! >= 1);
            Assert.NotEmpty(s["records"]!.AsArray());
        });
        var registration = sections.Single(s => (string)s!["dataset"]! == "scjgj.qy")!["records"]![0]!.AsArray();
        Assert.Equal(uscc, (string)registration.Single(f => (string)f!["field"]! == "uniscid")!["value"]!);
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    private async Task<(string Id, string Name, string Sex)> PersonAsync()
    {
        var store = lake.App.Services.GetRequiredService<Lake.Lake>();
        await using var connection = await store.OpenReadConnectionAsync(CancellationToken.None);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT SFZH, XM, XB FROM gaj_rk WHERE XM IS NOT NULL AND length(XM) = 3 ORDER BY SFZH LIMIT 50";
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            if (Kernel.Identifiers.ResidentId.IsValid(reader.GetString(0)))
            {
                return (reader.GetString(0), reader.GetString(1), reader.GetString(2));
            }
        }
        throw new InvalidOperationException("no person with a valid ID");
    }

    private async Task<(string Subject, string[] Datasets)> BusiestPersonAsync()
    {
        var store = lake.App.Services.GetRequiredService<Lake.Lake>();
        await using var connection = await store.OpenReadConnectionAsync(CancellationToken.None);
        var subject = (string)Lake.Lake.Scalar(connection, """
            SELECT subject FROM profile_index WHERE kind = 'person' AND length(subject) = 18
            GROUP BY subject ORDER BY count(DISTINCT dataset) DESC, subject LIMIT 1
            """)!;
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT DISTINCT dataset FROM profile_index WHERE subject = '{subject}' ORDER BY dataset";
        await using var reader = await command.ExecuteReaderAsync();
        var datasets = new List<string>();
        while (await reader.ReadAsync())
        {
            datasets.Add(reader.GetString(0));
        }
        return (subject, [.. datasets]);
    }
}

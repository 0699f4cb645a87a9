using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityBrain.Data.Classification;
using CityBrain.Data.Quality;
using CityBrain.Host;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using DuckDB.NET.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data.Tests.Quality;

/// <summary>
/// The quality and classification API on the real host (as the lead composes it: AddQuality, MapQuality), over a lake
/// whose views are the demo city's department files, called with the hub's own tokens.
/// </summary>
public sealed class QualityApiTests(GeneratedCity city) : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "citybrain-quality-api-" + Guid.NewGuid().ToString("N")[..10]);
    private TestStore _store = null!;
    private WebApplication _app = null!;
    private Uri _baseAddress = null!;

    public async ValueTask InitializeAsync()
    {
        // The host's lake (DATA/lake/lake.duckdb) made beforehand with the city's department files as its dataset views.
        Directory.CreateDirectory(Path.Combine(_directory, "lake"));
        var lakePath = Path.Combine(_directory, "lake", "lake.duckdb");
        await using (var lake = new DuckDBConnection($"DataSource={lakePath}"))
        {
            await lake.OpenAsync();
            foreach (var (code, file) in city.Files)
            {
                await using var command = lake.CreateCommand();
                command.CommandText = $"CREATE VIEW {code} AS SELECT * FROM read_csv('{file}', header = true, all_varchar = true)";
                await command.ExecuteNonQueryAsync();
            }
        }
        _store = await TestStores.CreateAsync(TestStores.Sqlite);
        _app = CityBrainHost.Create(new HostSettings(_directory, "sqlite:" + _store.Connection, "http://127.0.0.1:0"));
        await CityBrainHost.PrepareAsync(_app, CancellationToken.None);
        await _app.StartAsync();
        _baseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    private HttpClient Client(string role, string? unit, string name = "staff")
    {
        var token = _app.Services.GetRequiredService<TokenService>().Issue(new Caller(name, role, unit, null, role == HubRoles.Citizen ? "330106199001011234" : null), TimeSpan.FromHours(1));
        var client = new HttpClient { BaseAddress = _baseAddress };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task PostRun_DataBureau_ScoresEveryDatasetAndTracesEachFailingRecordToItsUnit()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var admin = Client(HubRoles.Admin, "dsj");

        var response = await admin.PostAsJsonAsync("/api/data/quality/runs", new { asOf = city.AsOf, lastUpdated = new Dictionary<string, DateTimeOffset> { ["gaj_rk"] = new(2025, 12, 1, 0, 0, 0, TimeSpan.FromHours(8)) } }, cancellationToken);

        await AssertStatusAsync(HttpStatusCode.Created, response);
        var run = (await response.Content.ReadFromJsonAsync<QualityRun>(Json, cancellationToken))!;
        Assert.Equal(city.Files.Count, run.Datasets.Count);
        Assert.All(run.Datasets, d => Assert.InRange(d.Score, 50, 100));
        var rk = run.Datasets.Single(d => d.Dataset == "gaj_rk");
        Assert.Equal(0, rk.Dimensions[QualityDimension.Timeliness]); // a daily register last loaded a month ago is late
        Assert.Contains(run.Units, u => u.Unit == "gaj" && u.FailingRecords > 0);

        // The planted bad check characters in gaj's register are findings, each with its record key and value.
        var planted = File.ReadLines(Path.Combine(city.Directory, "truth", "dirt.csv")).Skip(1).Select(l => l.Split(','))
            .Where(p => p[0] == "bad-check-digit" && p[1] == "gaj").Select(p => p[3]).ToHashSet();
        var findings = await admin.GetFromJsonAsync<List<QualityFinding>>(
            $"/api/data/quality/runs/{run.RunId}/findings?dataset=gaj_rk&rule=format:resident-id&limit=1000", Json, cancellationToken);
        Assert.Equal(planted.Order(), findings!.Select(f => f.Key).Order());
        Assert.All(findings!, f => Assert.Equal(f.Key, f.Value));

        // A unit's staff get their own rectification tasks only.
        var tasks = await Client(HubRoles.UnitOperator, "rsj").GetFromJsonAsync<List<RectificationTask>>("/api/data/quality/tasks", Json, cancellationToken);
        Assert.NotEmpty(tasks!);
        Assert.All(tasks!, t => Assert.Equal("rsj", t.Unit));
        Assert.All(tasks!, t => Assert.InRange(t.SampleKeys.Count, 1, 5));
    }

    [Fact]
    public async Task Findings_BadPagingOrOtherUnitOrCitizen_RefusedWithTheReason()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var admin = Client(HubRoles.Admin, "dsj");
        var run = (await (await admin.PostAsJsonAsync("/api/data/quality/runs", new { asOf = city.AsOf }, cancellationToken)).Content.ReadFromJsonAsync<QualityRun>(Json, cancellationToken))!;

        var tooMany = await admin.GetAsync($"/api/data/quality/runs/{run.RunId}/findings?limit=5000", cancellationToken);
        var otherUnit = await Client(HubRoles.UnitOperator, "rsj").GetAsync($"/api/data/quality/runs/{run.RunId}/findings?unit=gaj", cancellationToken);
        var citizen = await Client(HubRoles.Citizen, null).GetAsync("/api/data/quality/runs/latest", cancellationToken);
        var unitRun = await Client(HubRoles.UnitOperator, "gaj").PostAsJsonAsync("/api/data/quality/runs", new { }, cancellationToken);
        var unknown = await admin.GetAsync("/api/data/quality/runs/q-none/findings", cancellationToken);

        await AssertStatusAsync(HttpStatusCode.BadRequest, tooMany);
        Assert.Contains("limit", await tooMany.Content.ReadAsStringAsync(cancellationToken), StringComparison.Ordinal);
        await AssertStatusAsync(HttpStatusCode.Forbidden, otherUnit);
        await AssertStatusAsync(HttpStatusCode.Forbidden, citizen);
        await AssertStatusAsync(HttpStatusCode.Forbidden, unitRun);
        await AssertStatusAsync(HttpStatusCode.NotFound, unknown);
    }

    [Fact]
    public async Task Confirm_OwnerCorrectsAProposal_ConfirmationSurvivesTheNextProposal()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var owner = Client(HubRoles.UnitOperator, "gaj", "operator@gaj");

        var proposed = await owner.PostAsync("/api/data/classification/gaj_rk/proposals", null, cancellationToken);
        await AssertStatusAsync(HttpStatusCode.OK, proposed);
        var sfzh = (await proposed.Content.ReadFromJsonAsync<List<ColumnClassification>>(Json, cancellationToken))!.Single(c => c.Column == "SFZH");
        Assert.Equal((PersonalLevel.SensitivePersonal, "resident-id", false), (sfzh.PersonalLevel, sfzh.Mask, sfzh.Confirmed));

        var otherUnit = await Client(HubRoles.UnitOperator, "rsj").PostAsJsonAsync("/api/data/classification/gaj_rk/columns/SFZH/confirm", new { }, cancellationToken);
        var badMask = await owner.PostAsJsonAsync("/api/data/classification/gaj_rk/columns/SFZH/confirm", new { mask = "scramble" }, cancellationToken);
        var unknownColumn = await owner.PostAsJsonAsync("/api/data/classification/gaj_rk/columns/NOPE/confirm", new { }, cancellationToken);
        var confirmed = await owner.PostAsJsonAsync("/api/data/classification/gaj_rk/columns/SFZH/confirm", new { dataLevel = "core" }, cancellationToken);
        await owner.PostAsync("/api/data/classification/gaj_rk/proposals", null, cancellationToken);
        var listed = await owner.GetFromJsonAsync<List<ColumnClassification>>("/api/data/classification/gaj_rk", Json, cancellationToken);

        await AssertStatusAsync(HttpStatusCode.Forbidden, otherUnit);
        await AssertStatusAsync(HttpStatusCode.BadRequest, badMask);
        Assert.Contains("scramble", await badMask.Content.ReadAsStringAsync(cancellationToken), StringComparison.Ordinal);
        await AssertStatusAsync(HttpStatusCode.NotFound, unknownColumn);
        await AssertStatusAsync(HttpStatusCode.OK, confirmed);
        var kept = listed!.Single(c => c.Column == "SFZH");
        Assert.Equal((DataLevel.Core, true, "operator@gaj"), (kept.DataLevel, kept.Confirmed, kept.ConfirmedBy));
    }

    private static async Task AssertStatusAsync(HttpStatusCode expected, HttpResponseMessage response)
    {
        if (response.StatusCode != expected)
        {
            Assert.Fail($"Expected {(int)expected} {expected}, got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}

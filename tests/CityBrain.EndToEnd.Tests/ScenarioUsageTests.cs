using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CityBrain.Cockpit.Evaluation;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using CityBrain.SyntheticCity.Generation;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.EndToEnd.Tests;

/// <summary>
/// The platform's own scenarios report their use over the bus: on the real host, a staff member's traffic what-if and a
/// citizen's policy explanation show up on the cockpit's evaluation page as daily active users, once per user per day.
/// </summary>
public sealed class ScenarioUsageTests : IAsyncLifetime
{
    private HubNode _node = null!;

    public async ValueTask InitializeAsync()
    {
        _node = await HubNode.StartAsync(TestStores.Sqlite, builder => builder.Configuration["Traffic:DatasetsPath"] = SharedTrafficDatasets());
        // The city the policies judge by, where `citybrain serve` keeps the demo's (DATA/city).
        await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = 2_000, Seed = 5, OutputDirectory = Path.Combine(_node.DataDirectory, "city") },
            null, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync() => await _node.DisposeAsync();

    [Fact]
    public async Task Serve_StaffWhatIfAndCitizenExplanation_CountedOncePerUserOnTheirScenario()
    {
        var ct = TestContext.Current.CancellationToken;
        var tokens = _node.Services.GetRequiredService<TokenService>();
        HttpClient As(Caller caller) => _node.Client(tokens.Issue(caller, TimeSpan.FromHours(1)));
        var leader = As(new Caller("leader", HubRoles.Leader, null, null, null));
        var transport = As(new Caller("operator@jtj", HubRoles.UnitOperator, "jtj", null, null));
        var resident = File.ReadLines(Path.Combine(_node.DataDirectory, "city", "truth", "residents.csv")).Skip(1).First().Split(',')[0];
        var citizen = As(new Caller("citizen", HubRoles.Citizen, null, null, resident));

        // Registered at start, with no use yet.
        var atStart = (await leader.GetFromJsonAsync<List<ScenarioEvaluation>>("/api/cockpit/scenarios", ct))!;
        Assert.Equal(["policy", "traffic"], atStart.Select(s => s.Code));
        Assert.All(atStart, s => Assert.Equal(0, s.DailyActiveUsers));

        // The leader runs two what-ifs, the transport bureau's operator one; the citizen asks twice why (or why not).
        var whatIf = new { dataset = "HZ1", controller = "plan", steps = 300 };
        foreach (var staff in new[] { leader, leader, transport })
        {
            using var ran = await staff.PostAsJsonAsync("/api/traffic/what-if", whatIf, ct);
            await HttpAssert.StatusAsync(HttpStatusCode.OK, ran);
        }
        for (var i = 0; i < 2; i++)
        {
            using var explained = await citizen.GetAsync("/api/my/policies/elderly-allowance?period=2025-12", ct);
            await HttpAssert.StatusAsync(HttpStatusCode.OK, explained);
        }
        // A refused request is no use of the scenario.
        using var refused = await As(new Caller("someone", HubRoles.Leader, null, null, null)).PostAsJsonAsync("/api/traffic/what-if", new { dataset = "nowhere" }, ct);
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, refused);

        await AllEventsDeliveredAsync(ct);
        var page = (await leader.GetFromJsonAsync<List<ScenarioEvaluation>>("/api/cockpit/scenarios", ct))!.ToDictionary(s => s.Code);
        Assert.Equal(2, page["traffic"].DailyActiveUsers);
        Assert.Equal(1, page["policy"].DailyActiveUsers);
        Assert.DoesNotContain(_node.Logs, line => line.Contains(resident, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// The bus delivers in the background: waits until every delivery written with the published events is done (the
    /// outbox writes them with the event). Generous: CI machines are slow and busy.
    /// </summary>
    private async Task AllEventsDeliveredAsync(CancellationToken cancellationToken)
    {
        var store = _node.Services.GetRequiredService<IOperationalStore>();
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var owed = await CountAsync(store, "SELECT COUNT(*) FROM kernel_event_deliveries WHERE delivered_at IS NULL", cancellationToken);
            if (owed == 0)
            {
                // Five uses published: three what-ifs, two explanations.
                Assert.Equal(5, await CountAsync(store, "SELECT COUNT(*) FROM kernel_events WHERE name = 'scenario.used'", cancellationToken));
                return;
            }
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(60), $"{owed} event deliveries still owed after 60 s");
            await Task.Delay(50, cancellationToken);
        }
    }

    private static async Task<long> CountAsync(IOperationalStore store, string sql, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string SharedTrafficDatasets()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "CityBrain.slnx")))
        {
            directory = directory.Parent;
        }
        return Path.Combine(directory?.Parent?.FullName ?? throw new InvalidOperationException("CityBrain.slnx not found above the test binaries"),
            "shared", "datasets", "traffic");
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data.Tests.Quality;

/// <summary>
/// A quality run over the demo city's planted dirt sends each problem over the bus to the cockpit, which dispatches a
/// rectification task (整改任务) into the owning unit's inbox: once per problem, record keys masked.
/// </summary>
[Collection(DemoLakeCollection.Name)]
public sealed class RectificationTaskTests(DemoLake lake)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task QualityRun_PlantedBadResidentIds_TaskInTheOwningUnitsInboxOncePerProblem()
    {
        using var admin = lake.Client(DemoLake.Admin);
        using var gaj = lake.Client(new Caller("operator@gaj", HubRoles.UnitOperator, "gaj", null, null));
        using var rsj = lake.Client(new Caller("operator@rsj", HubRoles.UnitOperator, "rsj", null, null));
        var run = await RunQualityAsync(admin);
        var problems = run["tasks"]!.AsArray();
        var badIds = problems.Single(t => (string)t!["dataset"]! == "gaj_rk" && (string)t["rule"]! == "format:resident-id")!;
        Assert.True((long)badIds["failingCount"]! > 0);

        // The unit sees it in its own inbox through the cockpit's API.
        var task = await WaitForTaskAsync(gaj, "quality:gaj_rk:SFZH:format:resident-id");
        Assert.Equal(("gaj", "data-quality", "dispatched"), ((string)task["unit"]!, (string)task["source"]!, (string)task["status"]!));
        Assert.Contains($"({(long)badIds["failingCount"]!} records)", (string)task["title"]!, StringComparison.Ordinal);
        var instructions = (string)task["instructions"]!;
        // (The task may come from an earlier run of the collection that found the same problem: the same records either way.)
        Assert.Matches(@"/api/data/quality/runs/q[0-9T-]+/findings\?dataset=gaj_rk&rule=format%3Aresident-id", instructions);
        foreach (var key in badIds["sampleKeys"]!.AsArray().Select(k => (string)k!))
        {
            Assert.DoesNotContain(key, instructions, StringComparison.Ordinal);
            Assert.Contains(Masking.ResidentId(key), instructions, StringComparison.Ordinal);
        }
        Assert.DoesNotContain(await TasksAsync(rsj), t => ((string)t["sourceRef"]!).StartsWith("quality:gaj_", StringComparison.Ordinal));

        // Every problem of the run becomes one task in its unit's inbox; a second run finds the same problems and adds none.
        await AllDeliveredAsync();
        var again = await RunQualityAsync(admin);
        await AllDeliveredAsync();
        using var leader = lake.Client(new Caller("leader", HubRoles.Leader, null, null, null));
        var quality = (await TasksAsync(leader)).Where(t => (string)t["source"]! == "data-quality").ToList();
        var expected = again["tasks"]!.AsArray().Select(t => $"{t!["unit"]} quality:{t["dataset"]}:{t["field"]}:{t["rule"]}").Order(StringComparer.Ordinal);
        Assert.Equal(expected, quality.Select(t => $"{t["unit"]} {t["sourceRef"]}").Order(StringComparer.Ordinal));
    }

    private static async Task<JsonObject> RunQualityAsync(HttpClient admin)
    {
        using var response = await admin.PostAsJsonAsync("/api/data/quality/runs", new { });
        var run = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.True(response.StatusCode == HttpStatusCode.Created, run.ToJsonString());
        return run;
    }

    private static async Task<List<JsonObject>> TasksAsync(HttpClient client) =>
        [.. (await client.GetFromJsonAsync<JsonArray>("/api/cockpit/tasks"))!.Select(t => t!.AsObject())];

    private static async Task<JsonObject> WaitForTaskAsync(HttpClient unit, string problemKey)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            if ((await TasksAsync(unit)).FirstOrDefault(t => (string?)t["sourceRef"] == problemKey) is { } task)
            {
                return task;
            }
            Assert.True(DateTimeOffset.UtcNow < deadline, $"no task for {problemKey} in the unit's inbox");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the bus has handed every published event to its subscribers (the outbox says so).</summary>
    private async Task AllDeliveredAsync()
    {
        var store = lake.App.Services.GetRequiredService<IOperationalStore>();
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            await using var connection = await store.OpenConnectionAsync(CancellationToken.None);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT COUNT(*) FROM kernel_event_deliveries WHERE delivered_at IS NULL";
            if (Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                return;
            }
            Assert.True(DateTimeOffset.UtcNow < deadline, "events still undelivered");
            await Task.Delay(50);
        }
    }
}

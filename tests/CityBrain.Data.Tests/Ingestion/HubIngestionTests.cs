using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityBrain.Data.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CityBrain.Data.Tests.Ingestion;

[Collection(DemoLakeCollection.Name)]
public sealed class HubIngestionTests(DemoLake lake)
{
    // Datasets listed through a paging interface: everything the department file holds arrives, duplicates included.
    public static TheoryData<string> Listed => new(
        "gaj.rk", "mzj.dibao", "mzj.disability", "mzj.deaths", "rsj.persons", "rsj.insurance", "rsj.units", "scjgj.qy", "swj.nsr",
        "wjw.births", "wjw.death_certificates", "ybj.setl", "jtj.vehicles", "jtj.parking");

    [Theory]
    [MemberData(nameof(Listed))]
    public void IngestDemoCity_ListedDataset_RowCountEqualsTheDepartmentFile(string dataset)
    {
        var ingested = lake.Ingested.Datasets.Single(d => d.Dataset == dataset);
        Assert.Equal(lake.FileRows(dataset), ingested.RowCount);
    }

    [Fact]
    public void IngestDemoCity_LookedUpDatasets_HoldTheKeysTheHubAccepts()
    {
        // One call per key: insured persons by every resident ID in gaj.rk (bad check digits are refused by the hub), institutions by setl's codes.
        var insured = lake.Ingested.Datasets.Single(d => d.Dataset == "ybj.insured");
        Assert.InRange(insured.RowCount, lake.FileRows("ybj.insured") * 9 / 10, lake.FileRows("ybj.insured"));
        Assert.True(lake.Ingested.Datasets.Single(d => d.Dataset == "ybj.fixmedins").RowCount > 0);
    }

    [Fact]
    public async Task Pull_KilledAfterOnePage_OldVersionStaysVisibleAndTheNextPullResumesWithoutDuplicates()
    {
        var ingestion = lake.App.Services.GetRequiredService<HubIngestion>();
        var access = await DataBootstrap.ConnectAsync(lake.App.Services, lake.BaseAddress, CancellationToken.None);
        var mapping = ingestion.Mapping("jtj.parking");
        using var kill = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ingestion.PullAsync(access, mapping, false, pages => { if (pages == 1) { kill.Cancel(); } }, kill.Token));

        var lakeStore = lake.App.Services.GetRequiredService<Lake.Lake>();
        await using (var connection = await lakeStore.OpenReadConnectionAsync(CancellationToken.None))
        {
            Assert.Equal(lake.FileRows("jtj.parking"), Lake.Lake.Scalar(connection, "SELECT count(*) FROM jtj_parking"));
            Assert.Equal(500L, Lake.Lake.Scalar(connection, "SELECT rows FROM lake_loads WHERE dataset = 'jtj.parking'"));
        }

        var resumed = await ingestion.PullAsync(access, mapping, false, null, CancellationToken.None);

        Assert.True(resumed.Resumed);
        Assert.Equal(lake.FileRows("jtj.parking"), resumed.RowCount);
        await using (var connection = await lakeStore.OpenReadConnectionAsync(CancellationToken.None))
        {
            Assert.Equal(lake.FileRows("jtj.parking"), Lake.Lake.Scalar(connection, "SELECT count(*) FROM jtj_parking"));
            Assert.Equal(0L, Lake.Lake.Scalar(connection, "SELECT count(*) FROM lake_loads"));
        }
    }

    [Fact]
    public async Task Pull_MappingNamesAMissingColumn_IsRefusedNamingFileEntryAndColumnAndNothingIsStaged()
    {
        var ingestion = lake.App.Services.GetRequiredService<HubIngestion>();
        var access = await DataBootstrap.ConnectAsync(lake.App.Services, lake.BaseAddress, CancellationToken.None);
        var shipped = ingestion.Mapping("gaj.rk");
        var misspelt = new SourceMapping
        {
            Dataset = shipped.Dataset, System = shipped.System, Interface = shipped.Interface, Items = shipped.Items, Paging = shipped.Paging,
            Subject = shipped.Subject, File = shipped.File,
            Standard = new() { ["person"] = new() { ["resident_id"] = "SFZH", ["name"] = "XINGMING" } },
        };
        var lakeStore = lake.App.Services.GetRequiredService<Lake.Lake>();
        long versionBefore;
        await using (var before = await lakeStore.OpenReadConnectionAsync(CancellationToken.None))
        {
            versionBefore = Lake.Versions.Current(before, "gaj.rk")!.Version;
        }

        var refused = await Assert.ThrowsAsync<CityBrain.Kernel.Errors.ValidationFailedException>(() => ingestion.PullAsync(access, misspelt, false, null, CancellationToken.None));

        Assert.Contains("Ingestion/Sources/gaj.yaml, dataset gaj.rk: standard.person.name names column XINGMING, which gaj.rk does not have", refused.Message, StringComparison.Ordinal);
        await using var connection = await lakeStore.OpenReadConnectionAsync(CancellationToken.None);
        Assert.Equal(0L, Lake.Lake.Scalar(connection, "SELECT count(*) FROM lake_loads WHERE dataset = 'gaj.rk'"));
        Assert.Equal(versionBefore, Lake.Versions.Current(connection, "gaj.rk")!.Version);
    }

    [Fact]
    public async Task Pull_Incremental_FetchesOnlyRecordsAfterTheWatermark()
    {
        var ingestion = lake.App.Services.GetRequiredService<HubIngestion>();
        var access = await DataBootstrap.ConnectAsync(lake.App.Services, lake.BaseAddress, CancellationToken.None);
        var before = await CurrentAsync("ybj.setl");
        await AddSettlementAtTheDepartmentAsync();

        var pulled = await ingestion.PullAsync(access, ingestion.Mapping("ybj.setl"), true, null, CancellationToken.None);

        Assert.Equal("incremental", pulled.Mode);
        Assert.Equal(1, pulled.AddedRows);
        Assert.Equal(before.RowCount + 1, pulled.RowCount);
    }

    [Fact]
    public async Task Scheduler_ClockPassesTheInterval_PullsTheScheduledDatasetIncrementallyAndNoOther()
    {
        var ingestion = lake.App.Services.GetRequiredService<HubIngestion>();
        await DataBootstrap.ConnectAsync(lake.App.Services, lake.BaseAddress, CancellationToken.None);
        var setl = await CurrentAsync("ybj.setl");
        var rk = await CurrentAsync("gaj.rk");
        await AddSettlementAtTheDepartmentAsync();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var scheduler = new IngestionScheduler(ingestion, Options.Create(new DataOptions { IngestEvery = TimeSpan.FromHours(1), Scheduled = ["ybj.setl"] }),
            clock, NullLogger<IngestionScheduler>.Instance);
        await scheduler.StartAsync(CancellationToken.None);

        // The city clock moves an hour at a time until the pull is committed (the scheduler's timer may start after the first move).
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var after = setl;
        while (after.Version == setl.Version && waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            clock.Advance(TimeSpan.FromHours(1));
            await Task.Delay(100, TestContext.Current.CancellationToken);
            after = await CurrentAsync("ybj.setl");
        }
        await scheduler.StopAsync(CancellationToken.None);

        Assert.True(after.Version > setl.Version, "no scheduled pull within 60 s");
        Assert.Equal("incremental", after.Mode);
        Assert.Equal(setl.RowCount + 1, (await CurrentAsync("ybj.setl")).RowCount);
        Assert.Equal(rk.Version, (await CurrentAsync("gaj.rk")).Version);
    }

    private async Task<Lake.DatasetVersion> CurrentAsync(string dataset)
    {
        await using var connection = await lake.App.Services.GetRequiredService<Lake.Lake>().OpenReadConnectionAsync(CancellationToken.None);
        return Lake.Versions.Current(connection, dataset)!;
    }

    /// <summary>A new settlement at the medical-insurance department, after every one loaded so far (so past the watermark).</summary>
    private async Task AddSettlementAtTheDepartmentAsync()
    {
        await using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(lake.DataDirectory, "departments", "ybj.db")}");
        await db.OpenAsync();
        await using var insert = db.CreateCommand();
        insert.CommandText = """
            INSERT INTO setl (setl_id, psn_no, fixmedins_code, setl_time, medfee_sumamt)
            SELECT 'S9' || printf('%09d', (SELECT count(*) FROM setl WHERE setl_id LIKE 'S9%') + 1), psn_no, fixmedins_code, setl_time, medfee_sumamt FROM setl LIMIT 1
            """;
        await insert.ExecuteNonQueryAsync();
    }
}

[Collection(DemoLakeCollection.Name)]
public sealed class SchemaDriftTests(DemoLake lake)
{
    [Fact]
    public async Task Pull_SourceStopsSendingAField_IsReportedAndNothingLoaded()
    {
        var services = lake.App.Services;
        var ingestion = services.GetRequiredService<HubIngestion>();
        var access = await DataBootstrap.ConnectAsync(services, lake.BaseAddress, CancellationToken.None);
        var mapping = ingestion.Mapping("scjgj.qy");
        var grants = services.GetRequiredService<CityBrain.Hub.Sharing.IGrantLookup>();
        var all = (await grants.FindActiveAsync(DataBootstrap.LakeSystem, mapping.Resource, DateTimeOffset.UtcNow, CancellationToken.None))!.Fields;
        // The records arrive without 'dom' from now on: the lake's grant is replaced by one that leaves it out.
        await RegrantAsync(mapping.Resource, [.. all.Where(f => f != "list.dom")]);

        var refused = await Assert.ThrowsAsync<CityBrain.Kernel.Errors.BusinessRuleViolationException>(() => ingestion.PullAsync(access, mapping, false, null, CancellationToken.None));

        Assert.Contains("missing fields [dom]", refused.Message, StringComparison.Ordinal);
        using var staff = lake.Client(DemoLake.Admin);
        var detail = (await staff.GetFromJsonAsync<JsonObject>("/api/data/catalog/scjgj.qy"))!;
        Assert.Single(detail["versions"]!.AsArray());
        Assert.Equal(lake.FileRows("scjgj.qy"), (long)detail["entry"]!["rowCount"]!);
        var drift = detail["drift"]!.AsArray().Single()!;
        Assert.Equal("dom", (string)drift["missing"]!);
        Assert.Equal("scjgj-registry/enterprises", (string)drift["source"]!);

        await RegrantAsync(mapping.Resource, [.. all]);
        var loaded = await ingestion.PullAsync(access, mapping, false, null, CancellationToken.None);
        Assert.Equal(lake.FileRows("scjgj.qy"), loaded.RowCount);
    }

    private async Task RegrantAsync(string resource, string[] fields)
    {
        var grants = lake.App.Services.GetRequiredService<CityBrain.Hub.Sharing.IGrantLookup>();
        var current = (await grants.FindActiveAsync(DataBootstrap.LakeSystem, resource, DateTimeOffset.UtcNow, CancellationToken.None))!;
        using var owner = lake.Client(new CityBrain.Hub.Security.Caller("operator@scjgj", CityBrain.Hub.Security.HubRoles.UnitOperator, "scjgj", null, null));
        using var revoked = await owner.DeleteAsync($"/api/hub/grants/{current.Id}?reason=test");
        Assert.True(revoked.IsSuccessStatusCode, await revoked.Content.ReadAsStringAsync());
        using var dsj = lake.Client(new CityBrain.Hub.Security.Caller("operator@dsj", CityBrain.Hub.Security.HubRoles.UnitOperator, "dsj", null, null));
        using var filed = await dsj.PostAsJsonAsync("/api/hub/requests", new
        {
            consumer = DataBootstrap.LakeSystem, resource, fields, purpose = DataBootstrap.Purpose, legalBasis = "test", days = 30,
        });
        Assert.True(filed.IsSuccessStatusCode, await filed.Content.ReadAsStringAsync());
    }
}

using CityBrain.Data.Quality;
using DuckDB.NET.Data;

namespace CityBrain.Data.Tests.Quality;

/// <summary>The scorecard arithmetic and the tasks on a dataset small enough to check by hand.</summary>
public sealed class ScorecardTests
{
    private const string Rules = """
        datasets:
          t:
            unit: u
            key: [rid]
            frequency: P1D
            fields:
              id: { required: true, unique: true }
              v: { min: 0 }
        """;

    private static async Task<DuckDBConnection> LakeAsync(CancellationToken cancellationToken)
    {
        var lake = new DuckDBConnection("DataSource=:memory:");
        await lake.OpenAsync(cancellationToken);
        await using var command = lake.CreateCommand();
        // r2 is negative and shares its id with r3; r4 has no id.
        command.CommandText = "CREATE TABLE t AS SELECT * FROM (VALUES ('r1', '1', '5'), ('r2', '2', '-1'), ('r3', '2', '3'), ('r4', NULL, '1')) v(rid, id, v)";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return lake;
    }

    [Fact]
    public async Task RunAsync_SmallDataset_ScoresByDimensionWeightsAndGroupsTasksPerRule()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var lake = await LakeAsync(cancellationToken);
        var asOf = new DateOnly(2025, 12, 31);

        var run = await new QualityEngine(QualityRuleSet.Parse(Rules, "t.yaml"), TimeProvider.System).RunAsync(lake,
            new QualityRunRequest(new Dictionary<string, string> { ["t"] = "t" }, asOf,
                new Dictionary<string, DateTimeOffset> { ["t"] = new(2025, 12, 31, 6, 0, 0, TimeSpan.FromHours(8)) }), cancellationToken);

        var card = Assert.Single(run.Datasets);
        Assert.Equal(0.75, card.Dimensions[QualityDimension.Completeness]);
        Assert.Equal(0.75, card.Dimensions[QualityDimension.Validity]);
        Assert.Equal(0.5, card.Dimensions[QualityDimension.Uniqueness]);
        Assert.Equal(1, card.Dimensions[QualityDimension.Timeliness]);
        // (20 × 0.75 + 25 × 0.75 + 15 × 0.5 + 10 × 1) / 70 × 100
        Assert.Equal(73.21, card.Score);
        var unit = Assert.Single(run.Units);
        Assert.Equal(("u", 73.21, 3L), (unit.Unit, unit.Score, unit.FailingRecords));
        Assert.Equal(
            [("id", "required", 1L, "r4"), ("id", "unique", 2L, "r2,r3"), ("v", "range", 1L, "r2")],
            run.Tasks.Select(t => (t.Field, t.Rule, t.FailingCount, string.Join(',', t.SampleKeys))));
    }

    [Fact]
    public async Task RunAsync_TwoRunsOnAFrozenClock_KeepDistinctIdsAndFindings()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var lake = await LakeAsync(cancellationToken);
        var engine = new QualityEngine(QualityRuleSet.Parse(Rules, "t.yaml"), new FrozenClock());
        var request = new QualityRunRequest(new Dictionary<string, string> { ["t"] = "t" }, new DateOnly(2025, 12, 31));

        var first = await engine.RunAsync(lake, request, cancellationToken);
        var second = await engine.RunAsync(lake, request, cancellationToken);

        Assert.NotEqual(first.RunId, second.RunId);
        Assert.Equal(first.Findings, (await QualityStore.FindingsAsync(lake, second.RunId, null, null, null, 0, 100, cancellationToken)).Count);
    }

    private sealed class FrozenClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2025, 12, 31, 10, 0, 0, TimeSpan.Zero);
    }

    [Fact]
    public async Task RunAsync_Cancelled_WritesNoFindings()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var lake = await LakeAsync(cancellationToken);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => new QualityEngine(QualityRuleSet.Parse(Rules, "t.yaml"), TimeProvider.System)
            .RunAsync(lake, new QualityRunRequest(new Dictionary<string, string> { ["t"] = "t" }, new DateOnly(2025, 12, 31)), cancelled.Token));

        await using var command = lake.CreateCommand();
        command.CommandText = "SELECT count(*) FROM information_schema.tables WHERE table_name = 'quality_findings'";
        var tables = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        if (tables > 0)
        {
            command.CommandText = "SELECT count(*) FROM quality_findings";
            Assert.Equal(0L, (long)(await command.ExecuteScalarAsync(cancellationToken))!);
        }
    }
}

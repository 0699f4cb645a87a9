using CityBrain.Data.Quality;
using DuckDB.NET.Data;

namespace CityBrain.Data.Tests.Quality;

/// <summary>
/// The rules measured against the demo city's planted dirt (truth/dirt.csv): every finding is mapped to the dirt kind its
/// rule detects and compared with the planted faults on (kind, dataset, record key, field).
/// </summary>
public sealed class PlantedDirtTests(GeneratedCity city)
{
    /// <summary>The kinds the rules can see. address-variant is judged by the address base (src/CityBrain.Data/Addresses), not here.</summary>
    public static readonly TheoryData<string> Kinds = new("bad-check-digit", "stale-death", "district-mismatch", "duplicate", "missing-field", "impossible-value");

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task RunAsync_DemoCity_FindsEachPlantedKindWithPrecisionAndRecallOf99Percent(string kind)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var (lake, run) = await city.QualityRunAsync();

        var (truePositives, falsePositives, falseNegatives) = await CompareAsync(lake, run.RunId, kind, cancellationToken);
        var found = truePositives + falsePositives;
        var planted = truePositives + falseNegatives;
        var precision = found == 0 ? 1 : (double)truePositives / found;
        var recall = planted == 0 ? 1 : (double)truePositives / planted;
        TestContext.Current.TestOutputHelper?.WriteLine($"{kind} ({city.Residents} residents): planted {planted}, found {found}, precision {precision:P2}, recall {recall:P2}");

        Assert.True(planted > 0, $"the city has no planted {kind} to measure against");
        Assert.True(precision >= 0.99 && recall >= 0.99,
            $"{kind}: precision {precision:P2}, recall {recall:P2} (planted {planted}, found {found}); " +
            $"false positives: {string.Join("; ", await SampleAsync(lake, run.RunId, kind, falsePositivesOnly: true, cancellationToken))}; " +
            $"missed: {string.Join("; ", await SampleAsync(lake, run.RunId, kind, falsePositivesOnly: false, cancellationToken))}");
    }

    [Fact]
    public async Task RunAsync_DemoCity_EveryReferenceResolves()
    {
        // Settlements name known institutions and parking names known vehicles: the generator plants no broken references.
        var cancellationToken = TestContext.Current.CancellationToken;
        var (lake, run) = await city.QualityRunAsync();

        var references = run.Datasets.SelectMany(d => d.Rules).Where(r => r.Dimension == QualityDimension.Integrity).ToList();
        Assert.Equal(2, references.Count);
        Assert.All(references, r => Assert.Equal(0, r.Failed));
    }

    private const string DirtKindOfRule = """
        CASE
          WHEN rule IN ('format:resident-id', 'format:uscc') THEN 'bad-check-digit'
          WHEN rule = 'required' THEN 'missing-field'
          WHEN rule = 'unique' THEN 'duplicate'
          WHEN rule = 'consistency:death' THEN 'stale-death'
          WHEN rule = 'consistency:district' THEN 'district-mismatch'
          WHEN rule IN ('range', 'not-after-as-of', 'values') OR rule LIKE 'check:%' OR rule LIKE 'format:%' THEN 'impossible-value'
        END
        """;

    private string Sets(string runId, string kind) => $"""
        found AS (
          SELECT DISTINCT dataset, key, CASE WHEN rule = 'unique' THEN '' ELSE field END AS field
          FROM quality_findings WHERE run_id = '{runId}' AND {DirtKindOfRule} = '{kind}'),
        planted AS (
          SELECT DISTINCT department || '_' || replace(file, '.csv', '') AS dataset, key, CASE WHEN kind = 'duplicate' THEN '' ELSE coalesce(field, '') END AS field
          FROM read_csv('{Path.Combine(city.Directory, "truth", "dirt.csv")}', header = true, all_varchar = true) WHERE kind = '{kind}')
        """;

    private async Task<(long, long, long)> CompareAsync(DuckDBConnection lake, string runId, string kind, CancellationToken cancellationToken)
    {
        await using var command = lake.CreateCommand();
        command.CommandText = $"""
            WITH {Sets(runId, kind)}
            SELECT (SELECT count(*) FROM (SELECT * FROM found INTERSECT SELECT * FROM planted)),
                   (SELECT count(*) FROM (SELECT * FROM found EXCEPT SELECT * FROM planted)),
                   (SELECT count(*) FROM (SELECT * FROM planted EXCEPT SELECT * FROM found))
            """;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private async Task<List<string>> SampleAsync(DuckDBConnection lake, string runId, string kind, bool falsePositivesOnly, CancellationToken cancellationToken)
    {
        await using var command = lake.CreateCommand();
        command.CommandText = falsePositivesOnly
            ? $"WITH {Sets(runId, kind)} SELECT * FROM (SELECT * FROM found EXCEPT SELECT * FROM planted) ORDER BY ALL LIMIT 20"
            : $"WITH {Sets(runId, kind)} SELECT * FROM (SELECT * FROM planted EXCEPT SELECT * FROM found) ORDER BY ALL LIMIT 20";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add($"{reader.GetString(0)} {reader.GetString(1)} {reader.GetString(2)}");
        }
        return rows;
    }
}

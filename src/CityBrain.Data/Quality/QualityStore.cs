using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;

namespace CityBrain.Data.Quality;

/// <summary>
/// The quality tables, kept in the same DuckDB database as the datasets they judge (the lake): findings can be as many
/// as the records, and are joined back to the datasets. <c>quality_findings</c> holds every failing record of every
/// run; <c>quality_runs</c> each run with its scorecards and rectification tasks as JSON.
/// </summary>
internal static class QualityStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// The quality tables; the lake creates them when it opens, the engine on any other connection it is given.
    /// <c>quality_scores</c> is each run's score per dataset and per owning unit, for the catalog to show and sort by.
    /// Times are ISO 8601 in UTC (they sort as text and keep every digit the clock gave).
    /// </summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS quality_findings(
          run_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, unit VARCHAR NOT NULL, key VARCHAR, field VARCHAR NOT NULL,
          rule VARCHAR NOT NULL, dimension VARCHAR NOT NULL, value VARCHAR);
        CREATE TABLE IF NOT EXISTS quality_runs(run_id VARCHAR PRIMARY KEY, started_at VARCHAR NOT NULL, as_of DATE NOT NULL, run_json VARCHAR NOT NULL);
        CREATE TABLE IF NOT EXISTS quality_scores(
          run_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, unit VARCHAR NOT NULL, score DOUBLE NOT NULL, unit_score DOUBLE NOT NULL,
          scored_at VARCHAR NOT NULL, PRIMARY KEY (run_id, dataset));
        """;

    public static Task EnsureSchemaAsync(DuckDBConnection connection, CancellationToken cancellationToken) =>
        QualityEngine.ExecuteAsync(connection, Schema, cancellationToken);

    /// <summary>The run with its scorecards and tasks, and one score row per dataset (with its unit's score).</summary>
    public static async Task SaveRunAsync(DuckDBConnection connection, QualityRun run, CancellationToken cancellationToken)
    {
        await QualityEngine.ExecuteAsync(connection, $"""
            INSERT INTO quality_runs VALUES ({QualitySql.Literal(run.RunId)}, {QualitySql.Literal(run.StartedAt.ToString("O", CultureInfo.InvariantCulture))},
              {QualitySql.Date(run.AsOf)}, {QualitySql.Literal(JsonSerializer.Serialize(run, Json))})
            """, cancellationToken);
        var units = run.Units.ToDictionary(u => u.Unit, u => u.Score, StringComparer.Ordinal);
        foreach (var d in run.Datasets)
        {
            await QualityEngine.ExecuteAsync(connection, $"""
                INSERT INTO quality_scores VALUES ({QualitySql.Literal(run.RunId)}, {QualitySql.Literal(d.Dataset)}, {QualitySql.Literal(d.Unit)},
                  {d.Score.ToString("R", CultureInfo.InvariantCulture)}, {units[d.Unit].ToString("R", CultureInfo.InvariantCulture)},
                  {QualitySql.Literal(run.StartedAt.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture))})
                """, cancellationToken);
        }
    }

    /// <summary>Each dataset's latest score (dataset as the lake names its view), with its unit's score and the run's time.</summary>
    public static async Task<IReadOnlyDictionary<string, DatasetQuality>> LatestScoresAsync(DuckDBConnection connection, CancellationToken cancellationToken)
    {
        var scores = new Dictionary<string, DatasetQuality>(StringComparer.Ordinal);
        await foreach (var r in QualityEngine.QueryAsync(connection, """
            SELECT dataset, run_id, score, unit, unit_score, scored_at FROM quality_scores
            QUALIFY row_number() OVER (PARTITION BY dataset ORDER BY scored_at DESC, run_id DESC) = 1
            """, cancellationToken))
        {
            scores[r.GetString(0)] = new DatasetQuality(r.GetString(1), r.GetDouble(2), r.GetString(3), r.GetDouble(4),
                DateTimeOffset.Parse(r.GetString(5), CultureInfo.InvariantCulture));
        }
        return scores;
    }

    /// <summary>The run with this id, or the latest run when <paramref name="runId"/> is null; null when there is none.</summary>
    public static async Task<QualityRun?> GetRunAsync(DuckDBConnection connection, string? runId, CancellationToken cancellationToken)
    {
        var where = runId is null ? "" : $"WHERE run_id = {QualitySql.Literal(runId)}";
        await foreach (var row in QualityEngine.QueryAsync(connection, $"SELECT run_json FROM quality_runs {where} ORDER BY started_at DESC, run_id DESC LIMIT 1", cancellationToken))
        {
            return JsonSerializer.Deserialize<QualityRun>(row.GetString(0), Json);
        }
        return null;
    }

    /// <summary>The failing records of a run, filtered, in a stable order.</summary>
    public static async Task<IReadOnlyList<QualityFinding>> FindingsAsync(
        DuckDBConnection connection, string runId, string? unit, string? dataset, string? rule, int offset, int limit, CancellationToken cancellationToken)
    {
        var filters = new List<string> { $"run_id = {QualitySql.Literal(runId)}" };
        if (unit is not null)
        {
            filters.Add($"unit = {QualitySql.Literal(unit)}");
        }
        if (dataset is not null)
        {
            filters.Add($"dataset = {QualitySql.Literal(dataset)}");
        }
        if (rule is not null)
        {
            filters.Add($"rule = {QualitySql.Literal(rule)}");
        }
        var findings = new List<QualityFinding>();
        await foreach (var r in QualityEngine.QueryAsync(connection, $"""
            SELECT dataset, unit, key, field, rule, dimension, value FROM quality_findings WHERE {string.Join(" AND ", filters)}
            ORDER BY dataset, rule, field, key LIMIT {limit} OFFSET {offset}
            """, cancellationToken))
        {
            findings.Add(new QualityFinding(r.GetString(0), r.GetString(1), r.IsDBNull(2) ? "" : r.GetString(2), r.GetString(3), r.GetString(4),
                QualityEngine.Parse(r.GetString(5)), r.IsDBNull(6) ? null : r.GetString(6)));
        }
        return findings;
    }
}

/// <summary>A dataset's latest quality score, its owning unit's score in the same run, and when that run started.</summary>
internal sealed record DatasetQuality(string RunId, double Score, string Unit, double UnitScore, DateTimeOffset ScoredAt);

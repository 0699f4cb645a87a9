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

    public static async Task EnsureSchemaAsync(DuckDBConnection connection, CancellationToken cancellationToken)
    {
        await QualityEngine.ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS quality_findings(
              run_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, unit VARCHAR NOT NULL, key VARCHAR, field VARCHAR NOT NULL,
              rule VARCHAR NOT NULL, dimension VARCHAR NOT NULL, value VARCHAR)
            """, cancellationToken);
        await QualityEngine.ExecuteAsync(connection, """
            CREATE TABLE IF NOT EXISTS quality_runs(run_id VARCHAR PRIMARY KEY, started_at VARCHAR NOT NULL, as_of DATE NOT NULL, run_json VARCHAR NOT NULL)
            """, cancellationToken);
    }

    public static Task SaveRunAsync(DuckDBConnection connection, QualityRun run, CancellationToken cancellationToken) =>
        QualityEngine.ExecuteAsync(connection, $"""
            INSERT INTO quality_runs VALUES ({QualitySql.Literal(run.RunId)}, {QualitySql.Literal(run.StartedAt.ToString("O", CultureInfo.InvariantCulture))},
              {QualitySql.Date(run.AsOf)}, {QualitySql.Literal(JsonSerializer.Serialize(run, Json))})
            """, cancellationToken);

    /// <summary>The run with this id, or the latest run when <paramref name="runId"/> is null; null when there is none.</summary>
    public static async Task<QualityRun?> GetRunAsync(DuckDBConnection connection, string? runId, CancellationToken cancellationToken)
    {
        await EnsureSchemaAsync(connection, cancellationToken);
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

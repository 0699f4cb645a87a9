using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;

namespace CityBrain.Data.Quality;

/// <summary>
/// Runs the quality rules over a DuckDB connection on which each dataset is a view (the lake's, or any table with the
/// department's column names), writes every failing record and the run's scorecards to the quality tables
/// (<see cref="QualityStore"/>) and answers the run.
/// </summary>
internal sealed class QualityEngine(QualityRuleSet rules, TimeProvider time)
{
    /// <summary>Weights of the dimensions in a dataset's score; dimensions with no rule for a dataset drop out and the rest are rescaled.</summary>
    public static readonly IReadOnlyDictionary<QualityDimension, double> Weights = new Dictionary<QualityDimension, double>
    {
        [QualityDimension.Completeness] = 20,
        [QualityDimension.Validity] = 25,
        [QualityDimension.Uniqueness] = 15,
        [QualityDimension.Integrity] = 10,
        [QualityDimension.Consistency] = 20,
        [QualityDimension.Timeliness] = 10,
    };

    private const int SampleKeys = 5;

    public async Task<QualityRun> RunAsync(DuckDBConnection connection, QualityRunRequest request, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        var runId = "q" + started.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture);
        await QualityStore.EnsureSchemaAsync(connection, cancellationToken);
        // Two runs in the same millisecond (a frozen test clock) get distinct ids.
        var sameMillisecond = await ScalarAsync(connection, $"SELECT count(*) FROM quality_runs WHERE starts_with(run_id, {QualitySql.Literal(runId)})", cancellationToken);
        runId += sameMillisecond == 0 ? "" : "-" + sameMillisecond.ToString(CultureInfo.InvariantCulture);
        foreach (var statement in QualitySql.Prelude(ReferenceData.Streets, ReferenceData.Districts))
        {
            await ExecuteAsync(connection, statement, cancellationToken);
        }

        var (compiled, skipped) = QualityRuleCompiler.Compile(rules, request);
        var datasets = rules.Datasets.Where(d => request.Views.ContainsKey(d.Key)).OrderBy(d => d.Key, StringComparer.Ordinal).ToList();
        var rows = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (code, _) in datasets)
        {
            rows[code] = await ScalarAsync(connection, $"SELECT count(*) FROM {QualitySql.Quote(request.Views[code])}", cancellationToken);
        }

        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            foreach (var rule in compiled)
            {
                await ExecuteAsync(connection, $"""
                    INSERT INTO quality_findings
                    SELECT {QualitySql.Literal(runId)}, {QualitySql.Literal(rule.Dataset)}, {QualitySql.Literal(rule.Unit)}, f.key,
                           {QualitySql.Literal(rule.Field)}, {QualitySql.Literal(rule.Rule)}, {QualitySql.Literal(Name(rule.Dimension))}, f.value
                    FROM ({rule.Sql}) f
                    """, cancellationToken);
            }
            foreach (var (code, dataset) in datasets)
            {
                if (!IsFresh(dataset, code, request))
                {
                    await ExecuteAsync(connection, $"""
                        INSERT INTO quality_findings VALUES ({QualitySql.Literal(runId)}, {QualitySql.Literal(code)}, {QualitySql.Literal(dataset.Unit)}, '', '',
                          'timeliness', 'timeliness', {QualitySql.Literal(request.LastUpdated![code].ToString("O", CultureInfo.InvariantCulture))})
                        """, cancellationToken);
                }
            }
            await transaction.CommitAsync(cancellationToken);
        }

        // Failing records per rule and per dimension (a record failing two rules of a dimension counts once there).
        var failedByRule = new Dictionary<(string Dataset, string Field, string Rule), long>();
        await foreach (var r in QueryAsync(connection, $"SELECT dataset, field, rule, count(DISTINCT key) FROM quality_findings WHERE run_id = {QualitySql.Literal(runId)} GROUP BY ALL", cancellationToken))
        {
            failedByRule[(r.GetString(0), r.GetString(1), r.GetString(2))] = r.GetInt64(3);
        }
        var failedByDimension = new Dictionary<(string Dataset, string Dimension), long>();
        await foreach (var r in QueryAsync(connection, $"SELECT dataset, dimension, count(DISTINCT key) FROM quality_findings WHERE run_id = {QualitySql.Literal(runId)} GROUP BY ALL", cancellationToken))
        {
            failedByDimension[(r.GetString(0), r.GetString(1))] = r.GetInt64(2);
        }
        var failingRecords = new Dictionary<string, long>(StringComparer.Ordinal);
        await foreach (var r in QueryAsync(connection, $"SELECT dataset, count(DISTINCT key) FROM quality_findings WHERE run_id = {QualitySql.Literal(runId)} AND rule <> 'timeliness' GROUP BY ALL", cancellationToken))
        {
            failingRecords[r.GetString(0)] = r.GetInt64(1);
        }

        var scorecards = new List<DatasetScorecard>();
        foreach (var (code, dataset) in datasets)
        {
            var ruleScores = compiled.Where(c => c.Dataset == code)
                .Select(c => new RuleScore(c.Field, c.Rule, c.Dimension, rows[code], failedByRule.GetValueOrDefault((code, c.Field, c.Rule))))
                .ToList();
            if (IsTimelinessJudged(dataset, code, request))
            {
                ruleScores.Add(new RuleScore("", "timeliness", QualityDimension.Timeliness, 1, IsFresh(dataset, code, request) ? 0 : 1));
            }
            var dimensions = ruleScores.GroupBy(s => s.Dimension).ToDictionary(
                g => g.Key,
                g => g.Key == QualityDimension.Timeliness
                    ? g.Min(s => s.PassRate)
                    : rows[code] == 0 ? 1 : 1 - (double)failedByDimension.GetValueOrDefault((code, Name(g.Key))) / rows[code]);
            var weight = dimensions.Keys.Sum(d => Weights[d]);
            var score = weight == 0 ? 100 : Math.Round(100 * dimensions.Sum(d => Weights[d.Key] * Math.Max(0, d.Value)) / weight, 2);
            scorecards.Add(new DatasetScorecard(code, dataset.Unit, rows[code], score, dimensions, ruleScores));
        }
        var units = scorecards.GroupBy(s => s.Unit).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var total = g.Sum(s => s.Rows);
            var score = total == 0 ? g.Average(s => s.Score) : g.Sum(s => s.Score * s.Rows) / total;
            return new UnitScorecard(g.Key, [.. g.Select(s => s.Dataset)], total, Math.Round(score, 2), g.Sum(s => failingRecords.GetValueOrDefault(s.Dataset)));
        }).ToList();

        var tasks = new List<RectificationTask>();
        await foreach (var r in QueryAsync(connection, $"""
            SELECT unit, dataset, field, rule, dimension, count(DISTINCT key), list(DISTINCT key ORDER BY key)[1:{SampleKeys}]
            FROM quality_findings WHERE run_id = {QualitySql.Literal(runId)}
            GROUP BY ALL ORDER BY unit, dataset, field, rule
            """, cancellationToken))
        {
            var keys = ((System.Collections.IEnumerable)r.GetValue(6)).Cast<object?>().Select(k => k?.ToString() ?? "").ToList();
            tasks.Add(new RectificationTask(runId, r.GetString(0), r.GetString(1), r.GetString(2), r.GetString(3), Parse(r.GetString(4)), r.GetInt64(5), keys));
        }

        var findings = await ScalarAsync(connection, $"SELECT count(*) FROM quality_findings WHERE run_id = {QualitySql.Literal(runId)}", cancellationToken);
        var run = new QualityRun(runId, started, request.AsOf, stopwatch.Elapsed, findings, scorecards, units, tasks, skipped);
        await QualityStore.SaveRunAsync(connection, run, cancellationToken);
        return run;
    }

    private static bool IsTimelinessJudged(DatasetRules dataset, string code, QualityRunRequest request) =>
        dataset.Frequency is not null && request.LastUpdated?.ContainsKey(code) == true;

    /// <summary>Fresh when the current version is no older than the declared frequency at the end of the as-of day.</summary>
    private static bool IsFresh(DatasetRules dataset, string code, QualityRunRequest request)
    {
        if (!IsTimelinessJudged(dataset, code, request) || !QualityRuleSet.TryParseFrequency(dataset.Frequency!, out var frequency))
        {
            return true;
        }
        var endOfAsOf = new DateTimeOffset(request.AsOf.ToDateTime(TimeOnly.MaxValue), TimeSpan.FromHours(8));
        return endOfAsOf - request.LastUpdated![code] <= frequency;
    }

    internal static string Name(QualityDimension dimension) => JsonSerializer.Serialize(dimension).Trim('"');

    internal static QualityDimension Parse(string dimension) => JsonSerializer.Deserialize<QualityDimension>($"\"{dimension}\"");

    internal static async Task ExecuteAsync(DuckDBConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var registration = cancellationToken.Register(command.Cancel);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static async Task<long> ScalarAsync(DuckDBConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var registration = cancellationToken.Register(command.Cancel);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
    }

    internal static async IAsyncEnumerable<System.Data.Common.DbDataReader> QueryAsync(
        DuckDBConnection connection, string sql, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var registration = cancellationToken.Register(command.Cancel);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return reader;
        }
    }
}

using CityBrain.Data.Classification;
using DuckDB.NET.Data;
using Microsoft.Extensions.Options;

namespace CityBrain.Data.Quality;

/// <summary>
/// Runs quality checks and classification on the lake for the API: one operation at a time on the lake file (DuckDB
/// has a single writer), the datasets found as the lake's views.
/// </summary>
internal sealed class QualityService(IOptions<QualityOptions> options, TimeProvider time) : IDisposable
{
    private static readonly TimeZoneInfo CityTime = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
    private readonly SemaphoreSlim _lake = new(1, 1);
    private readonly Lazy<QualityRuleSet> _rules = new(() => LoadRules(options.Value));

    public QualityRuleSet Rules => _rules.Value;

    /// <summary>The demo rules plus the city's own files; a file that is missing or does not parse stops the start.</summary>
    public static QualityRuleSet LoadRules(QualityOptions options)
    {
        var rules = QualityRuleSet.DemoCity();
        foreach (var file in options.RuleFiles)
        {
            rules.Merge(QualityRuleSet.Parse(File.ReadAllText(file), file));
        }
        return rules;
    }

    public DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(time.GetUtcNow(), CityTime).DateTime);

    public Task<QualityRun> RunAsync(DateOnly? asOf, IReadOnlyDictionary<string, DateTimeOffset>? lastUpdated, CancellationToken cancellationToken) =>
        WithLakeAsync(async lake =>
        {
            var views = await DatasetViewsAsync(lake, cancellationToken);
            var request = new QualityRunRequest(views, asOf ?? Today, lastUpdated);
            return await new QualityEngine(Rules, time).RunAsync(lake, request, cancellationToken);
        }, cancellationToken);

    public Task<QualityRun?> GetRunAsync(string? runId, CancellationToken cancellationToken) =>
        WithLakeAsync(lake => QualityStore.GetRunAsync(lake, runId, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<QualityFinding>> FindingsAsync(string runId, string? unit, string? dataset, string? rule, int offset, int limit, CancellationToken cancellationToken) =>
        WithLakeAsync(lake => QualityStore.FindingsAsync(lake, runId, unit, dataset, rule, offset, limit, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<ColumnClassification>> ProposeAsync(string dataset, CancellationToken cancellationToken) =>
        WithLakeAsync(async lake =>
        {
            var views = await DatasetViewsAsync(lake, cancellationToken);
            return views.TryGetValue(dataset, out var view)
                ? await ClassificationStore.ProposeAsync(lake, dataset, view, cancellationToken)
                : throw new Kernel.Errors.NotFoundException($"the lake has no dataset '{dataset}'");
        }, cancellationToken);

    public Task<IReadOnlyList<ColumnClassification>> ClassificationsAsync(string dataset, CancellationToken cancellationToken) =>
        WithLakeAsync(lake => ClassificationStore.ListAsync(lake, dataset, cancellationToken), cancellationToken);

    public Task<ColumnClassification> ConfirmAsync(string dataset, string column, ClassificationConfirmation confirmation, string by, CancellationToken cancellationToken) =>
        WithLakeAsync(lake => ClassificationStore.ConfirmAsync(lake, dataset, column, confirmation, by, cancellationToken), cancellationToken);

    /// <summary>The unit that owns a dataset: as the rules declare it, else the code's prefix (gaj_rk → gaj).</summary>
    public string UnitOf(string dataset) => Rules.Datasets.TryGetValue(dataset, out var declared) ? declared.Unit : dataset.Split('_')[0];

    /// <summary>Every view or table of the lake's main schema is a dataset of that name.</summary>
    private static async Task<Dictionary<string, string>> DatasetViewsAsync(DuckDBConnection lake, CancellationToken cancellationToken)
    {
        var views = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (var row in QualityEngine.QueryAsync(lake,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_name NOT LIKE 'quality\\_%' ESCAPE '\\' AND table_name NOT LIKE 'classification\\_%' ESCAPE '\\'",
            cancellationToken))
        {
            var name = row.GetString(0);
            if (QualitySql.IsIdentifier(name))
            {
                views[name] = name;
            }
        }
        return views;
    }

    private async Task<T> WithLakeAsync<T>(Func<DuckDBConnection, Task<T>> action, CancellationToken cancellationToken)
    {
        await _lake.WaitAsync(cancellationToken);
        try
        {
            await using var lake = new DuckDBConnection($"DataSource={options.Value.LakePath}");
            await lake.OpenAsync(cancellationToken);
            return await action(lake);
        }
        finally
        {
            _lake.Release();
        }
    }

    public void Dispose() => _lake.Dispose();
}

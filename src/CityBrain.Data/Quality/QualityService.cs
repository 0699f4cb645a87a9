using System.Text.Json;
using CityBrain.Data.Classification;
using CityBrain.Data.Lake;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Messaging.Contracts;
using DuckDB.NET.Data;
using Microsoft.Extensions.Options;

namespace CityBrain.Data.Quality;

/// <summary>
/// Runs quality checks and classification on the lake for the API: writes (runs, proposals, confirmations) one at a
/// time through the lake's writer (DuckDB has a single writer), reads on their own connections; the datasets are the
/// lake's views. A confirmation is audited: it changes what leaves the hub masked (<see cref="Disclosure"/>). Each
/// problem a run finds is published for the owning unit's rectification task.
/// </summary>
internal sealed class QualityService(
    Lake.Lake lake, IRegistryReader registry, IAuditLog audit, IEventPublisher events, IOptions<QualityOptions> options, TimeProvider time)
{
    private static readonly TimeZoneInfo CityTime = TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
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

    /// <summary>
    /// Runs the rules over every dataset view. Timeliness is judged against when each dataset's current version was
    /// loaded into the lake, unless <paramref name="lastUpdated"/> says otherwise for a dataset.
    /// </summary>
    public async Task<QualityRun> RunAsync(DateOnly? asOf, IReadOnlyDictionary<string, DateTimeOffset>? lastUpdated, CancellationToken cancellationToken)
    {
        var run = await lake.WriteAsync(async connection =>
        {
            var views = await DatasetViewsAsync(connection, cancellationToken);
            var loaded = Versions.Latest(connection).ToDictionary(v => Lake.Lake.ViewName(v.Dataset), v => v.LoadedAt, StringComparer.Ordinal);
            foreach (var (dataset, at) in lastUpdated ?? new Dictionary<string, DateTimeOffset>())
            {
                loaded[dataset] = at;
            }
            var request = new QualityRunRequest(views, asOf ?? Today, loaded);
            return await new QualityEngine(Rules, time).RunAsync(connection, request, cancellationToken);
        }, cancellationToken);
        await PublishProblemsAsync(run, cancellationToken);
        return run;
    }

    /// <summary>
    /// One <see cref="QualityProblemFound"/> per problem (unit, dataset, field, rule) for the cockpit to dispatch as a
    /// rectification task; the sample record keys leave with their personal parts masked, as their fields' levels say.
    /// </summary>
    private async Task PublishProblemsAsync(QualityRun run, CancellationToken cancellationToken)
    {
        var datasets = (await registry.ListDatasetsAsync(cancellationToken)).ToDictionary(d => Lake.Lake.ViewName(d.Code), StringComparer.Ordinal);
        IReadOnlyDictionary<string, Disclosure> disclosures;
        await using (var connection = await lake.OpenReadConnectionAsync(cancellationToken))
        {
            disclosures = await Disclosure.LoadAllAsync(connection, [.. datasets.Values], cancellationToken);
        }
        foreach (var task in run.Tasks)
        {
            var keyColumns = Rules.Datasets.TryGetValue(task.Dataset, out var declared) ? declared.Key : [];
            var disclosure = datasets.TryGetValue(task.Dataset, out var dataset) ? disclosures[dataset.Code] : null;
            await events.PublishAsync(new QualityProblemFound(
                $"quality:{task.Dataset}:{task.Field}:{task.Rule}", run.RunId, task.Dataset, task.Unit, task.Field, task.Rule, QualityEngine.Name(task.Dimension),
                task.FailingCount, [.. task.SampleKeys.Select(k => MaskKey(k, keyColumns, disclosure))],
                $"/api/data/quality/runs/{run.RunId}/findings?dataset={task.Dataset}&rule={Uri.EscapeDataString(task.Rule)}", run.StartedAt), cancellationToken);
        }
    }

    /// <summary>A record key (composite ones joined by '|') with each personal part masked; a dataset the registry does not describe is masked throughout.</summary>
    private static string MaskKey(string key, IReadOnlyList<string> columns, Disclosure? disclosure)
    {
        var parts = columns.Count > 1 ? key.Split('|') : [key];
        return string.Join('|', parts.Select((part, i) => disclosure is not null && i < columns.Count
            ? disclosure.PersonalMasked(columns[i], part)
            : Masking.Mask(part, null)));
    }

    public async Task<QualityRun?> GetRunAsync(string? runId, CancellationToken cancellationToken)
    {
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        return await QualityStore.GetRunAsync(connection, runId, cancellationToken);
    }

    public async Task<IReadOnlyList<QualityFinding>> FindingsAsync(string runId, string? unit, string? dataset, string? rule, int offset, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        return await QualityStore.FindingsAsync(connection, runId, unit, dataset, rule, offset, limit, cancellationToken);
    }

    public Task<IReadOnlyList<ColumnClassification>> ProposeAsync(string dataset, CancellationToken cancellationToken) =>
        lake.WriteAsync(async connection =>
        {
            var views = await DatasetViewsAsync(connection, cancellationToken);
            return views.TryGetValue(dataset, out var view)
                ? await ClassificationStore.ProposeAsync(connection, dataset, view, cancellationToken)
                : throw new Kernel.Errors.NotFoundException($"the lake has no dataset '{dataset}'");
        }, cancellationToken);

    public async Task<IReadOnlyList<ColumnClassification>> ClassificationsAsync(string dataset, CancellationToken cancellationToken)
    {
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        return await ClassificationStore.ListAsync(connection, dataset, cancellationToken);
    }

    /// <summary>The owner confirms or corrects a column's levels; in force from the next query or export, and audited (from, to, by).</summary>
    public async Task<ColumnClassification> ConfirmAsync(string dataset, string column, ClassificationConfirmation confirmation, Caller owner, CancellationToken cancellationToken)
    {
        var (before, confirmed) = await lake.WriteAsync(async connection =>
        {
            var before = (await ClassificationStore.ListAsync(connection, dataset, cancellationToken)).FirstOrDefault(c => c.Column == column);
            return (before, await ClassificationStore.ConfirmAsync(connection, dataset, column, confirmation, owner.Name, time.GetUtcNow(), cancellationToken));
        }, cancellationToken);
        var code = (await registry.ListDatasetsAsync(cancellationToken)).FirstOrDefault(d => Lake.Lake.ViewName(d.Code) == dataset)?.Code ?? dataset;
        await audit.AppendAsync(new AuditEntry("data.classification", owner.AuditName, "dataset:" + code, Detail: new Dictionary<string, string?>
        {
            ["column"] = column,
            ["personalLevel"] = Name(confirmed.PersonalLevel),
            ["previousPersonalLevel"] = before is { Confirmed: true } ? Name(before.PersonalLevel) : null,
            ["dataLevel"] = Name(confirmed.DataLevel),
            ["mask"] = confirmed.Mask,
        }), cancellationToken);
        return confirmed;
    }

    /// <summary>The unit that owns a dataset: as the rules declare it, else the code's prefix (gaj_rk → gaj).</summary>
    public string UnitOf(string dataset) => Rules.Datasets.TryGetValue(dataset, out var declared) ? declared.Unit : dataset.Split('_')[0];

    private static string Name<T>(T level) => JsonSerializer.Serialize(level).Trim('"');

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
}

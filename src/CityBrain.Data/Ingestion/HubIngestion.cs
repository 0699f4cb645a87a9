using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Data.Lake;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using DuckDB.NET.Data;

namespace CityBrain.Data.Ingestion;

/// <summary>What one pull did.</summary>
internal sealed record PullResult(string Dataset, long Version, long RowCount, long AddedRows, string Mode, bool Resumed);

/// <summary>
/// The data bureau's access to the hub as a consumer: a client for <c>/hub/call</c> carrying its system's token
/// and the purpose its grants were given for.
/// </summary>
internal sealed class HubSourceAccess(HttpClient client, string system, string purpose)
{
    public HttpClient Client { get; } = client;

    public string System { get; } = system;

    public string Purpose { get; } = purpose;
}

/// <summary>
/// Pulls datasets through the hub's gateway (归集) as the declarative mappings say: full or incremental from the
/// last version's watermark, page by page into a hidden version table, resuming where a killed pull stopped,
/// refusing a source whose records changed shape.
/// </summary>
internal sealed class HubIngestion(Lake.Lake lake, IRegistryReader registry, IGrantLookup grants, IAuditLog audit, TimeProvider time)
{
    public const int LookupBatch = 100;

    public IReadOnlyList<SourceMapping> Mappings { get; } = SourceMappings.LoadEmbedded();

    /// <summary>The lake's connection to the hub, once <see cref="DataBootstrap"/> has made it; scheduled pulls use it.</summary>
    public HubSourceAccess? Access { get; set; }

    public SourceMapping Mapping(string dataset) =>
        Mappings.SingleOrDefault(m => m.Dataset == dataset) ?? throw new NotFoundException($"no source mapping for dataset '{dataset}'");

    /// <param name="afterPage">Called after each committed page (the number of pages so far); tests and progress use it.</param>
    public async Task<PullResult> PullAsync(HubSourceAccess access, SourceMapping mapping, bool incremental, Action<int>? afterPage, CancellationToken cancellationToken)
    {
        var dataset = await registry.FindDatasetAsync(mapping.Dataset, cancellationToken)
            ?? throw new NotFoundException($"dataset '{mapping.Dataset}' is not in the registry");
        var grant = await grants.FindActiveAsync(access.System, mapping.Resource, time.GetUtcNow(), cancellationToken)
            ?? throw new ForbiddenException($"system '{access.System}' holds no active grant for {mapping.Resource}");

        var result = await lake.WriteAsync(async connection =>
        {
            var current = Versions.Current(connection, mapping.Dataset);
            var columns = current?.Columns ?? [.. dataset.Fields.Select(f => f.Name)];
            // A mapping naming a field the dataset lacks is refused before anything is fetched or staged.
            StandardViews.Check(mapping, columns);
            var mode = incremental && current is not null && mapping.Paging.SupportsIncremental ? "incremental" : "full";
            var load = Versions.Pending(connection, mapping.Dataset);
            var resumed = load is not null && load.Mode == mode;
            if (load is not null && !resumed)
            {
                Versions.Abandon(connection, load);
            }
            if (!resumed)
            {
                load = Versions.Start(connection, mapping.Dataset, columns, mode, mode == "incremental" ? current : null, time.GetUtcNow());
            }
            var state = load!.State is { } saved ? JsonSerializer.Deserialize<Dictionary<string, string?>>(saved)! : InitialState(mapping, mode == "incremental" ? current : null);
            var keys = mapping.Paging.Style == "lookup" ? LookupKeys(connection, mapping) : [];
            var baseRows = mode == "incremental" ? current!.RowCount : 0;

            var pages = 0;
            while (!state.ContainsKey("done"))
            {
                var (records, next) = await FetchAsync(access, mapping, state, keys, cancellationToken);
                var rows = new List<string?[]>(records.Count);
                foreach (var record in records)
                {
                    rows.Add(ToRow(connection, mapping, record, columns, load));
                }
                load = Versions.AppendPage(connection, load, rows, JsonSerializer.Serialize(next));
                state = next;
                afterPage?.Invoke(++pages);
                cancellationToken.ThrowIfCancellationRequested();
            }

            var watermark = Watermark(connection, mapping, load, state);
            var subjects = mapping.Subject.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
            var version = Versions.Commit(connection, load, new Lineage(mode, mapping.System, mapping.Interface, grant.Id), load.Rows - baseRows, watermark, subjects, time.GetUtcNow());
            StandardViews.Refresh(connection, Mappings, Versions.Latest(connection).Select(v => v.Dataset).ToHashSet(StringComparer.Ordinal));
            return new PullResult(mapping.Dataset, version.Version, version.RowCount, version.AddedRows, mode, resumed);
        }, cancellationToken);

        await audit.AppendAsync(new AuditEntry("data.ingested", "system:" + access.System, "dataset:" + mapping.Dataset, access.Purpose, Detail: new Dictionary<string, string?>
        {
            ["version"] = result.Version.ToString(CultureInfo.InvariantCulture),
            ["mode"] = result.Mode,
            ["rows"] = result.RowCount.ToString(CultureInfo.InvariantCulture),
            ["added"] = result.AddedRows.ToString(CultureInfo.InvariantCulture),
            ["interface"] = mapping.Resource,
            ["grant"] = grant.Id,
        }), cancellationToken);
        return result;
    }

    private Dictionary<string, string?> InitialState(SourceMapping mapping, DatasetVersion? basedOn)
    {
        var state = new Dictionary<string, string?>(StringComparer.Ordinal) { ["page"] = "1", ["offset"] = "0", ["partition"] = "0", ["key"] = "0" };
        if (basedOn?.Watermark is { } watermark)
        {
            foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, string?>>(watermark)!)
            {
                state[name] = value;
            }
        }
        return state;
    }

    private static List<string> LookupKeys(DuckDBConnection connection, SourceMapping mapping)
    {
        var (view, column) = (mapping.Paging.Keys!.Split('.')[0], mapping.Paging.Keys.Split('.')[1]);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT DISTINCT {Lake.Lake.Quote(column)} FROM {view} WHERE {Lake.Lake.Quote(column)} IS NOT NULL ORDER BY 1";
        using var reader = command.ExecuteReader();
        var keys = new List<string>();
        while (reader.Read())
        {
            keys.Add(reader.GetString(0));
        }
        return keys;
    }

    private async Task<(List<JsonObject> Records, Dictionary<string, string?> Next)> FetchAsync(
        HubSourceAccess access, SourceMapping mapping, Dictionary<string, string?> state, List<string> keys, CancellationToken cancellationToken)
    {
        var paging = mapping.Paging;
        var next = new Dictionary<string, string?>(state, StringComparer.Ordinal);
        var basePath = $"/hub/call/{mapping.System}/{mapping.Interface}";
        if (paging.Style == "lookup")
        {
            var from = int.Parse(state["key"]!, CultureInfo.InvariantCulture);
            var records = new List<JsonObject>();
            foreach (var key in keys.Skip(from).Take(LookupBatch))
            {
                if (await GetAsync(access, $"{basePath}/{Uri.EscapeDataString(key)}", lookup: true, cancellationToken) is { } body && Navigate(body, mapping.Items) is JsonObject record)
                {
                    records.Add(record);
                }
            }
            next["key"] = (from + LookupBatch).ToString(CultureInfo.InvariantCulture);
            if (from + LookupBatch >= keys.Count)
            {
                next["done"] = "true";
            }
            return (records, next);
        }

        var query = new List<string> { $"{paging.Size}={paging.Limit}" };
        string[] partitions = mapping.Partitions is { } p
            ? [.. Enumerable.Range(0, p.MonthsBack).Select(m => time.GetUtcNow().AddMonths(-m).ToString("yyyyMM", CultureInfo.InvariantCulture))]
            : [];
        var partition = int.Parse(state["partition"]!, CultureInfo.InvariantCulture);
        if (partitions.Length > 0)
        {
            query.Add($"{mapping.Partitions!.Parameter}={partitions[partition]}");
        }
        switch (paging.Style)
        {
            case "page":
                query.Add($"{paging.Page}={state["page"]}");
                break;
            case "offset":
                query.Add($"{paging.Offset}={state["offset"]}");
                break;
            case "cursor" when state.GetValueOrDefault("cursor") is { } cursor:
                query.Add($"{paging.Cursor}={Uri.EscapeDataString(cursor)}");
                break;
            case "feed" when state.GetValueOrDefault("since") is { } since:
                query.Add($"{paging.Since}={Uri.EscapeDataString(since)}");
                if (state.GetValueOrDefault("after") is { } after)
                {
                    query.Add($"{paging.After}={Uri.EscapeDataString(after)}");
                }
                break;
        }
        var response = (await GetAsync(access, basePath + "?" + string.Join('&', query), lookup: false, cancellationToken))!;
        var items = Navigate(response, mapping.Items) as JsonArray ?? [];
        var list = items.OfType<JsonObject>().ToList();
        var finished = paging.Style switch
        {
            "page" => Advance(next, "page", 1, list.Count < paging.Limit),
            "offset" => Advance(next, "offset", paging.Limit, list.Count < paging.Limit),
            "cursor" => SetCursor(next, Text(Navigate(response, paging.Next!))),
            "feed" => SetFeed(next, response, paging),
            _ => throw new ValidationFailedException("paging", $"unknown paging style '{paging.Style}' in the mapping of {mapping.Dataset}"),
        };
        if (finished)
        {
            if (partition + 1 < partitions.Length)
            {
                next["partition"] = (partition + 1).ToString(CultureInfo.InvariantCulture);
                next["page"] = "1";
                next["offset"] = "0";
            }
            else
            {
                next["done"] = "true";
            }
        }
        return (list, next);
    }

    private static bool Advance(Dictionary<string, string?> state, string name, int by, bool finished)
    {
        state[name] = (long.Parse(state[name]!, CultureInfo.InvariantCulture) + by).ToString(CultureInfo.InvariantCulture);
        return finished;
    }

    private static bool SetCursor(Dictionary<string, string?> state, string? next)
    {
        if (next is not null)
        {
            state["cursor"] = next;
        }
        return next is null;
    }

    private static bool SetFeed(Dictionary<string, string?> state, JsonNode response, Paging paging)
    {
        if (Text(Navigate(response, paging.NextSince!)) is { } since)
        {
            state["since"] = since;
            state["after"] = Text(Navigate(response, paging.NextAfter!));
        }
        return Navigate(response, paging.More!) is not JsonValue more || !more.GetValue<bool>();
    }

    private static async Task<JsonNode?> GetAsync(HubSourceAccess access, string pathAndQuery, bool lookup, CancellationToken cancellationToken)
    {
        using var response = await access.Client.GetAsync(pathAndQuery, cancellationToken);
        // A lookup key the hub refuses (a resident ID with a bad check digit) or the department does not know is skipped.
        if (lookup && response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
        {
            return null;
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new ProblemException(502, "The source failed", $"{pathAndQuery.Split('?')[0]} answered {(int)response.StatusCode}: {Truncate(text)}");
        }
        return JsonNode.Parse(text);
    }

    private string?[] ToRow(DuckDBConnection connection, SourceMapping mapping, JsonObject record, IReadOnlyList<string> columns, PendingLoad load)
    {
        var unexpected = record.Select(p => p.Key).Where(k => !columns.Contains(k, StringComparer.Ordinal)).ToList();
        var missing = columns.Where(c => !record.ContainsKey(c)).ToList();
        if (unexpected.Count > 0 || missing.Count > 0)
        {
            Versions.Abandon(connection, load);
            Lake.Lake.Execute(connection, "INSERT INTO lake_drift VALUES ($1, $2, $3, $4, $5)", null, mapping.Dataset, time.GetUtcNow().UtcDateTime, mapping.Resource,
                string.Join(",", unexpected), string.Join(",", missing));
            throw new BusinessRuleViolationException("SourceMustKeepItsShape",
                $"{mapping.Resource} changed shape for {mapping.Dataset}: unexpected fields [{string.Join(", ", unexpected)}], missing fields [{string.Join(", ", missing)}]; nothing was loaded");
        }
        var row = new string?[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            row[i] = Text(record[columns[i]]);
        }
        return row;
    }

    private static string? Watermark(DuckDBConnection connection, SourceMapping mapping, PendingLoad load, Dictionary<string, string?> state) => mapping.Paging switch
    {
        { Style: "feed" } when state.GetValueOrDefault("since") is not null =>
            JsonSerializer.Serialize(new Dictionary<string, string?> { ["since"] = state["since"], ["after"] = state.GetValueOrDefault("after") }),
        { Style: "cursor", Watermark: { } column } when Lake.Lake.Scalar(connection, $"SELECT max({Lake.Lake.Quote(column)}) FROM {load.StagingTable}") is string max =>
            JsonSerializer.Serialize(new Dictionary<string, string?> { ["cursor"] = max }),
        _ => null,
    };

    public static JsonNode? Navigate(JsonNode node, string path)
    {
        JsonNode? current = node;
        foreach (var part in path.Split('.'))
        {
            current = current is JsonObject o ? o[part] : null;
        }
        return current;
    }

    public static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        _ => node.ToJsonString(),
    };

    private static string Truncate(string text) => text.Length > 300 ? text[..300] + "…" : text;
}

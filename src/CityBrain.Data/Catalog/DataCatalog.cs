using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Data.Classification;
using CityBrain.Data.Lake;
using CityBrain.Data.Quality;
using CityBrain.Hub.Registry;
using CityBrain.Kernel.Errors;

namespace CityBrain.Data.Catalog;

/// <summary>A dataset as the catalog lists it.</summary>
internal sealed record CatalogEntry(
    string Code,
    string Name,
    string Owner,
    string UpdateFrequency,
    string Classification,
    bool Open,
    IReadOnlyList<CatalogField> Fields,
    long? Version,
    long? RowCount,
    DateTimeOffset? UpdatedAt,
    double? FreshnessHours,
    double? QualityScore,
    double? UnitQualityScore,
    DateTimeOffset? QualityScoredAt,
    string? QualityRunId);

/// <summary>A field with the level it leaves the hub at: the owner's confirmed classification (<paramref name="Confirmed"/>), else the registry's.</summary>
internal sealed record CatalogField(string Name, string Level, string? Description, bool Confirmed);

/// <summary>How the catalog is searched: text, a quality score range (0-100), and an order.</summary>
internal sealed record CatalogSearch(string? Q = null, double? MinScore = null, double? MaxScore = null, string? Sort = null)
{
    /// <summary><c>code</c> (default), <c>quality</c> (worst first), <c>-quality</c> (best first), <c>freshness</c> (most recently loaded first).</summary>
    public static readonly string[] Sorts = ["code", "quality", "-quality", "freshness"];
}

/// <summary>Where a version came from.</summary>
internal sealed record CatalogVersion(long Version, long RowCount, long AddedRows, string Mode, string? SourceSystem, string? SourceInterface, string? GrantId, string? FileName, DateTimeOffset LoadedAt);

/// <summary>A load refused because the source changed its shape.</summary>
internal sealed record DriftReport(DateTimeOffset DetectedAt, string Source, string Unexpected, string Missing);

/// <summary>One dataset in full: lineage of every version, drift reports, and a sample with every non-public field masked.</summary>
internal sealed record CatalogDetail(CatalogEntry Entry, IReadOnlyList<CatalogVersion> Versions, IReadOnlyList<DriftReport> Drift, IReadOnlyList<Dictionary<string, string?>> Sample);

/// <summary>
/// The catalog (目录): the registry's datasets joined with what the lake holds of them. Metadata is public (DCAT);
/// data leaves only masked in samples, in clear only for datasets their owner marked open.
/// </summary>
internal sealed class DataCatalog(Lake.Lake lake, IRegistryReader registry, TimeProvider time)
{
    public const int SampleRows = 3;

    public async Task<List<CatalogEntry>> SearchAsync(CatalogSearch search, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (search.MinScore is < 0 or > 100)
        {
            errors["minScore"] = ["a quality score is between 0 and 100"];
        }
        if (search.MaxScore is < 0 or > 100)
        {
            errors["maxScore"] = ["a quality score is between 0 and 100"];
        }
        if (search.Sort is { } sort && !CatalogSearch.Sorts.Contains(sort))
        {
            errors["sort"] = [$"'{sort}' is not an order: {string.Join(", ", CatalogSearch.Sorts)}"];
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
        var datasets = await registry.ListDatasetsAsync(cancellationToken);
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        var versions = Versions.Latest(connection).ToDictionary(v => v.Dataset, StringComparer.Ordinal);
        var scores = await QualityStore.LatestScoresAsync(connection, cancellationToken);
        var disclosures = await Disclosure.LoadAllAsync(connection, datasets, cancellationToken);
        var entries = datasets
            .Where(d => string.IsNullOrWhiteSpace(search.Q) || Matches(d, search.Q))
            .Select(d => Entry(d, disclosures[d.Code], versions.GetValueOrDefault(d.Code), scores.GetValueOrDefault(Lake.Lake.ViewName(d.Code))))
            // A score range leaves out datasets not scored yet: nothing is known of their quality.
            .Where(e => search.MinScore is null || e.QualityScore >= search.MinScore)
            .Where(e => search.MaxScore is null || e.QualityScore <= search.MaxScore);
        return search.Sort switch
        {
            // Unscored datasets last either way.
            "quality" => [.. entries.OrderBy(e => e.QualityScore is null).ThenBy(e => e.QualityScore).ThenBy(e => e.Code, StringComparer.Ordinal)],
            "-quality" => [.. entries.OrderBy(e => e.QualityScore is null).ThenByDescending(e => e.QualityScore).ThenBy(e => e.Code, StringComparer.Ordinal)],
            "freshness" => [.. entries.OrderBy(e => e.UpdatedAt is null).ThenByDescending(e => e.UpdatedAt).ThenBy(e => e.Code, StringComparer.Ordinal)],
            _ => [.. entries.OrderBy(e => e.Code, StringComparer.Ordinal)],
        };
    }

    public async Task<CatalogDetail> DetailAsync(string code, CancellationToken cancellationToken)
    {
        var dataset = await registry.FindDatasetAsync(code, cancellationToken) ?? throw new NotFoundException($"dataset '{code}' is not in the catalog");
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        var history = Versions.History(connection, code);
        var disclosure = await Disclosure.LoadAsync(connection, dataset, cancellationToken);
        var sample = new List<Dictionary<string, string?>>();
        if (history.Count > 0)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {Lake.Lake.ViewName(code)} LIMIT {SampleRows}";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new Dictionary<string, string?>(StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var name = reader.GetName(i);
                    row[name] = disclosure.ForSample(name, reader.IsDBNull(i) ? null : reader.GetString(i));
                }
                sample.Add(row);
            }
        }
        var drift = new List<DriftReport>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "SELECT detected_at, source, unexpected, missing FROM lake_drift WHERE dataset = $1 ORDER BY detected_at DESC LIMIT 20";
            var parameter = command.CreateParameter();
            parameter.Value = code;
            command.Parameters.Add(parameter);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                drift.Add(new DriftReport(new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(0), DateTimeKind.Utc)), reader.GetString(1), reader.GetString(2), reader.GetString(3)));
            }
        }
        var scores = await QualityStore.LatestScoresAsync(connection, cancellationToken);
        return new CatalogDetail(Entry(dataset, disclosure, history.LastOrDefault(), scores.GetValueOrDefault(Lake.Lake.ViewName(code))),
            [.. history.Select(v => new CatalogVersion(v.Version, v.RowCount, v.AddedRows, v.Mode, v.SourceSystem, v.SourceInterface, v.GrantId, v.FileName, v.LoadedAt))], drift, sample);
    }

    /// <summary>The catalog as a DCAT-AP catalog in JSON-LD: open datasets carry a download URL.</summary>
    public async Task<JsonObject> DcatAsync(string baseUrl, CancellationToken cancellationToken)
    {
        var entries = await SearchAsync(new CatalogSearch(), cancellationToken);
        var datasets = new JsonArray();
        foreach (var e in entries)
        {
            var dataset = new JsonObject
            {
                ["@id"] = $"{baseUrl}/api/data/catalog/{e.Code}",
                ["@type"] = "dcat:Dataset",
                ["dct:identifier"] = e.Code,
                ["dct:title"] = e.Name,
                ["dct:publisher"] = e.Owner,
                ["dct:accrualPeriodicity"] = e.UpdateFrequency,
                ["dct:accessRights"] = e.Open ? "public" : "restricted",
                ["cb:classification"] = e.Classification,
                ["dcat:keyword"] = new JsonArray([.. e.Fields.Select(f => (JsonNode)f.Name)]),
                ["cb:fields"] = new JsonArray([.. e.Fields.Select(f => (JsonNode)new JsonObject { ["cb:name"] = f.Name, ["cb:level"] = f.Level })]),
            };
            if (e.QualityScore is { } score)
            {
                dataset["dqv:hasQualityMeasurement"] = new JsonObject
                {
                    ["@type"] = "dqv:QualityMeasurement",
                    ["dqv:value"] = score,
                    ["prov:generatedAtTime"] = e.QualityScoredAt!.Value.ToString("O", CultureInfo.InvariantCulture),
                };
            }
            if (e.UpdatedAt is { } modified)
            {
                dataset["dct:modified"] = modified.ToString("O", CultureInfo.InvariantCulture);
            }
            if (e.Open)
            {
                dataset["dcat:distribution"] = new JsonArray(new JsonObject
                {
                    ["@type"] = "dcat:Distribution",
                    ["dcat:downloadURL"] = $"{baseUrl}/api/data/open/{e.Code}",
                    ["dcat:mediaType"] = "text/csv",
                });
            }
            datasets.Add(dataset);
        }
        return new JsonObject
        {
            ["@context"] = new JsonObject { ["dcat"] = "http://www.w3.org/ns/dcat#", ["dct"] = "http://purl.org/dc/terms/", ["cb"] = "https://citybrain.example/ns#",
                ["dqv"] = "http://www.w3.org/ns/dqv#", ["prov"] = "http://www.w3.org/ns/prov#" },
            ["@type"] = "dcat:Catalog",
            ["dct:title"] = "CityBrain data catalog",
            ["dcat:dataset"] = datasets,
        };
    }

    /// <summary>
    /// An open dataset's current version as CSV, personal fields masked as their confirmed level says (open data is
    /// for anyone: no grant releases them in clear); anything else is refused, as if absent to an anonymous caller.
    /// </summary>
    public async Task<byte[]> OpenCsvAsync(string code, CancellationToken cancellationToken)
    {
        var dataset = await registry.FindDatasetAsync(code, cancellationToken);
        if (dataset is null || !dataset.Open)
        {
            throw new ForbiddenException($"'{code}' is not an open dataset (数据开放); ask for it through the catalog");
        }
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        if (Versions.Current(connection, code) is null)
        {
            throw new NotFoundException($"{code} has not been loaded into the lake yet");
        }
        var disclosure = await Disclosure.LoadAsync(connection, dataset, cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {Lake.Lake.ViewName(code)}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        var csv = new StringBuilder();
        csv.AppendJoin(',', names.Select(Csv)).Append('\n');
        while (await reader.ReadAsync(cancellationToken))
        {
            csv.AppendJoin(',', names.Select((name, i) => reader.IsDBNull(i) ? "" : Csv(disclosure.PersonalMasked(name, reader.GetString(i))!))).Append('\n');
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    private CatalogEntry Entry(Dataset d, Disclosure disclosure, DatasetVersion? v, DatasetQuality? quality) => new(
        d.Code, d.Name, d.Unit, d.UpdateFrequency, LevelName(disclosure.Highest), d.Open,
        [.. d.Fields.Select(f => new CatalogField(f.Name, LevelName(disclosure[f.Name]!.Level), f.Description, disclosure[f.Name]!.ConfirmedAt is not null))],
        v?.Version, v?.RowCount, v?.LoadedAt, v is null ? null : Math.Round((time.GetUtcNow() - v.LoadedAt).TotalHours, 2),
        quality?.Score, quality?.UnitScore, quality?.ScoredAt, quality?.RunId);

    private static bool Matches(Dataset d, string q) =>
        d.Code.Contains(q, StringComparison.OrdinalIgnoreCase) || d.Name.Contains(q, StringComparison.OrdinalIgnoreCase)
        || (d.Description?.Contains(q, StringComparison.OrdinalIgnoreCase) ?? false)
        || d.Fields.Any(f => f.Name.Contains(q, StringComparison.OrdinalIgnoreCase) || (f.Description?.Contains(q, StringComparison.OrdinalIgnoreCase) ?? false));

    private static string LevelName(FieldLevel level) => level switch
    {
        FieldLevel.Public => "public",
        FieldLevel.Internal => "internal",
        FieldLevel.Personal => "personal",
        _ => "sensitive-personal",
    };

    private static string Csv(string value) =>
        value.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}

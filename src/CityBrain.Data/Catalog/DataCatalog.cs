using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Data.Lake;
using CityBrain.Hub.Gateway;
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
    double? QualityScore);

/// <summary>A field with its classification level.</summary>
internal sealed record CatalogField(string Name, string Level, string? Description);

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

    public async Task<List<CatalogEntry>> SearchAsync(string? q, CancellationToken cancellationToken)
    {
        var datasets = await registry.ListDatasetsAsync(cancellationToken);
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        var versions = Versions.Latest(connection).ToDictionary(v => v.Dataset, StringComparer.Ordinal);
        return [.. datasets
            .Where(d => string.IsNullOrWhiteSpace(q) || Matches(d, q))
            .Select(d => Entry(d, versions.GetValueOrDefault(d.Code)))];
    }

    public async Task<CatalogDetail> DetailAsync(string code, CancellationToken cancellationToken)
    {
        var dataset = await registry.FindDatasetAsync(code, cancellationToken) ?? throw new NotFoundException($"dataset '{code}' is not in the catalog");
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        var history = Versions.History(connection, code);
        var sample = new List<Dictionary<string, string?>>();
        if (history.Count > 0)
        {
            var levels = dataset.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
            await using var command = connection.CreateCommand();
            command.CommandText = $"SELECT * FROM {Lake.Lake.ViewName(code)} LIMIT {SampleRows}";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new Dictionary<string, string?>(StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    var name = reader.GetName(i);
                    var value = reader.IsDBNull(i) ? null : reader.GetString(i);
                    var field = levels.GetValueOrDefault(name);
                    row[name] = value is null || field?.Level == FieldLevel.Public ? value : Masking.Mask(value, field?.Mask);
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
        return new CatalogDetail(Entry(dataset, history.LastOrDefault()),
            [.. history.Select(v => new CatalogVersion(v.Version, v.RowCount, v.AddedRows, v.Mode, v.SourceSystem, v.SourceInterface, v.GrantId, v.FileName, v.LoadedAt))], drift, sample);
    }

    /// <summary>The catalog as a DCAT-AP catalog in JSON-LD: open datasets carry a download URL.</summary>
    public async Task<JsonObject> DcatAsync(string baseUrl, CancellationToken cancellationToken)
    {
        var entries = await SearchAsync(null, cancellationToken);
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
            };
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
            ["@context"] = new JsonObject { ["dcat"] = "http://www.w3.org/ns/dcat#", ["dct"] = "http://purl.org/dc/terms/", ["cb"] = "https://citybrain.example/ns#" },
            ["@type"] = "dcat:Catalog",
            ["dct:title"] = "CityBrain data catalog",
            ["dcat:dataset"] = datasets,
        };
    }

    /// <summary>An open dataset's current version as CSV; anything else is refused, as if absent to an anonymous caller.</summary>
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
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {Lake.Lake.ViewName(code)}";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var csv = new StringBuilder();
        csv.AppendJoin(',', Enumerable.Range(0, reader.FieldCount).Select(i => Csv(reader.GetName(i)))).Append('\n');
        while (await reader.ReadAsync(cancellationToken))
        {
            csv.AppendJoin(',', Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "" : Csv(reader.GetString(i)))).Append('\n');
        }
        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    private CatalogEntry Entry(Dataset d, DatasetVersion? v) => new(
        d.Code, d.Name, d.Unit, d.UpdateFrequency, Classification(d), d.Open,
        [.. d.Fields.Select(f => new CatalogField(f.Name, LevelName(f.Level), f.Description))],
        v?.Version, v?.RowCount, v?.LoadedAt, v is null ? null : Math.Round((time.GetUtcNow() - v.LoadedAt).TotalHours, 2),
        null); // The quality score comes from the quality module (docs/data.md); none until it reports.

    private static bool Matches(Dataset d, string q) =>
        d.Code.Contains(q, StringComparison.OrdinalIgnoreCase) || d.Name.Contains(q, StringComparison.OrdinalIgnoreCase)
        || (d.Description?.Contains(q, StringComparison.OrdinalIgnoreCase) ?? false)
        || d.Fields.Any(f => f.Name.Contains(q, StringComparison.OrdinalIgnoreCase) || (f.Description?.Contains(q, StringComparison.OrdinalIgnoreCase) ?? false));

    private static string Classification(Dataset d) => d.Fields.Count == 0 ? "public" : LevelName(d.Fields.Max(f => f.Level));

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

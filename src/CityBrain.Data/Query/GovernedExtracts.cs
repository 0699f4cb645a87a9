using System.Globalization;
using CityBrain.Data.Classification;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using DuckDB.NET.Data;

namespace CityBrain.Data.Query;

/// <summary>
/// The governed query interface for bulk work (<see cref="IDatasetExtracts"/>): one SQL statement copies the current
/// version of a dataset into a Parquet file for the consumer, limited to the fields its grant releases, with the fields
/// it releases masked (or that the owner has since classified personal) masked by the hub's <see cref="Masking"/> inside
/// DuckDB. The same grant rules as <see cref="GovernedQuery"/>, and one audit record per read.
/// </summary>
internal sealed class GovernedExtracts(Lake.Lake lake, IRegistryReader registry, IGrantLookup grants, IAuditLog audit, TimeProvider time)
    : IDatasetExtracts, IDisposable
{
    private const string MaskFunction = "hub_mask";

    // One connection holds the masking function: DuckDB keeps the .NET callback only as long as the connection that
    // registered it, so extracts run on this connection, one at a time.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DuckDBConnection? _connection;

    public async Task<DatasetExtract> ExtractAsync(ExtractRequest request, CancellationToken cancellationToken)
    {
        var dataset = await registry.FindDatasetAsync(request.Dataset, cancellationToken)
            ?? throw new NotFoundException($"dataset '{request.Dataset}' is not in the catalog");
        if (string.IsNullOrWhiteSpace(request.Purpose))
        {
            throw new ValidationFailedException("purpose", "state the purpose the read serves, as granted");
        }
        var grant = await grants.FindActiveAsync(request.Consumer, "dataset:" + dataset.Code, time.GetUtcNow(), cancellationToken)
            ?? throw new ForbiddenException($"system '{request.Consumer}' holds no active grant for dataset:{dataset.Code}");
        if (grant.Purpose != request.Purpose)
        {
            throw new ForbiddenException($"the grant for dataset:{dataset.Code} is for the purpose '{grant.Purpose}', not '{request.Purpose}'");
        }
        var declared = dataset.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = request.Fields.Concat(request.ClearFields).Where(f => !declared.Contains(f)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new ValidationFailedException("fields", $"not fields of {dataset.Code}: {string.Join(", ", unknown)}");
        }
        var refused = request.Fields.Where(f => !grant.Fields.Contains(f) && !grant.MaskedFields.Contains(f)).Distinct(StringComparer.Ordinal).ToList();
        if (refused.Count > 0)
        {
            throw new ForbiddenException($"the grant {grant.Id} does not release {string.Join(", ", refused)} of {dataset.Code}");
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            var connection = await ConnectionAsync(cancellationToken);
            var version = Lake.Versions.Current(connection, dataset.Code)
                ?? throw new BusinessRuleViolationException("DatasetMustBeIngested",
                    $"{dataset.Code} has not been ingested into the lake yet: the data bureau ingests it first (for the demo city, start citybrain serve on this data folder: it pulls every department's datasets through the hub on start)");
            var disclosure = await Disclosure.LoadAsync(connection, dataset, cancellationToken);
            var masked = request.Fields.Where(f => !disclosure.IsClearUnder(grant, f)).Distinct(StringComparer.Ordinal).ToList();
            var maskedButNeeded = request.ClearFields.Where(masked.Contains).ToList();
            if (maskedButNeeded.Count > 0)
            {
                throw new ForbiddenException($"{string.Join(", ", maskedButNeeded)} of {dataset.Code} is released only masked under grant {grant.Id}, and this use needs it in clear");
            }
            Directory.CreateDirectory(request.Folder);
            var file = Path.Combine(request.Folder, Lake.Lake.ViewName(dataset.Code) + ".parquet");
            var columns = request.Fields.Distinct(StringComparer.Ordinal).Select(f => masked.Contains(f)
                ? $"{MaskFunction}({Lake.Lake.Quote(f)}, {Lake.Lake.Literal(disclosure[f]?.Mask ?? "")}) AS {Lake.Lake.Quote(f)}"
                : Lake.Lake.Quote(f));
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = $"COPY (SELECT {string.Join(", ", columns)} FROM {Lake.Lake.Quote(version.TableName)}) TO {Lake.Lake.Literal(file)} (FORMAT parquet)";
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            long rows;
            // The rows the consumer got, from the file's footer (COPY's own count does not reach ADO.NET).
            await using (var command = connection.CreateCommand())
            {
                command.CommandText = $"SELECT count(*) FROM read_parquet({Lake.Lake.Literal(file)})";
                rows = Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture);
            }
            var detail = new Dictionary<string, string?>(request.Context ?? new Dictionary<string, string?>(), StringComparer.Ordinal)
            {
                ["fields"] = string.Join(",", request.Fields),
                ["masked"] = string.Join(",", masked),
                ["rows"] = rows.ToString(CultureInfo.InvariantCulture),
                ["grant"] = grant.Id,
                ["version"] = version.Version.ToString(CultureInfo.InvariantCulture),
                ["read"] = "whole dataset",
            };
            // A whole-dataset read names no subject: the decisions it leads to are what a citizen sees (docs/policy.md).
            await audit.AppendAsync(new AuditEntry("data.query", "system:" + request.Consumer, "dataset:" + dataset.Code, request.Purpose, null, detail), cancellationToken);
            return new DatasetExtract(dataset.Code, file, version.Version, rows, grant.Id, masked);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<DuckDBConnection> ConnectionAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return _connection;
        }
        var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        // hub_mask(value, kind): the hub's masking of one value; kind '' lets the value's look decide, as Masking.Mask does.
        connection.RegisterScalarFunction<string, string, string>(MaskFunction, (readers, writer, rowCount) =>
        {
            for (ulong row = 0; row < rowCount; row++)
            {
                var value = readers[0].GetValue<string>(row);
                var kind = readers[1].GetValue<string>(row);
                writer.WriteValue(Masking.Mask(value, kind.Length == 0 ? null : kind), row);
            }
        });
        return _connection = connection;
    }

    public void Dispose()
    {
        _connection?.Dispose();
        _gate.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using CityBrain.Data.Classification;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using DuckDB.NET.Data;

namespace CityBrain.Data.Query;

/// <summary>A structured query: which dataset, which fields, which rows, which totals, and why.</summary>
internal sealed record QueryRequest(string? Dataset, List<string>? Fields, List<QueryFilter>? Filters, List<QueryAggregate>? Aggregates, List<string>? GroupBy, int? Limit, string? Purpose);

/// <summary>A row condition: <c>eq, ne, lt, le, gt, ge, like</c>.</summary>
internal sealed record QueryFilter(string Field, string Op, string? Value);

/// <summary>A total: <c>count</c> (field optional), <c>sum, avg, min, max</c> (numeric fields).</summary>
internal sealed record QueryAggregate(string Function, string? Field);

/// <summary>The answer: rows (fields masked as granted) and how many.</summary>
internal sealed record QueryResult(string Dataset, long Version, IReadOnlyList<string> Columns, IReadOnlyList<string> MaskedColumns, IReadOnlyList<Dictionary<string, string?>> Rows, int RowCount);

/// <summary>A field of a profile with where it came from and how fresh it is.</summary>
internal sealed record ProfileField(string Field, string? Value, bool Masked);

/// <summary>One dataset's records about the subject.</summary>
internal sealed record ProfileSection(string Dataset, string Owner, long Version, DateTimeOffset VersionTime, double FreshnessHours, IReadOnlyList<IReadOnlyList<ProfileField>> Records);

/// <summary>一人一档 / 一企一档: every dataset's records about one person or enterprise, and the datasets withheld for want of a grant.</summary>
internal sealed record Profile(string Kind, string Subject, IReadOnlyList<ProfileSection> Sections, IReadOnlyList<string> Withheld);

/// <summary>
/// Queries and profiles for consumers, governed like a gateway call: the caller's grant on <c>dataset:&lt;code&gt;</c>
/// decides each field (clear, masked, or refused), and each query is one audit record with its purpose, fields,
/// row count and the people it named.
/// </summary>
internal sealed class GovernedQuery(Lake.Lake lake, ProfileIndex profiles, IRegistryReader registry, IGrantLookup grants, IAuditLog audit, TimeProvider time)
{
    public const int MaxRows = 10_000;

    /// <summary>The purpose recorded when residents read their own data.</summary>
    public const string OwnDataPurpose = "own-data-access";
    private static readonly Dictionary<string, string> Operators = new(StringComparer.Ordinal)
    {
        ["eq"] = "=", ["ne"] = "<>", ["lt"] = "<", ["le"] = "<=", ["gt"] = ">", ["ge"] = ">=", ["like"] = "LIKE",
    };
    private static readonly string[] NumericFunctions = ["sum", "avg", "min", "max"];

    public async Task<QueryResult> QueryAsync(QueryRequest query, Caller caller, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(query.Dataset))
        {
            throw new ValidationFailedException("dataset", "name the dataset (gaj.rk)");
        }
        var dataset = await registry.FindDatasetAsync(query.Dataset, cancellationToken) ?? throw new NotFoundException($"dataset '{query.Dataset}' is not in the catalog");
        var grant = await GrantAsync(caller, dataset.Code, query.Purpose, cancellationToken);
        var fields = query.Fields ?? [];
        var aggregates = query.Aggregates ?? [];
        var groupBy = query.GroupBy ?? [];
        if (fields.Count == 0 && aggregates.Count == 0)
        {
            throw new ValidationFailedException("fields", "name the fields or the aggregates wanted");
        }
        var declared = dataset.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        var named = fields.Concat(groupBy).Concat((query.Filters ?? []).Select(f => f.Field)).Concat(aggregates.Where(a => a.Field is not null).Select(a => a.Field!));
        var unknown = named.Where(f => !declared.ContainsKey(f)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new ValidationFailedException("fields", $"not fields of {dataset.Code}: {string.Join(", ", unknown)}");
        }
        var refused = named.Where(f => !grant.Fields.Contains(f) && !grant.MaskedFields.Contains(f)).Distinct(StringComparer.Ordinal).ToList();
        if (refused.Count > 0)
        {
            throw new ForbiddenException($"the grant {grant.Id} does not release {string.Join(", ", refused)} of {dataset.Code}");
        }
        await using var connection = await lake.OpenReadConnectionAsync(cancellationToken);
        // Masked: what the grant releases masked, and what the owner has since classified personal (read now, so a re-classification applies at once).
        var disclosure = await Disclosure.LoadAsync(connection, dataset, cancellationToken);
        // A masked field may be shown masked or matched exactly; totals and groups over it would reveal it.
        var revealing = groupBy.Concat(aggregates.Where(a => NumericFunctions.Contains(a.Function)).Select(a => a.Field ?? ""))
            .Concat((query.Filters ?? []).Where(f => f.Op != "eq").Select(f => f.Field))
            .Where(f => declared.ContainsKey(f) && !disclosure.IsClearUnder(grant, f)).Distinct(StringComparer.Ordinal).ToList();
        if (revealing.Count > 0)
        {
            throw new ForbiddenException($"{string.Join(", ", revealing)} of {dataset.Code} is released only masked: it can be shown or matched exactly, not grouped, ranged or summed");
        }

        var select = new List<string>();
        var columns = new List<string>();
        if (aggregates.Count > 0)
        {
            foreach (var g in groupBy)
            {
                select.Add(Lake.Lake.Quote(g));
                columns.Add(g);
            }
            foreach (var a in aggregates)
            {
                if (a.Function != "count" && !NumericFunctions.Contains(a.Function))
                {
                    throw new ValidationFailedException("aggregates", $"'{a.Function}' is not an aggregate: count, sum, avg, min, max");
                }
                if (a.Function != "count" && a.Field is null)
                {
                    throw new ValidationFailedException("aggregates", $"{a.Function} needs a field");
                }
                var argument = a.Field is null ? "*" : a.Function == "count" ? Lake.Lake.Quote(a.Field) : $"try_cast({Lake.Lake.Quote(a.Field)} AS DOUBLE)";
                select.Add($"{a.Function}({argument})::VARCHAR");
                columns.Add(a.Field is null ? a.Function : $"{a.Function}_{a.Field}");
            }
        }
        else
        {
            select.AddRange(fields.Select(Lake.Lake.Quote));
            columns.AddRange(fields);
        }

        var parameters = new List<object>();
        var where = new List<string>();
        foreach (var filter in query.Filters ?? [])
        {
            if (!Operators.TryGetValue(filter.Op, out var op))
            {
                throw new ValidationFailedException("filters", $"'{filter.Op}' is not an operator: {string.Join(", ", Operators.Keys)}");
            }
            parameters.Add(filter.Value ?? "");
            where.Add($"{Lake.Lake.Quote(filter.Field)} {op} ${parameters.Count}");
        }
        var limit = Math.Clamp(query.Limit ?? 1000, 1, MaxRows);
        var view = Lake.Lake.ViewName(dataset.Code);
        var sql = $"SELECT {string.Join(", ", select)} FROM {view}"
            + (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "")
            + (aggregates.Count > 0 && groupBy.Count > 0 ? " GROUP BY " + string.Join(", ", groupBy.Select(Lake.Lake.Quote)) : "")
            + $" LIMIT {limit}";

        var version = Lake.Versions.Current(connection, dataset.Code) ?? throw new NotFoundException($"{dataset.Code} has not been loaded into the lake yet");
        var masked = (aggregates.Count > 0 ? groupBy : fields).Where(f => !disclosure.IsClearUnder(grant, f)).Distinct(StringComparer.Ordinal).ToList();
        var rows = new List<Dictionary<string, string?>>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = sql;
            foreach (var value in parameters)
            {
                var parameter = command.CreateParameter();
                parameter.Value = value;
                command.Parameters.Add(parameter);
            }
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var row = new Dictionary<string, string?>(StringComparer.Ordinal);
                for (var i = 0; i < columns.Count; i++)
                {
                    var value = reader.IsDBNull(i) ? null : reader.GetValue(i).ToString();
                    row[columns[i]] = masked.Contains(columns[i]) ? disclosure.UnderGrant(grant, columns[i], value) : value;
                }
                rows.Add(row);
            }
        }

        var subjects = SubjectKeys(dataset, query.Filters);
        await audit.AppendAsync(new AuditEntry("data.query", caller.AuditName, "dataset:" + dataset.Code, query.Purpose, subjects, new Dictionary<string, string?>
        {
            ["fields"] = string.Join(",", fields.Concat(aggregates.Select(a => $"{a.Function}({a.Field})"))),
            ["masked"] = string.Join(",", masked),
            ["rows"] = rows.Count.ToString(CultureInfo.InvariantCulture),
            ["grant"] = grant.Id,
            ["version"] = version.Version.ToString(CultureInfo.InvariantCulture),
        }), cancellationToken);
        return new QueryResult(dataset.Code, version.Version, columns, masked, rows, rows.Count);
    }

    /// <summary>The profile of a person (resident ID) or an enterprise (credit code) from every dataset the caller holds a grant for.</summary>
    public async Task<Profile> ProfileAsync(string kind, string subject, Caller caller, string? purpose, CancellationToken cancellationToken)
    {
        if (caller.Role != HubRoles.System || caller.System is null)
        {
            throw new ForbiddenException("profiles are for registered systems holding grants on the datasets");
        }
        subject = subject.Trim().ToUpperInvariant();
        var valid = kind == "person" ? Kernel.Identifiers.ResidentId.IsValid(subject) : Kernel.Identifiers.UnifiedSocialCreditCode.IsValid(subject);
        if (!valid)
        {
            throw new ValidationFailedException(kind == "person" ? "residentId" : "uscc", kind == "person" ? "not a valid resident ID (18 characters, check digit)" : "not a valid unified social credit code");
        }
        var records = await profiles.LookupAsync(kind, subject, cancellationToken);
        var now = time.GetUtcNow();
        var granted = new List<(Dataset Dataset, Grant Grant, IReadOnlyList<IndexedRecord> Records)>();
        var withheld = new List<string>();
        foreach (var group in records.GroupBy(r => r.Dataset, StringComparer.Ordinal))
        {
            var dataset = await registry.FindDatasetAsync(group.Key, cancellationToken);
            var grant = await grants.FindActiveAsync(caller.System, "dataset:" + group.Key, now, cancellationToken);
            if (dataset is null || grant is null || (purpose is not null && grant.Purpose != purpose))
            {
                withheld.Add(group.Key);
                continue;
            }
            granted.Add((dataset, grant, [.. group]));
        }
        var disclosures = await profiles.DisclosuresAsync([.. granted.Select(g => g.Dataset)], cancellationToken);
        var sections = new List<ProfileSection>();
        foreach (var (dataset, grant, group) in granted)
        {
            var disclosure = disclosures[dataset.Code];
            var first = group[0];
            sections.Add(new ProfileSection(dataset.Code, dataset.Unit, first.Version, first.LoadedAt, Math.Round((now - first.LoadedAt).TotalHours, 2),
                [.. group.Select(r => (IReadOnlyList<ProfileField>)[.. r.Fields
                    .Where(f => grant.Fields.Contains(f.Key) || grant.MaskedFields.Contains(f.Key))
                    .Select(f => disclosure.IsClearUnder(grant, f.Key) || f.Value is null
                        ? new ProfileField(f.Key, f.Value, false)
                        : new ProfileField(f.Key, disclosure.UnderGrant(grant, f.Key, f.Value), true))])]));
        }
        await audit.AppendAsync(new AuditEntry("data.profile", caller.AuditName, "profile:" + kind, purpose, [subject], new Dictionary<string, string?>
        {
            ["datasets"] = string.Join(",", sections.Select(s => s.Dataset)),
            ["withheld"] = string.Join(",", withheld),
        }), cancellationToken);
        return new Profile(kind, kind == "person" ? Masking.ResidentId(subject) : subject, sections, withheld);
    }

    /// <summary>
    /// 一人一档 for the person it is about: a signed-in resident's own records from every dataset, in clear (the right to
    /// access one's personal information, PIPL art. 45), each with its source and freshness; audited like any profile.
    /// </summary>
    public async Task<Profile> OwnProfileAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (caller.Role != HubRoles.Citizen || caller.ResidentId is not { } subject || !Kernel.Identifiers.ResidentId.IsValid(subject))
        {
            throw new ForbiddenException("one's own profile is for a signed-in resident; systems ask for profiles under their grants");
        }
        var now = time.GetUtcNow();
        var sections = new List<ProfileSection>();
        foreach (var group in (await profiles.LookupAsync("person", subject, cancellationToken)).GroupBy(r => r.Dataset, StringComparer.Ordinal))
        {
            var dataset = await registry.FindDatasetAsync(group.Key, cancellationToken);
            var first = group.First();
            sections.Add(new ProfileSection(group.Key, dataset?.Unit ?? group.Key.Split('.')[0], first.Version, first.LoadedAt, Math.Round((now - first.LoadedAt).TotalHours, 2),
                [.. group.Select(r => (IReadOnlyList<ProfileField>)[.. r.Fields.Select(f => new ProfileField(f.Key, f.Value, false))])]));
        }
        await audit.AppendAsync(new AuditEntry("data.profile", caller.AuditName, "profile:person", OwnDataPurpose, [subject], new Dictionary<string, string?>
        {
            ["datasets"] = string.Join(",", sections.Select(s => s.Dataset)),
            ["withheld"] = "",
        }), cancellationToken);
        return new Profile("person", subject, sections, []);
    }

    private async Task<Grant> GrantAsync(Caller caller, string dataset, string? purpose, CancellationToken cancellationToken)
    {
        if (caller.Role != HubRoles.System || caller.System is null)
        {
            throw new ForbiddenException("governed queries are made by registered systems under a grant on the dataset");
        }
        if (string.IsNullOrWhiteSpace(purpose))
        {
            throw new ValidationFailedException("purpose", "state the purpose the query serves, as granted");
        }
        var grant = await grants.FindActiveAsync(caller.System, "dataset:" + dataset, time.GetUtcNow(), cancellationToken)
            ?? throw new ForbiddenException($"system '{caller.System}' holds no active grant for dataset:{dataset}");
        return grant.Purpose == purpose ? grant : throw new ForbiddenException($"the grant for dataset:{dataset} is for the purpose '{grant.Purpose}', not '{purpose}'");
    }

    /// <summary>The people (or enterprises) a query names by an exact match on an identifying field, for the citizen's access log.</summary>
    private static List<string>? SubjectKeys(Dataset dataset, List<QueryFilter>? filters)
    {
        var keys = (filters ?? []).Where(f => f.Op == "eq" && f.Value is not null
                && (Kernel.Identifiers.ResidentId.IsValid(f.Value) || Kernel.Identifiers.UnifiedSocialCreditCode.IsValid(f.Value)))
            .Select(f => f.Value!.ToUpperInvariant()).Distinct(StringComparer.Ordinal).ToList();
        return keys.Count > 0 ? keys : null;
    }

    private static void Add(DbCommand command, object value)
    {
        var parameter = command.CreateParameter();
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

/// <summary>
/// The profile index: every record of a dataset with a subject column (resident ID, credit code), keyed by subject
/// and rebuilt in the transaction that commits the dataset's version, so a profile is one indexed lookup.
/// </summary>
internal sealed class ProfileIndex(Lake.Lake lake) : IDisposable
{
    // Lookups reuse open read connections: opening one per lookup costs more than the indexed query itself.
    private readonly ConcurrentBag<DuckDBConnection> _idle = [];

    /// <summary>The records about one subject, with the version each came from.</summary>
    public Task<IReadOnlyList<IndexedRecord>> LookupAsync(string kind, string subject, CancellationToken cancellationToken) =>
        WithConnectionAsync(async connection =>
        {
            // Only the subject in the WHERE: DuckDB then answers from the ART index (a join or a second filter makes it scan).
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT kind, dataset, version, loaded_at, record FROM profile_index WHERE subject = $1";
            Add(command, subject);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var records = new List<IndexedRecord>();
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.GetString(0) == kind)
                {
                    records.Add(new IndexedRecord(reader.GetString(1), reader.GetInt64(2), new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(3), DateTimeKind.Utc)),
                        JsonSerializer.Deserialize<Dictionary<string, string?>>(reader.GetString(4))!));
                }
            }
            records.Sort((x, y) => string.CompareOrdinal(x.Dataset, y.Dataset));
            return (IReadOnlyList<IndexedRecord>)records;
        }, cancellationToken);

    /// <summary>How the profile's datasets leave the hub now (owner-confirmed levels), read on the same pooled connections.</summary>
    public Task<IReadOnlyDictionary<string, Disclosure>> DisclosuresAsync(IReadOnlyList<Dataset> datasets, CancellationToken cancellationToken) =>
        WithConnectionAsync(connection => Disclosure.LoadAllAsync(connection, datasets, cancellationToken), cancellationToken);

    private async Task<T> WithConnectionAsync<T>(Func<DuckDBConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        var connection = _idle.TryTake(out var idle) ? idle : await lake.OpenReadConnectionAsync(cancellationToken);
        try
        {
            return await read(connection);
        }
        finally
        {
            _idle.Add(connection);
        }
    }

    public void Dispose()
    {
        while (_idle.TryTake(out var connection))
        {
            connection.Dispose();
        }
    }

    private static void Add(DbCommand command, object value)
    {
        var parameter = command.CreateParameter();
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

/// <summary>A record of the profile index: the dataset version it came from and its fields as loaded.</summary>
internal sealed record IndexedRecord(string Dataset, long Version, DateTimeOffset LoadedAt, Dictionary<string, string?> Fields);

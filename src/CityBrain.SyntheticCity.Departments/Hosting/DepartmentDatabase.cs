using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace CityBrain.SyntheticCity.Departments.Hosting;

/// <summary>
/// A department's own SQLite database (<c>data/departments/&lt;code&gt;.db</c>), loaded once from its CSV files and
/// then only read. Values are stored as text exactly as the files have them: the department does not clean its data.
/// </summary>
internal sealed class DepartmentDatabase
{
    private readonly string _connectionString;
    private readonly Dictionary<string, Table> _tables;

    private DepartmentDatabase(string path, IEnumerable<Table> tables)
    {
        Path = path;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();
        _tables = tables.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>
    /// Opens the department's database, loading it first if it does not exist yet: into a temporary file, in one
    /// transaction, renamed into place only when complete, so that a half-loaded database is never used. A later start
    /// reuses the file (delete it to load again).
    /// </summary>
    public static async Task<DepartmentDatabase> OpenOrLoadAsync(string sourceDirectory, string databasePath, IReadOnlyList<Table> tables,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (!File.Exists(databasePath))
        {
            await LoadAsync(sourceDirectory, databasePath, tables, progress, cancellationToken);
        }
        return new DepartmentDatabase(databasePath, tables);
    }

    private static async Task LoadAsync(string sourceDirectory, string databasePath, IReadOnlyList<Table> tables, IProgress<string>? progress,
        CancellationToken cancellationToken)
    {
        var code = System.IO.Path.GetFileNameWithoutExtension(databasePath);
        var temporary = databasePath + ".loading";
        File.Delete(temporary);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = temporary, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = false }.ToString();
        try
        {
            await using (var connection = new SqliteConnection(connectionString))
            {
                await connection.OpenAsync(cancellationToken);
                await using (var pragma = connection.CreateCommand())
                {
                    // A crash mid-load leaves only the temporary file, deleted on the next try: no journal needed.
                    pragma.CommandText = "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;";
                    await pragma.ExecuteNonQueryAsync(cancellationToken);
                }
                await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
                foreach (var table in tables)
                {
                    var rows = await LoadTableAsync(connection, transaction, System.IO.Path.Combine(sourceDirectory, table.FileName), table, cancellationToken);
                    progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{code}: {table.FileName} loaded, {rows:N0} rows"));
                }
                await transaction.CommitAsync(cancellationToken);
            }
            File.Move(temporary, databasePath);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    private static async Task<long> LoadTableAsync(SqliteConnection connection, SqliteTransaction transaction, string file, Table table,
        CancellationToken cancellationToken)
    {
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"the department file {file} is missing", file);
        }
        await using (var create = connection.CreateCommand())
        {
            create.Transaction = transaction;
            // Integer columns get INTEGER affinity, so that ranges and order on them (epoch milliseconds) use the index;
            // a value that is not an integer (planted dirt) stays text, as stored.
            var columns = string.Join(", ", table.Columns.Select(c => $"\"{c.Name}\" {(c.Kind == ColumnKind.Integer ? "INTEGER" : "TEXT")}"));
            var indexes = string.Concat(table.Indexed.Select(c => $"CREATE INDEX \"ix_{table.Name}_{c}\" ON \"{table.Name}\" (\"{c}\");"));
            create.CommandText = $"CREATE TABLE \"{table.Name}\" (row_id INTEGER PRIMARY KEY, {columns});{indexes}";
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        using var stream = new StreamReader(file, new UTF8Encoding(false), detectEncodingFromByteOrderMarks: true);
        var csv = new CsvReader(stream);
        var header = csv.ReadRecord() ?? throw new InvalidDataException($"{file}: the file is empty; the header row is expected");
        var expected = table.Columns.Select(c => c.Name).ToArray();
        if (!header.SequenceEqual(expected, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"{file}: the header is '{string.Join(',', header)}'; the contract (docs/synthetic-city.md) says '{string.Join(',', expected)}'");
        }

        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = $"INSERT INTO \"{table.Name}\" ({string.Join(", ", expected.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", expected.Select((_, i) => $"$p{i}"))})";
        var parameters = expected.Select((_, i) => insert.Parameters.Add($"$p{i}", SqliteType.Text)).ToArray();
        await insert.PrepareAsync(cancellationToken);
        long rows = 0;
        while (csv.ReadRecord() is { } record)
        {
            if (record is [""])
            {
                continue; // a blank line, such as the one after the last record
            }
            if (record.Count != expected.Length)
            {
                throw new InvalidDataException($"{file} line {csv.Line}: {record.Count} fields where the header has {expected.Length}");
            }
            for (var i = 0; i < parameters.Length; i++)
            {
                parameters[i].Value = record[i];
            }
            await insert.ExecuteNonQueryAsync(cancellationToken);
            rows++;
        }
        return rows;
    }

    /// <summary>Rows of one table matching a filter, in <paramref name="orderBy"/> order, as JSON objects in the file's column order.</summary>
    public async Task<List<StoredRow>> ListAsync(string table, Filter filter, string orderBy, int limit, long offset, CancellationToken cancellationToken)
    {
        var spec = _tables[table];
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT row_id, {string.Join(", ", spec.Columns.Select(c => $"\"{c.Name}\""))} FROM \"{table}\"{filter.Where(command)} ORDER BY {orderBy} LIMIT {limit} OFFSET {offset}";
        var rows = new List<StoredRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var row = new JsonObject();
            for (var i = 0; i < spec.Columns.Count; i++)
            {
                row[spec.Columns[i].Name] = Value(spec.Columns[i].Kind, reader.IsDBNull(i + 1) ? "" : reader.GetString(i + 1));
            }
            rows.Add(new StoredRow(reader.GetInt64(0), row));
        }
        return rows;
    }

    /// <summary>The first row (in file order) whose key column holds the value, or null.</summary>
    public async Task<JsonObject?> FindAsync(string table, string column, string value, CancellationToken cancellationToken) =>
        (await ListAsync(table, new Filter().Equal(column, value), "row_id", 1, 0, cancellationToken)).FirstOrDefault()?.Fields;

    public async Task<long> CountAsync(string table, Filter filter, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM \"{table}\"{filter.Where(command)}";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static JsonNode? Value(ColumnKind kind, string text)
    {
        if (text.Length == 0)
        {
            return null;
        }
        return kind switch
        {
            ColumnKind.Integer when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
            ColumnKind.Decimal when decimal.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
            _ => JsonValue.Create(text),
        };
    }
}

/// <summary>A stored row: its position in the table (file order, used by cursors, never served) and its values.</summary>
internal sealed record StoredRow(long RowId, JsonObject Fields);

/// <summary>A WHERE clause built from trusted column names and parameterised values.</summary>
internal sealed class Filter
{
    private readonly List<(string Sql, object[] Values)> _conditions = [];

    public Filter Equal(string column, string? value) => value is null ? this : Add($"\"{column}\" = {{0}}", value);

    public Filter AtLeast(string column, string? value) => value is null ? this : Add($"\"{column}\" >= {{0}}", value);

    public Filter Below(string column, string? value) => value is null ? this : Add($"\"{column}\" < {{0}}", value);

    public Filter Greater(string column, string? value) => value is null ? this : Add($"\"{column}\" > {{0}}", value);

    public Filter AtMost(string column, string? value) => value is null ? this : Add($"\"{column}\" <= {{0}}", value);

    /// <summary>A range on an integer column; stored text that is not an integer (SQLite orders text after numbers) never matches.</summary>
    public Filter AtLeastNumber(string column, long? value) => value is null ? this : Add($"\"{column}\" >= {{0}} AND typeof(\"{column}\") = 'integer'", value.Value);

    public Filter BelowNumber(string column, long? value) => value is null ? this : Add($"\"{column}\" < {{0}}", value.Value);

    public Filter AfterRow(long? rowId) => rowId is null ? this : Add("row_id > {0}", rowId.Value);

    /// <summary>Keyset position: rows after (<paramref name="column"/>, <paramref name="tieBreaker"/>) in that order.</summary>
    public Filter After(string column, string tieBreaker, string value, string? tieValue) => tieValue is null
        ? Add($"\"{column}\" >= {{0}}", value)
        : Add($"(\"{column}\" > {{0}} OR (\"{column}\" = {{0}} AND \"{tieBreaker}\" > {{1}}))", value, tieValue);

    private Filter Add(string sql, params object[] values)
    {
        _conditions.Add((sql, values));
        return this;
    }

    public string Where(SqliteCommand command)
    {
        if (_conditions.Count == 0)
        {
            return "";
        }
        var parts = new List<string>();
        foreach (var (sql, values) in _conditions)
        {
            var names = values.Select(v =>
            {
                var name = $"$f{command.Parameters.Count}";
                command.Parameters.AddWithValue(name, v);
                return (object)name;
            }).ToArray();
            parts.Add(string.Format(CultureInfo.InvariantCulture, sql, names));
        }
        return " WHERE " + string.Join(" AND ", parts);
    }
}

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
    /// <summary>Which files, as they were then, the database was loaded from.</summary>
    private const string SourceTable = "citybrain_loaded_from";

    private readonly string _connectionString;
    private readonly Dictionary<string, Table> _tables;

    private DepartmentDatabase(string path, IEnumerable<Table> tables)
    {
        _connectionString = ReadOnly(path);
        _tables = tables.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    private sealed record SourceFile(string File, long Length, long Modified);

    private static string ReadOnly(string path) =>
        new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = true }.ToString();

    /// <summary>
    /// Opens the department's database, loading it first if it does not exist yet or its files changed since (a city
    /// generated again): into a temporary file, in one transaction, renamed into place only when complete, so that a
    /// half-loaded database is never used. A later start with the same files, or with none, reuses the database.
    /// </summary>
    public static async Task<DepartmentDatabase> OpenOrLoadAsync(string sourceDirectory, string databasePath, IReadOnlyList<Table> tables,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        var source = Fingerprint(sourceDirectory, tables);
        if (!File.Exists(databasePath) || (source is not null && !source.SequenceEqual(await LoadedFromAsync(databasePath, cancellationToken))))
        {
            await LoadAsync(sourceDirectory, databasePath, tables, source, progress, cancellationToken);
        }
        return new DepartmentDatabase(databasePath, tables);
    }

    /// <summary>Name, length and write time of each department file, or null when the files are not all there.</summary>
    private static List<SourceFile>? Fingerprint(string sourceDirectory, IReadOnlyList<Table> tables)
    {
        var files = tables.Select(t => new FileInfo(Path.Combine(sourceDirectory, t.FileName))).ToList();
        return files.All(f => f.Exists) ? files.Select(f => new SourceFile(f.Name, f.Length, f.LastWriteTimeUtc.Ticks)).ToList() : null;
    }

    private static async Task<List<SourceFile>> LoadedFromAsync(string databasePath, CancellationToken cancellationToken)
    {
        var loaded = new List<SourceFile>();
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT name FROM sqlite_master WHERE type = 'table' AND name = '{SourceTable}'";
        if (await command.ExecuteScalarAsync(cancellationToken) is null)
        {
            return loaded;
        }
        command.CommandText = $"SELECT file, length, modified FROM {SourceTable} ORDER BY position";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            loaded.Add(new SourceFile(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }
        return loaded;
    }

    private static async Task LoadAsync(string sourceDirectory, string databasePath, IReadOnlyList<Table> tables, List<SourceFile>? source,
        IProgress<string>? progress, CancellationToken cancellationToken)
    {
        if (source is null)
        {
            var missing = tables.Select(t => Path.Combine(sourceDirectory, t.FileName)).First(f => !File.Exists(f));
            throw new FileNotFoundException($"the department file {missing} is missing", missing);
        }
        var code = Path.GetFileNameWithoutExtension(databasePath);
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
                    var rows = await LoadTableAsync(connection, transaction, Path.Combine(sourceDirectory, table.FileName), table, cancellationToken);
                    progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{code}: {table.FileName} loaded, {rows:N0} rows"));
                }
                await using (var record = connection.CreateCommand())
                {
                    record.Transaction = transaction;
                    record.CommandText = $"CREATE TABLE {SourceTable} (position INTEGER PRIMARY KEY, file TEXT NOT NULL, length INTEGER NOT NULL, modified INTEGER NOT NULL)";
                    await record.ExecuteNonQueryAsync(cancellationToken);
                    record.CommandText = $"INSERT INTO {SourceTable} (file, length, modified) VALUES ($file, $length, $modified)";
                    foreach (var file in source)
                    {
                        record.Parameters.Clear();
                        record.Parameters.AddWithValue("$file", file.File);
                        record.Parameters.AddWithValue("$length", file.Length);
                        record.Parameters.AddWithValue("$modified", file.Modified);
                        await record.ExecuteNonQueryAsync(cancellationToken);
                    }
                }
                await transaction.CommitAsync(cancellationToken);
            }
            // Synchronous writes were off: put the whole file on disk before it takes the database's name.
            await using (var written = new FileStream(temporary, FileMode.Open, FileAccess.ReadWrite))
            {
                written.Flush(flushToDisk: true);
            }
            File.Move(temporary, databasePath, overwrite: true);
            // Pooled connections of an earlier start in this process still read the replaced file.
            using var pooled = new SqliteConnection(ReadOnly(databasePath));
            SqliteConnection.ClearPool(pooled);
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

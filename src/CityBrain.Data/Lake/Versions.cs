using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;

namespace CityBrain.Data.Lake;

/// <summary>One committed version of a dataset with its lineage: where it came from, under which grant, when.</summary>
internal sealed record DatasetVersion(
    string Dataset,
    long Version,
    string TableName,
    IReadOnlyList<string> Columns,
    long RowCount,
    long AddedRows,
    string Mode,
    string? SourceSystem,
    string? SourceInterface,
    string? GrantId,
    string? FileName,
    string? Watermark,
    DateTimeOffset LoadedAt);

/// <summary>Where a load came from, recorded with the version it makes.</summary>
internal sealed record Lineage(string Mode, string? SourceSystem = null, string? SourceInterface = null, string? GrantId = null, string? FileName = null);

/// <summary>A load under way: its table, not yet visible, and how far it got (the paging state), so a killed load resumes.</summary>
/// <param name="ParquetFile">For an upload kept as a Parquet file: the file, which <see cref="PendingLoad.StagingTable"/> (a view) reads.</param>
internal sealed record PendingLoad(string Dataset, long Version, string StagingTable, string Mode, IReadOnlyList<string> Columns, string? State, long Rows, string? ParquetFile = null);

/// <summary>
/// The version life cycle on a write connection: start (or find) a pending load, append pages (each page and
/// the paging state in one transaction), commit (switch the view and record the version in one transaction).
/// </summary>
internal static class Versions
{
    public static DatasetVersion? Current(DbConnection connection, string dataset) =>
        Read(connection, "WHERE dataset = $1 ORDER BY version DESC LIMIT 1", dataset).FirstOrDefault();

    public static IReadOnlyList<DatasetVersion> Latest(DbConnection connection) =>
        Read(connection, "WHERE (dataset, version) IN (SELECT dataset, max(version) FROM lake_versions GROUP BY dataset) ORDER BY dataset");

    public static IReadOnlyList<DatasetVersion> History(DbConnection connection, string dataset) =>
        Read(connection, "WHERE dataset = $1 ORDER BY version", dataset);

    public static PendingLoad? Pending(DbConnection connection, string dataset)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT version, staging_table, mode, state, rows FROM lake_loads WHERE dataset = $1";
        AddParameter(command, dataset);
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        var table = reader.GetString(1);
        return new PendingLoad(dataset, reader.GetInt64(0), table, reader.GetString(2), Columns(connection, table), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetInt64(4));
    }

    /// <summary>
    /// Creates the next version's table, empty for a full load or a copy of the current version for an
    /// incremental one; it stays invisible until <see cref="Commit"/>.
    /// </summary>
    public static PendingLoad Start(DuckDBConnection connection, string dataset, IReadOnlyList<string> columns, string mode, DatasetVersion? basedOn, DateTimeOffset now)
    {
        var version = (basedOn?.Version ?? (long?)Lake.Scalar(connection, "SELECT max(version) FROM lake_versions WHERE dataset = $1", null, dataset) ?? 0) + 1;
        var table = Lake.VersionTable(dataset, version);
        using var tx = connection.BeginTransaction();
        Drop(connection, table, tx);
        Lake.Execute(connection, $"CREATE TABLE {table} ({string.Join(", ", columns.Select(c => Lake.Quote(c) + " VARCHAR"))})", tx);
        if (basedOn is not null)
        {
            Lake.Execute(connection, $"INSERT INTO {table} SELECT {string.Join(", ", columns.Select(Lake.Quote))} FROM {basedOn.TableName}", tx);
        }
        var rows = basedOn?.RowCount ?? 0;
        Lake.Execute(connection, "DELETE FROM lake_loads WHERE dataset = $1", tx, dataset);
        Lake.Execute(connection, "INSERT INTO lake_loads VALUES ($1, $2, $3, $4, NULL, $5, $6)", tx, dataset, version, table, mode, rows, now.UtcDateTime);
        tx.Commit();
        return new PendingLoad(dataset, version, table, mode, columns, null, rows);
    }

    /// <summary>
    /// Starts an uploaded version kept as a Parquet file beside the lake file (<see cref="PendingLoad.ParquetFile"/>):
    /// the caller writes the file, <see cref="ReadFile"/> puts a view named like a version table over it, every column
    /// as text. The file is the version's storage: copying the rows into a DuckDB table costs more than the whole
    /// upload's parsing (docs/benchmarks.md). Until <see cref="Commit"/> switches the dataset's view to it, it is as
    /// invisible as a table being filled.
    /// </summary>
    public static PendingLoad StartFile(DuckDBConnection connection, string dataset, IReadOnlyList<string> columns, DateTimeOffset now)
    {
        var version = ((long?)Lake.Scalar(connection, "SELECT max(version) FROM lake_versions WHERE dataset = $1", null, dataset) ?? 0) + 1;
        var table = Lake.VersionTable(dataset, version);
        using var tx = connection.BeginTransaction();
        Drop(connection, table, tx);
        Lake.Execute(connection, "DELETE FROM lake_loads WHERE dataset = $1", tx, dataset);
        Lake.Execute(connection, "INSERT INTO lake_loads VALUES ($1, $2, $3, 'upload', NULL, 0, $4)", tx, dataset, version, table, now.UtcDateTime);
        tx.Commit();
        return new PendingLoad(dataset, version, table, "upload", columns, null, 0, Lake.VersionFile(LakeFile(connection, null), table));
    }

    /// <summary>Puts the version's view over its written Parquet file.</summary>
    public static void ReadFile(DuckDBConnection connection, PendingLoad load) =>
        Lake.Execute(connection, $"CREATE OR REPLACE VIEW {load.StagingTable} AS SELECT {string.Join(", ", load.Columns.Select(c => $"CAST({Lake.Quote(c)} AS VARCHAR) AS {Lake.Quote(c)}"))} FROM read_parquet({Lake.Literal(load.ParquetFile!)})");

    /// <summary>
    /// Points every committed upload's view at its file beside this lake file. The views name their files by absolute
    /// path (DuckDB resolves a relative one against the process's folder), so a data folder moved or restored elsewhere
    /// is re-pointed when the lake opens.
    /// </summary>
    public static void RepointFiles(DuckDBConnection connection)
    {
        var lakeFile = LakeFile(connection, null);
        var stale = new List<(string Table, string Dataset, long Version, string[] Columns)>();
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                SELECT v.table_name, v.dataset, v.version, v.columns, w.sql FROM lake_versions v
                JOIN duckdb_views() w ON w.view_name = v.table_name AND w.database_name = current_database()
                """;
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                if (!reader.GetString(4).Contains(Lake.Literal(Lake.VersionFile(lakeFile, reader.GetString(0))), StringComparison.Ordinal))
                {
                    stale.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2), JsonSerializer.Deserialize<string[]>(reader.GetString(3))!));
                }
            }
        }
        foreach (var (table, dataset, version, columns) in stale)
        {
            ReadFile(connection, new PendingLoad(dataset, version, table, "upload", columns, null, 0, Lake.VersionFile(lakeFile, table)));
        }
    }

    /// <summary>Appends one page and the paging state after it, atomically: a resumed load neither skips nor repeats a page.</summary>
    public static PendingLoad AppendPage(DuckDBConnection connection, PendingLoad load, IReadOnlyList<string?[]> rows, string? stateAfter)
    {
        using var tx = connection.BeginTransaction();
        using (var appender = connection.CreateAppender(load.StagingTable))
        {
            foreach (var row in rows)
            {
                var appended = appender.CreateRow();
                foreach (var value in row)
                {
                    appended.AppendValue(value);
                }
                appended.EndRow();
            }
        }
        var total = load.Rows + rows.Count;
        Lake.Execute(connection, "UPDATE lake_loads SET state = $1, rows = $2 WHERE dataset = $3", tx, stateAfter, total, load.Dataset);
        tx.Commit();
        return load with { State = stateAfter, Rows = total };
    }

    /// <summary>Makes the load the current version: the view switch and the version record in one transaction.</summary>
    /// <remarks>The profile index (records by resident ID or credit code) is rebuilt for the dataset in the same transaction.</remarks>
    public static DatasetVersion Commit(DuckDBConnection connection, PendingLoad load, Lineage lineage, long addedRows, string? watermark,
        IReadOnlyDictionary<string, string> subjects, DateTimeOffset now)
    {
        var rowCount = Convert.ToInt64(Lake.Scalar(connection, $"SELECT count(*) FROM {load.StagingTable}"), CultureInfo.InvariantCulture);
        var version = new DatasetVersion(load.Dataset, load.Version, load.StagingTable, load.Columns, rowCount, addedRows, lineage.Mode,
            lineage.SourceSystem, lineage.SourceInterface, lineage.GrantId, lineage.FileName, watermark, now);
        using var tx = connection.BeginTransaction();
        Lake.Execute(connection, $"CREATE OR REPLACE VIEW {Lake.ViewName(load.Dataset)} AS SELECT * FROM {load.StagingTable}", tx);
        Lake.Execute(connection, "INSERT INTO lake_versions VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)", tx,
            version.Dataset, version.Version, version.TableName, JsonSerializer.Serialize(version.Columns), version.RowCount, version.AddedRows,
            version.Mode, version.SourceSystem, version.SourceInterface, version.GrantId, version.FileName, version.Watermark, now.UtcDateTime);
        Lake.Execute(connection, "DELETE FROM lake_loads WHERE dataset = $1", tx, load.Dataset);
        Lake.Execute(connection, "DELETE FROM profile_index WHERE dataset = $1", tx, load.Dataset);
        foreach (var (kind, column) in subjects)
        {
            Lake.Execute(connection, $"INSERT INTO profile_index SELECT $1, upper({Lake.Quote(column)}), $2, $3, $4, to_json(t)::VARCHAR FROM {load.StagingTable} t WHERE {Lake.Quote(column)} IS NOT NULL ORDER BY 2",
                tx, kind, load.Dataset, load.Version, now.UtcDateTime);
        }
        tx.Commit();
        return version;
    }

    /// <summary>Drops a load that must not become a version (bad input, drift): nothing of it stays.</summary>
    public static void Abandon(DuckDBConnection connection, PendingLoad load)
    {
        using var tx = connection.BeginTransaction();
        Drop(connection, load.StagingTable, tx);
        Lake.Execute(connection, "DELETE FROM lake_loads WHERE dataset = $1", tx, load.Dataset);
        tx.Commit();
    }

    /// <summary>Drops a version that never became visible: its table, or its view and the Parquet file beside the lake.</summary>
    private static void Drop(DuckDBConnection connection, string table, DbTransaction tx)
    {
        var isView = Convert.ToInt64(Lake.Scalar(connection, "SELECT count(*) FROM duckdb_views() WHERE view_name = $1", tx, table), CultureInfo.InvariantCulture) > 0;
        Lake.Execute(connection, isView ? $"DROP VIEW {table}" : $"DROP TABLE IF EXISTS {table}", tx);
        File.Delete(Lake.VersionFile(LakeFile(connection, tx), table));
    }

    private static string LakeFile(DuckDBConnection connection, DbTransaction? tx) =>
        (string)Lake.Scalar(connection, "SELECT path FROM duckdb_databases() WHERE database_name = current_database()", tx)!;

    public static IReadOnlyList<string> Columns(DbConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position";
        AddParameter(command, table);
        using var reader = command.ExecuteReader();
        var columns = new List<string>();
        while (reader.Read())
        {
            columns.Add(reader.GetString(0));
        }
        return columns;
    }

    private static IReadOnlyList<DatasetVersion> Read(DbConnection connection, string where, params object[] parameters)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT dataset, version, table_name, columns, row_count, added_rows, mode, source_system, source_interface, grant_id, file_name, watermark, loaded_at FROM lake_versions " + where;
        foreach (var parameter in parameters)
        {
            AddParameter(command, parameter);
        }
        using var reader = command.ExecuteReader();
        var versions = new List<DatasetVersion>();
        while (reader.Read())
        {
            versions.Add(new DatasetVersion(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), JsonSerializer.Deserialize<string[]>(reader.GetString(3))!,
                reader.GetInt64(4), reader.GetInt64(5), reader.GetString(6), Text(reader, 7), Text(reader, 8), Text(reader, 9), Text(reader, 10), Text(reader, 11),
                new DateTimeOffset(DateTime.SpecifyKind(reader.GetDateTime(12), DateTimeKind.Utc))));
        }
        return versions;
    }

    private static string? Text(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static void AddParameter(DbCommand command, object value)
    {
        var parameter = command.CreateParameter();
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

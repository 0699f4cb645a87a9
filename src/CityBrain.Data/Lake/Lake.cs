using System.Data.Common;
using System.Globalization;
using DuckDB.NET.Data;

namespace CityBrain.Data.Lake;

/// <summary>
/// The data lake: one embedded DuckDB file (DATA/lake/lake.duckdb). Each dataset version is its own table
/// (<c>ds_gaj_rk_v3</c>); the dataset's view (<c>gaj_rk</c>) points at the current one. A load fills a staging
/// table and switches the view in one transaction, so readers see the old version or the new one, never half.
/// DuckDB allows one writing process per file; inside this process connections share one database instance,
/// and writes go through <see cref="WriteAsync{T}"/> one at a time.
/// </summary>
internal sealed class Lake : IDisposable
{
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly string _connectionString;

    public Lake(string lakeDirectory)
    {
        Directory.CreateDirectory(lakeDirectory);
        FilePath = Path.Combine(lakeDirectory, "lake.duckdb");
        Directory.CreateDirectory(Path.Combine(lakeDirectory, VersionFilesFolder));
        _connectionString = "Data Source=" + FilePath;
        using var connection = new DuckDBConnection(_connectionString);
        try
        {
            connection.Open();
        }
        catch (DuckDBException e) when (e.Message.Contains("lock", StringComparison.OrdinalIgnoreCase))
        {
            // DuckDB lets one process at a time open the file: a second one (a CLI verb beside a running serve) is told so, not crashed.
            throw new Kernel.Errors.ProblemException(409, "The lake is in use", $"the lake {FilePath} is open in another process (a running citybrain serve on this data folder?); stop it, or wait until it lets go of the lake, and try again");
        }
        Execute(connection, LakeSchema.Sql);
        // Quality and classification keep their tables beside the datasets they judge (docs/data-quality.md).
        Execute(connection, Quality.QualityStore.Schema);
        Execute(connection, Classification.ClassificationStore.Schema);
        Versions.RepointFiles(connection);
    }

    public string FilePath { get; }

    /// <summary>The folder beside the lake file where uploaded versions are kept as Parquet files (docs/data.md).</summary>
    private const string VersionFilesFolder = "versions";

    /// <summary>The Parquet file of an uploaded version, beside the lake file: <c>versions/ds_gaj_rk_v3.parquet</c>.</summary>
    public static string VersionFile(string lakeFilePath, string versionTable) =>
        Path.Combine(Path.GetDirectoryName(lakeFilePath)!, VersionFilesFolder, versionTable + ".parquet");

    /// <summary>
    /// A connection for reading: the dataset views (<c>gaj_rk</c>), the standard views (<c>std_person</c>) and the
    /// metadata tables (<c>lake_versions</c>). This is what the quality and classification code uses. Dispose it.
    /// </summary>
    public async Task<DuckDBConnection> OpenReadConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new DuckDBConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>Runs one write at a time on its own connection.</summary>
    public async Task<T> WriteAsync<T>(Func<DuckDBConnection, Task<T>> write, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            await using var connection = new DuckDBConnection(_connectionString);
            await connection.OpenAsync(cancellationToken);
            return await write(connection);
        }
        finally
        {
            _writer.Release();
        }
    }

    public static void Execute(DbConnection connection, string sql, DbTransaction? transaction = null, params object?[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var value in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        command.ExecuteNonQuery();
    }

    public static object? Scalar(DbConnection connection, string sql, DbTransaction? transaction = null, params object?[] parameters)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var value in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        var result = command.ExecuteScalar();
        return result is DBNull ? null : result;
    }

    /// <summary><c>gaj.rk</c> → <c>gaj_rk</c>: the view name of a dataset code.</summary>
    public static string ViewName(string datasetCode) => datasetCode.Replace('.', '_');

    /// <summary>A SQL string literal, for the places DuckDB takes no parameter (a file path in a view).</summary>
    public static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public static string VersionTable(string datasetCode, long version) =>
        "ds_" + ViewName(datasetCode) + "_v" + version.ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _writer.Dispose();
}

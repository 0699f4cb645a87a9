using System.Data.Common;
using CityBrain.Kernel.Storage;
using Microsoft.Data.Sqlite;

namespace CityBrain.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode. synchronous=NORMAL keeps every committed transaction
/// across a killed process (only an OS crash can lose the last ones), at a fraction of FULL's cost.
/// </summary>
public sealed class SqliteOperationalStore : IOperationalStore
{
    private readonly string _connectionString;
    private readonly string _path;

    public SqliteOperationalStore(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _path = Path.GetFullPath(path);
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    public SqlDialect Dialect => SqlDialect.Sqlite;

    public string Description => $"SQLite {_path}";

    public async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000; PRAGMA foreign_keys=ON;";
        await command.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    // BeginTransaction in Microsoft.Data.Sqlite is BEGIN IMMEDIATE: the writer lock is already held.
    public Task LockAsync(DbTransaction transaction, string resource, CancellationToken cancellationToken) => Task.CompletedTask;
}

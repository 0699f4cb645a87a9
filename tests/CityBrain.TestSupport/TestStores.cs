using CityBrain.Kernel.Storage;
using CityBrain.Storage.Postgres;
using CityBrain.Storage.Sqlite;

namespace CityBrain.TestSupport;

/// <summary>A fresh, empty operational store of one kind, removed on dispose.</summary>
public sealed class TestStore(IOperationalStore store, string kind, string connection, string? directory) : IAsyncDisposable
{
    public IOperationalStore Store { get; } = store;

    /// <summary>"sqlite" or "postgres".</summary>
    public string Kind { get; } = kind;

    /// <summary>The SQLite file path or the PostgreSQL connection string, as <c>--store</c> takes it.</summary>
    public string Connection { get; } = connection;

    public async ValueTask DisposeAsync()
    {
        if (Store is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        if (directory is not null)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
                // Left for the OS's temp cleaner.
            }
        }
    }
}

/// <summary>Every suite that touches the store runs against both providers.</summary>
public static class TestStores
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    public static TheoryData<string> Kinds => new(Sqlite, Postgres);

    public static async Task<TestStore> CreateAsync(string kind, CancellationToken cancellationToken = default)
    {
        switch (kind)
        {
            case Sqlite:
                var directory = Path.Combine(Path.GetTempPath(), "citybrain-test-" + Guid.NewGuid().ToString("N")[..12]);
                Directory.CreateDirectory(directory);
                var path = Path.Combine(directory, "citybrain.db");
                return new TestStore(new SqliteOperationalStore(path), kind, path, directory);
            case Postgres:
                var connection = await PostgresServer.Instance.CreateDatabaseAsync(cancellationToken);
                return new TestStore(new PostgresOperationalStore(connection), kind, connection, null);
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, "sqlite or postgres");
        }
    }

    /// <summary>Creates the store and applies the given migrations.</summary>
    public static async Task<TestStore> CreateMigratedAsync(string kind, IEnumerable<IMigrationSet> migrations, CancellationToken cancellationToken = default)
    {
        var store = await CreateAsync(kind, cancellationToken);
        await MigrationRunner.ApplyAsync(store.Store, migrations, TimeProvider.System, cancellationToken);
        return store;
    }

    /// <summary>A raw connection to a store given as <c>--store</c> takes it (sqlite:PATH or a PostgreSQL string), to tamper with it as an attacker would.</summary>
    public static async Task<System.Data.Common.DbConnection> OpenConnectionAsync(string storeConnection)
    {
        System.Data.Common.DbConnection connection = storeConnection.StartsWith("sqlite:", StringComparison.Ordinal)
            ? new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={storeConnection["sqlite:".Length..]};Pooling=false")
            : new Npgsql.NpgsqlConnection(storeConnection);
        await connection.OpenAsync();
        return connection;
    }
}

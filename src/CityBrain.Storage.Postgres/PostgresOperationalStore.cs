using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using CityBrain.Kernel.Storage;
using Npgsql;

namespace CityBrain.Storage.Postgres;

/// <summary>The shared store for several nodes. One <see cref="NpgsqlDataSource"/> per process, as Npgsql advises.</summary>
public sealed class PostgresOperationalStore : IOperationalStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresOperationalStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(ToKeyValueForm(connectionString));
        Description = $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    public SqlDialect Dialect => SqlDialect.Postgres;

    public string Description { get; }

    public async ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    public async Task LockAsync(DbTransaction transaction, string resource, CancellationToken cancellationToken)
    {
        await using var command = ((NpgsqlTransaction)transaction).Connection!.CreateCommand();
        command.Transaction = (NpgsqlTransaction)transaction;
        command.CommandText = "SELECT pg_advisory_xact_lock(@key)";
        command.Parameters.AddWithValue("key", BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(resource)), 0));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>Accepts both <c>postgresql://user:pass@host:port/db</c> URIs and Npgsql key=value strings.</summary>
    public static string ToKeyValueForm(string connectionString)
    {
        if (!connectionString.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) &&
            !connectionString.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return connectionString;
        }
        var uri = new Uri(connectionString);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.Port > 0 ? uri.Port : 5432,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
        };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }
        return builder.ConnectionString;
    }
}

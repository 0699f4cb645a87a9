using CityBrain.Kernel.Storage;
using CityBrain.Storage.Postgres;
using CityBrain.Storage.Sqlite;

namespace CityBrain.Host;

/// <summary>Picks the store provider at run time from the connection the operator gave.</summary>
public static class OperationalStoreFactory
{
    /// <summary>
    /// No connection: SQLite at <c>DATA/citybrain.db</c>. <c>postgres://…</c>, <c>postgresql://…</c> or an Npgsql
    /// key=value string (<c>Host=…</c>): PostgreSQL. <c>sqlite:PATH</c> or a path ending in .db: SQLite there.
    /// </summary>
    public static IOperationalStore Create(string? connection, string dataDirectory)
    {
        if (string.IsNullOrWhiteSpace(connection))
        {
            return new SqliteOperationalStore(Path.Combine(dataDirectory, "citybrain.db"));
        }
        if (connection.StartsWith("sqlite:", StringComparison.OrdinalIgnoreCase))
        {
            return new SqliteOperationalStore(connection["sqlite:".Length..]);
        }
        if (connection.EndsWith(".db", StringComparison.OrdinalIgnoreCase) && !connection.Contains('=', StringComparison.Ordinal))
        {
            return new SqliteOperationalStore(connection);
        }
        if (connection.StartsWith("postgres", StringComparison.OrdinalIgnoreCase) || connection.Contains("Host=", StringComparison.OrdinalIgnoreCase))
        {
            return new PostgresOperationalStore(connection);
        }
        throw new ArgumentException("--store takes postgresql://user@host:port/db, an Npgsql connection string (Host=...), or sqlite:PATH");
    }
}

using System.Data.Common;

namespace CityBrain.Kernel.Storage;

public enum SqlDialect
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The operational store (registry, grants, tasks, ledger, audit): SQLite embedded, PostgreSQL at scale.
/// Modules write SQL that runs on both; where the dialects differ a migration carries both texts.
/// Timestamps are stored as Unix milliseconds (BIGINT) so that comparisons mean the same on both.
/// </summary>
public interface IOperationalStore
{
    SqlDialect Dialect { get; }

    /// <summary>Where the store is, without secrets: safe to log and show.</summary>
    string Description { get; }

    ValueTask<DbConnection> OpenConnectionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Serialises writers of <paramref name="resource"/> across every node until <paramref name="transaction"/> ends
    /// (PostgreSQL advisory lock; SQLite transactions are already exclusive writers).
    /// </summary>
    Task LockAsync(DbTransaction transaction, string resource, CancellationToken cancellationToken);
}

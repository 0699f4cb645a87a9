using System.Data.Common;

namespace CityBrain.Kernel.Storage;

/// <summary>Applies pending migrations in order, each in its own transaction, once across all nodes.</summary>
public static class MigrationRunner
{
    /// <summary>Answers how many migrations this call applied (0 when the schema was already current).</summary>
    public static async Task<int> ApplyAsync(IOperationalStore store, IEnumerable<IMigrationSet> sets, TimeProvider time, CancellationToken cancellationToken)
    {
        var migrations = sets.SelectMany(s => s.Migrations).OrderBy(m => m.Module, StringComparer.Ordinal).ThenBy(m => m.Version).ToList();
        // Two steps with one version would apply only the first, the other skipped silently as "already applied".
        var duplicate = migrations.GroupBy(m => (m.Module, m.Version)).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Module '{duplicate.Key.Module}' declares version {duplicate.Key.Version} more than once: {string.Join(", ", duplicate.Select(m => $"'{m.Name}'"))}.");
        }

        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        // Under the lock too: PostgreSQL's CREATE TABLE IF NOT EXISTS is not safe against a node creating the table at the same moment.
        await using (var setup = await connection.BeginTransactionAsync(cancellationToken))
        {
            await store.LockAsync(setup, "schema_migrations", cancellationToken);
            await ExecuteAsync(connection, setup,
                "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (module, version))",
                cancellationToken);
            await setup.CommitAsync(cancellationToken);
        }

        var applied = 0;
        foreach (var migration in migrations)
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await store.LockAsync(transaction, "schema_migrations", cancellationToken);
            await using (var check = connection.CreateCommand())
            {
                check.Transaction = transaction;
                check.CommandText = "SELECT COUNT(*) FROM schema_migrations WHERE module = @module AND version = @version";
                AddParameter(check, "module", migration.Module);
                AddParameter(check, "version", migration.Version);
                if (Convert.ToInt64(await check.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) > 0)
                {
                    await transaction.RollbackAsync(cancellationToken);
                    continue;
                }
            }
            await ExecuteAsync(connection, transaction, migration.SqlFor(store.Dialect), cancellationToken);
            await using (var record = connection.CreateCommand())
            {
                record.Transaction = transaction;
                record.CommandText = "INSERT INTO schema_migrations (module, version, name, applied_at) VALUES (@module, @version, @name, @at)";
                AddParameter(record, "module", migration.Module);
                AddParameter(record, "version", migration.Version);
                AddParameter(record, "name", migration.Name);
                AddParameter(record, "at", time.GetUtcNow().ToUnixTimeMilliseconds());
                await record.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            applied++;
        }
        return applied;
    }

    private static async Task ExecuteAsync(DbConnection connection, DbTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddParameter(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}

using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json.Nodes;
using CityBrain.Kernel.Storage;
using Dapper;

namespace CityBrain.Sensing.Entities;

/// <summary>A change to apply: the new document of an entity, or its removal.</summary>
internal sealed record EntityChange(string Id, JsonObject? Document);

/// <summary>What a write changed, for subscriptions and history: the record before and after (null when absent).</summary>
internal sealed record EntityChanged(string Tenant, EntityRecord? Before, EntityRecord? After);

/// <summary>Reacts to entity changes (notifications, temporal history), in write order.</summary>
internal interface IEntityChangeListener
{
    /// <summary>Inside the write's transaction: what must be as durable as the write itself (notification outbox, history).</summary>
    Task OnWritingAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<EntityChanged> changes, CancellationToken cancellationToken);

    /// <summary>After the commit (wakes the notification sender, say).</summary>
    void OnCommitted(IReadOnlyList<EntityChanged> changes);
}

/// <summary>
/// The broker's entities: every tenant held in memory for queries, written through to the operational store. A write
/// is acknowledged only after its transaction commits, so it survives a killed process; writes are serialised so
/// that the memory and the store see them in one order. The memory is loaded from the store on first use.
/// </summary>
internal sealed class EntityRepository(IOperationalStore store, TimeProvider time, IEnumerable<IEntityChangeListener> listeners)
{
    public const string DefaultTenant = "";

    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, EntityRecord>> _tenants = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly IEntityChangeListener[] _listeners = [.. listeners];
    private volatile bool _loaded;

    public async ValueTask<bool> TenantExistsAsync(string tenant, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return tenant == DefaultTenant || _tenants.ContainsKey(tenant);
    }

    /// <summary>
    /// The tenant's entities (empty when the tenant has none), enumerated in place: ConcurrentDictionary.Values would copy
    /// every entity into a new list on each query, a large-object allocation per request at 100,000 entities.
    /// </summary>
    public async ValueTask<IEnumerable<EntityRecord>> AllAsync(string tenant, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return _tenants.TryGetValue(tenant, out var entities) ? entities.Select(e => e.Value) : [];
    }

    public async ValueTask<EntityRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return _tenants.TryGetValue(tenant, out var entities) && entities.TryGetValue(id, out var entity) ? entity : null;
    }

    public IReadOnlyCollection<string> Tenants => [.. _tenants.Keys];

    /// <summary>
    /// Plans a write from the current state and applies it. <paramref name="plan"/> sees the state that the write will
    /// change (no other write runs meanwhile) and throws to refuse the whole request before anything is written.
    /// </summary>
    public async Task<T> WriteAsync<T>(string tenant, Func<Func<string, EntityRecord?>, (IReadOnlyList<EntityChange> Changes, T Result)> plan, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        List<EntityChanged> changed;
        T result;
        try
        {
            var entities = _tenants.TryGetValue(tenant, out var existing) ? existing : null;
            var (changes, planned) = plan(id => entities is not null && entities.TryGetValue(id, out var e) ? e : null);
            result = planned;
            if (changes.Count == 0)
            {
                return result;
            }
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            changed = new List<EntityChanged>(changes.Count);
            foreach (var change in changes)
            {
                EntityRecord? before = null;
                entities?.TryGetValue(change.Id, out before);
                changed.Add(new EntityChanged(tenant, before, change.Document is null ? null : new EntityRecord(change.Document)));
            }
            await using (var connection = await store.OpenConnectionAsync(cancellationToken))
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
            {
                if (entities is null)
                {
                    await connection.ExecuteAsync(new CommandDefinition(
                        "INSERT INTO sensing_tenants (tenant, created_at) VALUES (@tenant, @now) ON CONFLICT (tenant) DO NOTHING",
                        new { tenant, now }, transaction, cancellationToken: cancellationToken));
                }
                await PersistAsync(connection, transaction, tenant, changes, now, cancellationToken);
                foreach (var listener in _listeners)
                {
                    await listener.OnWritingAsync(connection, transaction, changed, cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
            }
            entities ??= _tenants.GetOrAdd(tenant, _ => new ConcurrentDictionary<string, EntityRecord>(StringComparer.Ordinal));
            foreach (var change in changed)
            {
                if (change.After is null)
                {
                    if (change.Before is not null)
                    {
                        entities.TryRemove(change.Before.Id, out _);
                    }
                }
                else
                {
                    entities[change.After.Id] = change.After;
                }
            }
            foreach (var listener in _listeners)
            {
                listener.OnCommitted(changed);
            }
        }
        finally
        {
            _writeLock.Release();
        }
        return result;
    }

    private static async Task PersistAsync(DbConnection connection, DbTransaction transaction, string tenant, IReadOnlyList<EntityChange> changes, long now, CancellationToken cancellationToken)
    {
        var upserts = changes.Where(c => c.Document is not null)
            .Select(c => new { tenant, id = c.Id, doc = c.Document!.ToJsonString(), now }).ToList();
        if (upserts.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sensing_entities (tenant, id, doc, modified_at) VALUES (@tenant, @id, @doc, @now) " +
                "ON CONFLICT (tenant, id) DO UPDATE SET doc = excluded.doc, modified_at = excluded.modified_at",
                upserts, transaction, cancellationToken: cancellationToken));
        }
        var deletes = changes.Where(c => c.Document is null).Select(c => new { tenant, id = c.Id }).ToList();
        if (deletes.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM sensing_entities WHERE tenant = @tenant AND id = @id", deletes, transaction, cancellationToken: cancellationToken));
        }
    }

    private async ValueTask EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_loaded)
            {
                return;
            }
            await using var connection = await store.OpenConnectionAsync(cancellationToken);
            foreach (var tenant in await connection.QueryAsync<string>(new CommandDefinition("SELECT tenant FROM sensing_tenants", cancellationToken: cancellationToken)))
            {
                _tenants.TryAdd(tenant, new ConcurrentDictionary<string, EntityRecord>(StringComparer.Ordinal));
            }
            var rows = await connection.QueryAsync<(string Tenant, string Id, string Doc)>(new CommandDefinition(
                "SELECT tenant, id, doc FROM sensing_entities", cancellationToken: cancellationToken));
            foreach (var (tenant, id, doc) in rows)
            {
                var entities = _tenants.GetOrAdd(tenant, _ => new ConcurrentDictionary<string, EntityRecord>(StringComparer.Ordinal));
                entities[id] = new EntityRecord(JsonNode.Parse(doc)!.AsObject());
            }
            _loaded = true;
        }
        finally
        {
            _writeLock.Release();
        }
    }
}

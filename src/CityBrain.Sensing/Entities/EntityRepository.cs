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
internal sealed class EntityRepository(IOperationalStore store, TimeProvider time, IEnumerable<IEntityChangeListener> listeners, Geo.PostGisGeoIndex postGis)
{
    public const string DefaultTenant = "";

    private readonly ConcurrentDictionary<string, TenantEntities> _tenants = new(StringComparer.Ordinal);
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
        return _tenants.TryGetValue(tenant, out var entities) ? entities.All.Select(e => e.Value) : [];
    }

    /// <summary>
    /// The tenant's entities of any of <paramref name="types"/> (expanded names), from the type index: a <c>type=X</c>
    /// query touches only X's entities instead of the whole tenant.
    /// </summary>
    public async ValueTask<IEnumerable<EntityRecord>> OfTypesAsync(string tenant, IReadOnlyCollection<string> types, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        if (!_tenants.TryGetValue(tenant, out var entities))
        {
            return [];
        }
        var ofTypes = types.Select(entities.OfType).Where(t => t is not null).Select(t => t!.Select(e => e.Value));
        // An entity with several of the types is in several sets: listed once.
        return types.Count == 1 ? ofTypes.SelectMany(e => e) : ofTypes.SelectMany(e => e).DistinctBy(e => e.Id, StringComparer.Ordinal);
    }

    /// <summary>
    /// The entities <paramref name="query"/> selects, looked up by id or through the type index when the query names
    /// ids or types, so that only those candidates are tested; a geo-query runs in PostGIS where the store has it.
    /// </summary>
    public async ValueTask<IEnumerable<EntityRecord>> MatchingAsync(string tenant, Queries.EntityQuery query, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        if (!_tenants.TryGetValue(tenant, out var entities))
        {
            return [];
        }
        if (query.Geo is not null && await postGis.MatchingIdsAsync(tenant, query.Geo, cancellationToken) is { } geoIds)
        {
            // PostGIS decided the geo filter; the rest of the query is tested in memory on those entities only.
            var rest = query with { Geo = null };
            return geoIds.Select(id => entities.All.TryGetValue(id, out var e) ? e : null).OfType<EntityRecord>().Where(rest.Matches);
        }
        var candidates = query switch
        {
            { Ids: { } ids } => ids.Select(id => entities.All.TryGetValue(id, out var e) ? e : null).OfType<EntityRecord>(),
            { Types: { } types } => await OfTypesAsync(tenant, types, cancellationToken),
            _ => entities.All.Select(e => e.Value),
        };
        return candidates.Where(query.Matches);
    }

    public async ValueTask<EntityRecord?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return _tenants.TryGetValue(tenant, out var entities) && entities.All.TryGetValue(id, out var entity) ? entity : null;
    }

    public IReadOnlyCollection<string> Tenants => [.. _tenants.Keys];

    /// <summary>
    /// Plans a write from the current state and applies it. <paramref name="plan"/> sees the state that the write will
    /// change (no other write runs meanwhile) and throws to refuse the whole request before anything is written. A
    /// created entity records <paramref name="writer"/> as its owner; a changed one keeps its owner.
    /// </summary>
    public async Task<T> WriteAsync<T>(string tenant, EntityWriter writer, Func<Func<string, EntityRecord?>, (IReadOnlyList<EntityChange> Changes, T Result)> plan, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        List<EntityChanged> changed;
        T result;
        try
        {
            var entities = _tenants.TryGetValue(tenant, out var existing) ? existing : null;
            var (changes, planned) = plan(id => entities is not null && entities.All.TryGetValue(id, out var e) ? e : null);
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
                entities?.All.TryGetValue(change.Id, out before);
                changed.Add(new EntityChanged(tenant, before, change.Document is null ? null : new EntityRecord(change.Document, before is null ? writer.Owner : before.Owner)));
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
                await PersistAsync(connection, transaction, tenant, changed, now, cancellationToken);
                foreach (var listener in _listeners)
                {
                    await listener.OnWritingAsync(connection, transaction, changed, cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
            }
            entities ??= _tenants.GetOrAdd(tenant, _ => new TenantEntities());
            foreach (var change in changed)
            {
                entities.Apply(change.Before, change.After);
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

    private static async Task PersistAsync(DbConnection connection, DbTransaction transaction, string tenant, IReadOnlyList<EntityChanged> changes, long now, CancellationToken cancellationToken)
    {
        var upserts = changes.Where(c => c.After is not null).Select(c => new { Entity = c.After! })
            .Select(c => new { tenant, id = c.Entity.Id, doc = c.Entity.Document.ToJsonString(), owner = c.Entity.Owner, now }).ToList();
        if (upserts.Count > 0)
        {
            // The owner is written once, with the entity; a later write never changes it.
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sensing_entities (tenant, id, doc, owner, modified_at) VALUES (@tenant, @id, @doc, @owner, @now) " +
                "ON CONFLICT (tenant, id) DO UPDATE SET doc = excluded.doc, modified_at = excluded.modified_at",
                upserts, transaction, cancellationToken: cancellationToken));
        }
        var deletes = changes.Where(c => c.After is null && c.Before is not null).Select(c => new { tenant, id = c.Before!.Id }).ToList();
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
                _tenants.TryAdd(tenant, new TenantEntities());
            }
            var rows = await connection.QueryAsync<(string Tenant, string Doc, string? Owner)>(new CommandDefinition(
                "SELECT tenant, doc, owner FROM sensing_entities", cancellationToken: cancellationToken));
            foreach (var (tenant, doc, owner) in rows)
            {
                _tenants.GetOrAdd(tenant, _ => new TenantEntities()).Apply(null, new EntityRecord(JsonNode.Parse(doc)!.AsObject(), owner));
            }
            _loaded = true;
        }
        finally
        {
            _writeLock.Release();
        }
    }
}

/// <summary>
/// One tenant's entities by id, and the same records indexed by type. Changed only under the repository's write lock;
/// readers enumerate without locks (a query running during a write sees an entity either before or after it).
/// </summary>
internal sealed class TenantEntities
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, EntityRecord>> _byType = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, EntityRecord> All { get; } = new(StringComparer.Ordinal);

    public ConcurrentDictionary<string, EntityRecord>? OfType(string type) => _byType.TryGetValue(type, out var entities) ? entities : null;

    /// <summary>Replaces <paramref name="before"/> by <paramref name="after"/> (either null); a replaced entity is never missing meanwhile.</summary>
    public void Apply(EntityRecord? before, EntityRecord? after)
    {
        if (after is not null)
        {
            All[after.Id] = after;
            foreach (var type in after.Types)
            {
                _byType.GetOrAdd(type, _ => new ConcurrentDictionary<string, EntityRecord>(StringComparer.Ordinal))[after.Id] = after;
            }
        }
        else if (before is not null)
        {
            All.TryRemove(before.Id, out _);
        }
        if (before is null)
        {
            return;
        }
        foreach (var type in before.Types)
        {
            if ((after is null || !after.Types.Contains(type, StringComparer.Ordinal)) && _byType.TryGetValue(type, out var ofType))
            {
                ofType.TryRemove(before.Id, out _);
            }
        }
    }
}

using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Data.Common;
using System.Text.Json.Nodes;
using CityBrain.Kernel.Storage;
using CityBrain.Sensing.Queries;
using Dapper;

namespace CityBrain.Sensing.Entities;

/// <summary>
/// A change to apply: the new document of an entity, or its removal. <paramref name="Earlier"/> holds the documents the
/// same write passed through before this one (a batch naming the entity several times), oldest first, so the history
/// keeps every step while the store is written once.
/// </summary>
internal sealed record EntityChange(string Id, JsonObject? Document, IReadOnlyList<JsonObject>? Earlier = null);

/// <summary>
/// What a write changed, for subscriptions and history: the record before and after (null when absent), and the
/// documents it passed through in between (<see cref="EntityChange.Earlier"/>), oldest first; only the history reads
/// them, so they stay documents (a record's query values are not built for them).
/// </summary>
internal sealed record EntityChanged(string Tenant, EntityRecord? Before, EntityRecord? After, IReadOnlyList<JsonObject> Earlier);

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
        return _tenants.TryGetValue(tenant, out var entities) ? Resolve(entities, IdsOfTypes(entities, types)) : [];
    }

    /// <summary>The entities <paramref name="query"/> selects, in no particular order (see <see cref="PageAsync"/>).</summary>
    public async ValueTask<IEnumerable<EntityRecord>> MatchingAsync(string tenant, EntityQuery query, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        if (!_tenants.TryGetValue(tenant, out var entities))
        {
            return [];
        }
        var (candidates, _, rest) = await CandidatesAsync(tenant, entities, query, cancellationToken);
        return candidates.Where(rest.Matches);
    }

    /// <summary>
    /// The page [offset, offset + limit) of the entities <paramref name="query"/> selects in <paramref name="order"/>, and
    /// how many it selects when <paramref name="count"/> is asked. Only candidates from the indexes are tested (or, for a
    /// geo-query where the store has PostGIS, the ids PostGIS selects); a page in id order over candidates read in id
    /// order stops at its last entity, and a count by type alone is the index's.
    /// </summary>
    public async ValueTask<(List<EntityRecord> Page, int? Count)> PageAsync(string tenant, EntityQuery query, EntityOrder order, int offset, int limit, bool count, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        if (!_tenants.TryGetValue(tenant, out var entities))
        {
            return ([], count ? 0 : null);
        }
        int? counted = count ? CountFromIndex(entities, query) : null;
        (var candidates, var inIdOrder, query) = await CandidatesAsync(tenant, entities, query, cancellationToken);
        if (order.IsById && inIdOrder && (!count || counted is not null))
        {
            var page = new List<EntityRecord>(Math.Min(limit, 1000));
            var skip = offset;
            foreach (var entity in candidates)
            {
                if (page.Count >= limit)
                {
                    break;
                }
                if (!query.Matches(entity))
                {
                    continue;
                }
                if (skip > 0)
                {
                    skip--;
                    continue;
                }
                page.Add(entity);
            }
            return (page, counted);
        }
        var matches = candidates.Where(query.Matches).ToList();
        return (order.Page(matches, offset, limit), count ? matches.Count : null);
    }

    /// <summary>How many entities a query by one type and nothing else selects, from the type index; null for any other query.</summary>
    private static int? CountFromIndex(TenantEntities entities, EntityQuery query) =>
        query is { Types: [var type], Ids: null, IdPattern: null, Q: null, Geo: null, Attrs: null } ? entities.OfType(type)?.Count ?? 0 : null;

    /// <summary>
    /// The candidates for <paramref name="query"/> and what is left of the query to test on each: where the store has
    /// PostGIS, a geo-query's ids come from it and only the rest of the query is tested in memory; otherwise the indexes'
    /// candidates and the whole query.
    /// </summary>
    private async ValueTask<(IEnumerable<EntityRecord> Entities, bool InIdOrder, EntityQuery Remaining)> CandidatesAsync(
        string tenant, TenantEntities entities, EntityQuery query, CancellationToken cancellationToken)
    {
        if (query.Geo is not null && await postGis.MatchingIdsAsync(tenant, query.Geo, cancellationToken) is { } geoIds)
        {
            return (Resolve(entities, geoIds), false, query with { Geo = null });
        }
        var (candidates, inIdOrder) = Candidates(entities, query);
        return (candidates, inIdOrder, query);
    }

    /// <summary>
    /// The entities worth testing against <paramref name="query"/>, from the narrowest index that applies: the ids it
    /// names, the spatial index for a geo-query, the type index, or every entity; and whether they come in id order.
    /// </summary>
    private static (IEnumerable<EntityRecord> Entities, bool InIdOrder) Candidates(TenantEntities entities, EntityQuery query)
    {
        if (query.Ids is { } ids)
        {
            return (ids.Select(id => entities.All.GetValueOrDefault(id)).OfType<EntityRecord>(), false);
        }
        if (query.Geo is { } geo && GeoCandidates(entities, geo) is { } near)
        {
            return (near, false);
        }
        // Several types: their sets are merged below, out of id order.
        var ordered = query.Types switch
        {
            [var type] => entities.OfType(type) ?? TenantEntities.None,
            null => entities.Ids,
            _ => null,
        };
        // q's attr=="text" terms that every match must satisfy: the value index's set, if smaller, replaces the type's.
        foreach (var (attribute, text) in query.Q is { } q ? EqualityTerms(q) : [])
        {
            var withText = entities.WithText(attribute, text);
            if (ordered is null || withText.Count < ordered.Count)
            {
                ordered = withText;
            }
        }
        return ordered is null ? (Resolve(entities, IdsOfTypes(entities, query.Types!)), false) : (Resolve(entities, ordered), true);
    }

    /// <summary>The <c>attribute=="text"</c> terms of a q expression that a match must satisfy (its own, or those of a conjunction).</summary>
    private static IEnumerable<(string Attribute, string Text)> EqualityTerms(QueryExpression q) => q switch
    {
        ComparisonExpression { Operator: "==", Path.IsAttributeValue: true, Value.SingleText: { } text } term => [(term.Path.Attribute, text)],
        AndExpression and => and.Terms.SelectMany(EqualityTerms),
        _ => [],
    };

    /// <summary>
    /// The one place that decides a geo-query's candidates: the entities whose GeoProperty lies in the query's search box
    /// (the spatial grid); null when the geo-query cannot narrow the search (disjoint, near with only a minimum distance).
    /// The geo-query itself then checks each candidate exactly.
    /// </summary>
    private static IEnumerable<EntityRecord>? GeoCandidates(TenantEntities entities, GeoQuery geo) =>
        geo.SearchBox() is { } box ? Resolve(entities, entities.Locations.Candidates(geo.GeoProperty, box)) : null;

    private static IEnumerable<string> IdsOfTypes(TenantEntities entities, IReadOnlyCollection<string> types) =>
        types.Count == 1
            ? entities.OfType(types.First()) ?? []
            // An entity with several of the types is in several sets: listed once.
            : types.SelectMany(t => entities.OfType(t) ?? []).Distinct(StringComparer.Ordinal);

    /// <summary>The current records of <paramref name="ids"/>; an id deleted meanwhile is skipped.</summary>
    private static IEnumerable<EntityRecord> Resolve(TenantEntities entities, IEnumerable<string> ids) =>
        ids.Select(id => entities.All.GetValueOrDefault(id)).OfType<EntityRecord>();

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
                changed.Add(new EntityChanged(tenant, before, change.Document is null ? null : new EntityRecord(change.Document, before is null ? writer.Owner : before.Owner),
                    change.Earlier ?? []));
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
/// One tenant's entities by id, with the indexes that queries use instead of reading every entity: the ids in order
/// (a page by id stops after its last entity), the ids of each type in order, and where each GeoProperty lies. Changed
/// only under the repository's write lock; readers go without locks (a query running during a write sees an entity
/// either before or after it, and checks every candidate against the whole query).
/// </summary>
internal sealed class TenantEntities
{
    private readonly ConcurrentDictionary<string, ImmutableSortedSet<string>> _byType = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Attribute, string Text), ImmutableSortedSet<string>> _byText = new();
    private volatile ImmutableSortedSet<string> _ids = None;

    public ConcurrentDictionary<string, EntityRecord> All { get; } = new(StringComparer.Ordinal);

    /// <summary>Every id, in ordinal order.</summary>
    public ImmutableSortedSet<string> Ids => _ids;

    public SpatialGrid Locations { get; } = new();

    /// <summary>The ids of the entities whose <paramref name="attribute"/> holds the string <paramref name="text"/>, in ordinal order.</summary>
    public ImmutableSortedSet<string> WithText(string attribute, string text) => _byText.TryGetValue((attribute, text), out var ids) ? ids : None;

    public static ImmutableSortedSet<string> None { get; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>The ids of the entities of <paramref name="type"/> (expanded), in ordinal order; null when none has it.</summary>
    public ImmutableSortedSet<string>? OfType(string type) => _byType.TryGetValue(type, out var ids) && ids.Count > 0 ? ids : null;

    /// <summary>The types that some entity has.</summary>
    public IEnumerable<string> Types => _byType.Where(t => t.Value.Count > 0).Select(t => t.Key);

    /// <summary>
    /// Replaces <paramref name="before"/> by <paramref name="after"/> (either null) in the entities and every index; a
    /// replaced entity is never missing meanwhile.
    /// </summary>
    public void Apply(EntityRecord? before, EntityRecord? after)
    {
        var id = (after ?? before)?.Id;
        if (id is null)
        {
            return;
        }
        if (after is not null)
        {
            if (before is not null)
            {
                after.ShareGeometries(before);
            }
            All[id] = after;
            if (before is null)
            {
                _ids = _ids.Add(id);
            }
            foreach (var type in after.Types)
            {
                if (before is null || !before.Types.Contains(type, StringComparer.Ordinal))
                {
                    _byType.AddOrUpdate(type, _ => ImmutableSortedSet.Create(StringComparer.Ordinal, id), (_, ids) => ids.Add(id));
                }
            }
        }
        // The value index changes only where a text was added or removed (an update of a reading leaves it alone).
        foreach (var text in after?.Texts ?? [])
        {
            if (before is null || !before.Texts.Contains(text))
            {
                _byText.AddOrUpdate(text, _ => ImmutableSortedSet.Create(StringComparer.Ordinal, id), (_, ids) => ids.Add(id));
            }
        }
        foreach (var text in before?.Texts ?? [])
        {
            if ((after is null || !after.Texts.Contains(text)) && _byText.TryGetValue(text, out var ids))
            {
                // A text nobody holds any more is dropped: free-text values would otherwise leave empty sets behind.
                var remaining = ids.Remove(id);
                if (remaining.IsEmpty)
                {
                    _byText.TryRemove(text, out _);
                }
                else
                {
                    _byText[text] = remaining;
                }
            }
        }
        foreach (var attribute in (after?.GeoAttributes ?? []).Union(before?.GeoAttributes ?? [], StringComparer.Ordinal))
        {
            Locations.Move(id, attribute, before?.GeometryOf(attribute)?.EnvelopeInternal, after?.GeometryOf(attribute)?.EnvelopeInternal);
        }
        if (before is null)
        {
            return;
        }
        foreach (var type in before.Types)
        {
            if ((after is null || !after.Types.Contains(type, StringComparer.Ordinal)) && _byType.TryGetValue(type, out var ofType))
            {
                _byType[type] = ofType.Remove(id);
            }
        }
        if (after is null)
        {
            _ids = _ids.Remove(id);
            All.TryRemove(id, out _);
        }
    }
}

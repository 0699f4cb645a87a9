using System.Data.Common;
using CityBrain.Kernel.Storage;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Queries;
using Dapper;
using Microsoft.Extensions.Logging;
using NetTopologySuite.IO;

namespace CityBrain.Sensing.Geo;

/// <summary>
/// The entities' GeoProperties as PostGIS geometries (SRID 4326, GIST-indexed), where the store is PostgreSQL with
/// PostGIS: written in the entity's own transaction, so no acknowledged write lacks its geometry, and asked which
/// entities a geo-query selects. On SQLite, or on a PostgreSQL without PostGIS (warned once), it is off and geo-queries
/// run in memory with NetTopologySuite. See docs/sensing.md § "Geo-queries and PostGIS".
/// </summary>
internal sealed partial class PostGisGeoIndex(IOperationalStore store, ILogger<PostGisGeoIndex> logger) : IEntityChangeListener
{
    private readonly SemaphoreSlim _enableLock = new(1, 1);
    private const int Undecided = 0, InPostGis = 1, InMemory = 2;

    // Read without the lock on every query and write: an int, written once with Volatile.
    private int _state;

    /// <summary>
    /// Ids of the tenant's entities that <paramref name="geo"/> selects, decided by PostGIS; null when PostGIS is not in
    /// use here, so that the caller tests the geometries in memory.
    /// </summary>
    public async Task<IReadOnlyList<string>?> MatchingIdsAsync(string tenant, GeoQuery geo, CancellationToken cancellationToken)
    {
        if (!await IsEnabledAsync(cancellationToken))
        {
            return null;
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<string>(new CommandDefinition(
            $"SELECT id FROM sensing_geometries WHERE tenant = @tenant AND property = @property AND {Predicate(geo)}",
            new { tenant, property = geo.GeoProperty, reference = Wkb(geo.Geometry), max = geo.MaxDistance ?? 0, min = geo.MinDistance ?? 0 },
            cancellationToken: cancellationToken));
        return ids.AsList();
    }

    /// <summary>
    /// The SQL test of one relation against <c>@reference</c>. The relations are GEOS's on longitude/latitude, as
    /// NetTopologySuite's (a port of the same JTS); near measures metres on the WGS 84 spheroid through geography,
    /// whose GIST index on <c>geom::geography</c> serves ST_DWithin.
    /// </summary>
    private static string Predicate(GeoQuery geo)
    {
        const string Reference = "ST_GeomFromWKB(@reference, 4326)";
        const string Near = "ST_DWithin(geom::geography, " + Reference + "::geography, @{0}, true)";
        return geo.Relation switch
        {
            "near" => string.Join(" AND ", new[]
            {
                geo.MaxDistance is null ? null : string.Format(System.Globalization.CultureInfo.InvariantCulture, Near, "max"),
                geo.MinDistance is null ? null : "NOT " + string.Format(System.Globalization.CultureInfo.InvariantCulture, Near, "min"),
            }.OfType<string>()),
            "within" => $"ST_Within(geom, {Reference})",
            "contains" => $"ST_Contains(geom, {Reference})",
            "intersects" => $"ST_Intersects(geom, {Reference})",
            "disjoint" => $"ST_Disjoint(geom, {Reference})",
            "equals" => $"ST_Equals(geom, {Reference})",
            "overlaps" => $"ST_Overlaps(geom, {Reference})",
            _ => throw new ArgumentOutOfRangeException(nameof(geo), geo.Relation, "not a georel"),
        };
    }

    public async Task OnWritingAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<EntityChanged> changes, CancellationToken cancellationToken)
    {
        if (!await IsEnabledAsync(cancellationToken))
        {
            return;
        }
        foreach (var byTenant in changes.GroupBy(c => c.Tenant, StringComparer.Ordinal))
        {
            var replaced = byTenant.Where(c => c.Before is not null).Select(c => c.Before!.Id).ToArray();
            if (replaced.Length > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    "DELETE FROM sensing_geometries WHERE tenant = @tenant AND id = ANY(@ids)",
                    new { tenant = byTenant.Key, ids = replaced }, transaction, cancellationToken: cancellationToken));
            }
            await InsertAsync(connection, transaction, byTenant.Key, byTenant.Select(c => c.After).OfType<EntityRecord>(), cancellationToken);
        }
    }

    public void OnCommitted(IReadOnlyList<EntityChanged> changes)
    {
    }

    /// <summary>One statement per write, whatever its size: the rows travel as arrays and are unnested by the server.</summary>
    private static async Task InsertAsync(DbConnection connection, DbTransaction transaction, string tenant, IEnumerable<EntityRecord> entities, CancellationToken cancellationToken)
    {
        var rows = entities.SelectMany(GeometriesOf).ToList();
        if (rows.Count == 0)
        {
            return;
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sensing_geometries (tenant, id, property, geom) " +
            "SELECT @tenant, r.id, r.property, ST_GeomFromWKB(r.wkb, 4326) FROM unnest(@ids, @properties, @wkbs) AS r(id, property, wkb)",
            new { tenant, ids = rows.Select(r => r.Id).ToArray(), properties = rows.Select(r => r.Property).ToArray(), wkbs = rows.Select(r => r.Wkb).ToArray() },
            transaction, cancellationToken: cancellationToken));
    }

    /// <summary>Every GeoProperty of the entity (its default instance, as the in-memory path reads it).</summary>
    private static IEnumerable<(string Id, string Property, byte[] Wkb)> GeometriesOf(EntityRecord entity) =>
        entity.AttributeNames
            .Select(name => (Name: name, Geometry: entity.GeometryOf(name)))
            .Where(g => g.Geometry is not null)
            .Select(g => (entity.Id, g.Name, Wkb(g.Geometry!)));

    private static byte[] Wkb(NetTopologySuite.Geometries.Geometry geometry) => new WKBWriter().Write(geometry);

    /// <summary>Decided once per process, at first use: PostgreSQL with PostGIS installed or installable.</summary>
    private async ValueTask<bool> IsEnabledAsync(CancellationToken cancellationToken)
    {
        var state = Volatile.Read(ref _state);
        if (state != Undecided)
        {
            return state == InPostGis;
        }
        await _enableLock.WaitAsync(cancellationToken);
        try
        {
            // A failure to reach the store throws and leaves the question open for the next call.
            if (_state == Undecided)
            {
                Volatile.Write(ref _state, store.Dialect == SqlDialect.Postgres && await EnableAsync(cancellationToken) ? InPostGis : InMemory);
            }
            return _state == InPostGis;
        }
        finally
        {
            _enableLock.Release();
        }
    }

    /// <summary>
    /// Creates the extension and the geometry table when missing, under a lock shared by every node. A table created now
    /// is filled from the entities already stored (those written before PostGIS was there), in the same transaction.
    /// </summary>
    private async Task<bool> EnableAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await store.LockAsync(transaction, "sensing_geometries", cancellationToken);
        var installed = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'postgis')", transaction: transaction, cancellationToken: cancellationToken));
        if (!installed)
        {
            var available = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'postgis')", transaction: transaction, cancellationToken: cancellationToken));
            if (!available)
            {
                LogPostGisMissing(logger, store.Description, "the server has no postgis extension (Debian: apt-get install postgresql-<major>-postgis-3)");
                return false;
            }
            try
            {
                await connection.ExecuteAsync(new CommandDefinition("CREATE EXTENSION IF NOT EXISTS postgis", transaction: transaction, cancellationToken: cancellationToken));
            }
            catch (DbException e)
            {
                // Typically 42501: only a superuser or the database owner with the right grants may create it.
                LogPostGisMissing(logger, store.Description, $"CREATE EXTENSION postgis failed ({e.SqlState}): {e.Message}");
                return false;
            }
        }
        var created = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT to_regclass('sensing_geometries') IS NULL", transaction: transaction, cancellationToken: cancellationToken));
        if (created)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                CREATE TABLE sensing_geometries (
                    tenant TEXT NOT NULL,
                    id TEXT NOT NULL,
                    property TEXT NOT NULL,
                    geom geometry(Geometry, 4326) NOT NULL,
                    PRIMARY KEY (tenant, id, property)
                );
                CREATE INDEX sensing_geometries_geom ON sensing_geometries USING GIST (geom);
                CREATE INDEX sensing_geometries_geog ON sensing_geometries USING GIST ((geom::geography));
                """, transaction: transaction, cancellationToken: cancellationToken));
            var stored = await connection.QueryAsync<(string Tenant, string Doc, string? Owner)>(new CommandDefinition(
                "SELECT tenant, doc, owner FROM sensing_entities", transaction: transaction, cancellationToken: cancellationToken));
            foreach (var tenant in stored.GroupBy(r => r.Tenant, StringComparer.Ordinal))
            {
                var entities = tenant.Select(r => new EntityRecord(System.Text.Json.Nodes.JsonNode.Parse(r.Doc)!.AsObject(), r.Owner));
                await InsertAsync(connection, transaction, tenant.Key, entities, cancellationToken);
            }
        }
        await transaction.CommitAsync(cancellationToken);
        LogPostGisEnabled(logger, store.Description);
        return true;
    }

    [LoggerMessage(EventId = 830, Level = LogLevel.Warning, Message = "Geo-queries on {Store} run in memory with NetTopologySuite, not in PostGIS: {Reason}")]
    private static partial void LogPostGisMissing(ILogger logger, string store, string reason);

    [LoggerMessage(EventId = 831, Level = LogLevel.Information, Message = "Geo-queries on {Store} run in PostGIS")]
    private static partial void LogPostGisEnabled(ILogger logger, string store);
}

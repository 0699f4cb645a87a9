using System.Collections.Concurrent;
using NetTopologySuite.Geometries;

namespace CityBrain.Sensing.Entities;

/// <summary>
/// Where the tenant's entities are: the ids of the entities whose GeoProperty's envelope touches each cell of a fixed
/// longitude/latitude grid, per GeoProperty. Updated in place on every write (NetTopologySuite's STRtree cannot be),
/// read without locks; it only proposes candidates, which the geo-query then checks exactly.
/// </summary>
internal sealed class SpatialGrid
{
    /// <summary>About 1.1 km of latitude: a 1 km near-query reads 4 to 9 cells.</summary>
    private const double CellDegrees = 0.01;

    /// <summary>A geometry spanning more cells (a district's polygon, say) is kept once, among the wide ones that every search reads.</summary>
    private const int MaxCellsPerGeometry = 64;

    private readonly ConcurrentDictionary<(string Attribute, long Cell), ConcurrentDictionary<string, byte>> _cells = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _wide = new(StringComparer.Ordinal);

    /// <summary>Moves <paramref name="id"/>'s entry for <paramref name="attribute"/> from the old envelope to the new (either null).</summary>
    public void Move(string id, string attribute, Envelope? before, Envelope? after)
    {
        if (before is not null && after is not null && before.Equals(after))
        {
            return;
        }
        // Added before removed: a query running meanwhile finds the entity in one place or both, never in none.
        if (after is not null)
        {
            foreach (var set in SetsOf(attribute, after, create: true))
            {
                set!.TryAdd(id, 0);
            }
        }
        if (before is not null)
        {
            foreach (var set in SetsOf(attribute, before, create: false))
            {
                set?.TryRemove(id, out _);
            }
        }
    }

    /// <summary>The ids of entities whose <paramref name="attribute"/> may touch <paramref name="box"/>; each id at most once.</summary>
    public IEnumerable<string> Candidates(string attribute, Envelope box)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        if (_wide.TryGetValue(attribute, out var wide))
        {
            foreach (var id in wide.Keys)
            {
                if (seen.Add(id))
                {
                    yield return id;
                }
            }
        }
        var (minX, minY, maxX, maxY) = CellsOf(box);
        IEnumerable<ConcurrentDictionary<string, byte>> cells;
        if ((long)(maxX - minX + 1) * (maxY - minY + 1) > _cells.Count)
        {
            // A box larger than the occupied area (a country, say): the occupied cells are fewer than the box's.
            cells = _cells.Where(c => c.Key.Attribute == attribute && InRange(c.Key.Cell)).Select(c => c.Value);
        }
        else
        {
            cells = Enumerable.Range(minX, maxX - minX + 1).SelectMany(x => Enumerable.Range(minY, maxY - minY + 1).Select(y => Key(x, y)))
                .Select(key => _cells.GetValueOrDefault((attribute, key))).OfType<ConcurrentDictionary<string, byte>>();
        }
        foreach (var cell in cells)
        {
            foreach (var (id, _) in cell)
            {
                if (seen.Add(id))
                {
                    yield return id;
                }
            }
        }

        bool InRange(long key) => (int)(key >> 32) is var x && (int)(uint)key is var y && x >= minX && x <= maxX && y >= minY && y <= maxY;
    }

    private IEnumerable<ConcurrentDictionary<string, byte>?> SetsOf(string attribute, Envelope envelope, bool create)
    {
        var (minX, minY, maxX, maxY) = CellsOf(envelope);
        if ((long)(maxX - minX + 1) * (maxY - minY + 1) > MaxCellsPerGeometry)
        {
            yield return create
                ? _wide.GetOrAdd(attribute, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))
                : _wide.GetValueOrDefault(attribute);
            yield break;
        }
        for (var x = minX; x <= maxX; x++)
        {
            for (var y = minY; y <= maxY; y++)
            {
                yield return create
                    ? _cells.GetOrAdd((attribute, Key(x, y)), _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal))
                    : _cells.GetValueOrDefault((attribute, Key(x, y)));
            }
        }
    }

    private static (int MinX, int MinY, int MaxX, int MaxY) CellsOf(Envelope envelope) =>
        (Cell(envelope.MinX), Cell(envelope.MinY), Cell(envelope.MaxX), Cell(envelope.MaxY));

    private static int Cell(double degrees) => (int)Math.Floor(Math.Clamp(degrees, -180, 180) / CellDegrees);

    private static long Key(int x, int y) => ((long)x << 32) | (uint)y;
}

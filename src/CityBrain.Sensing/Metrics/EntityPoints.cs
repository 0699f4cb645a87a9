using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;
using NetTopologySuite.Geometries;

namespace CityBrain.Sensing.Metrics;

/// <summary>
/// A located entity for a map: its id, where it is (the centre of its <c>location</c>) and the numeric values of the
/// attributes asked for, in the order asked (null where the entity has no such number yet).
/// </summary>
public sealed record EntityPoint(string Id, double Lon, double Lat, IReadOnlyList<double?> Values);

/// <summary>The current state of located entities of one type in the default tenant, with the core @context, for maps.</summary>
public interface IEntityPoints
{
    /// <summary>The entities of <paramref name="type"/> that have a location, ordered by id.</summary>
    ValueTask<IReadOnlyList<EntityPoint>> ReadAsync(string type, IReadOnlyList<string> attributes, CancellationToken cancellationToken);
}

internal sealed class EntityPoints(EntityRepository repository) : IEntityPoints
{
    private static readonly string Location = CoreContext.NgsiLd + "location";

    public async ValueTask<IReadOnlyList<EntityPoint>> ReadAsync(string type, IReadOnlyList<string> attributes, CancellationToken cancellationToken)
    {
        var context = LdContext.Core;
        var expandedType = context.Expand(type);
        var expanded = attributes.Select(context.Expand).ToArray();
        var points = new List<EntityPoint>();
        // The type index, and each entity version's geometry read once: the live map asks every few seconds.
        foreach (var entity in await repository.OfTypesAsync(EntityRepository.DefaultTenant, [expandedType], cancellationToken))
        {
            if (entity.GeometryOf(Location) is not { IsEmpty: false } geometry)
            {
                continue;
            }
            Point centre = geometry.Centroid;
            points.Add(new EntityPoint(entity.Id, centre.X, centre.Y, [.. expanded.Select(a => NumberOf(entity, a))]));
        }
        points.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return points;
    }

    private static double? NumberOf(EntityRecord entity, string attribute) =>
        EntityRecord.Instances(entity.Document[attribute]).FirstOrDefault()?["value"] is JsonValue value && value.GetValueKind() == JsonValueKind.Number
            ? value.GetValue<double>()
            : null;
}

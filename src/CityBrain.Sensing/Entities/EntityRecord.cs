using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using NetTopologySuite.Geometries;

namespace CityBrain.Sensing.Entities;

/// <summary>
/// One stored entity, in expanded form. Never changed once published: a write builds a new record, so readers iterate
/// the tenant's entities without locks.
/// </summary>
internal sealed class EntityRecord
{
    private readonly ConcurrentDictionary<string, Geometry?> _geometries = new(StringComparer.Ordinal);

    public EntityRecord(JsonObject document, string? owner)
    {
        Document = document;
        Owner = owner;
        Id = document["id"]!.GetValue<string>();
        Types = document["type"] is JsonArray types ? [.. types.Select(t => t!.GetValue<string>())] : [document["type"]!.GetValue<string>()];
    }

    public string Id { get; }

    /// <summary>The writer that created the entity (see <see cref="EntityWriter"/>), or null when unowned.</summary>
    public string? Owner { get; }

    public string[] Types { get; }

    public JsonObject Document { get; }

    public string ModifiedAt => Document["modifiedAt"]?.GetValue<string>() ?? "";

    public IEnumerable<string> AttributeNames => Document.Select(m => m.Key).Where(k => !Ld.CoreContext.EntityMembers.Contains(k));

    /// <summary>The attribute's instances (one, or several told apart by datasetId).</summary>
    public static IEnumerable<JsonObject> Instances(JsonNode? attribute) => attribute switch
    {
        JsonObject single => [single],
        JsonArray many => many.OfType<JsonObject>(),
        _ => [],
    };

    /// <summary>The geometry of a GeoProperty (its default instance), read once.</summary>
    public Geometry? GeometryOf(string attribute) => _geometries.GetOrAdd(attribute, name =>
        Instances(Document[name]).FirstOrDefault(i => i["type"]?.GetValue<string>() == "GeoProperty") is { } geo ? Geo.GeoJson.TryRead(geo["value"]) : null);
}

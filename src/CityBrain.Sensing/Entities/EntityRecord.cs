using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Queries;
using NetTopologySuite.Geometries;

namespace CityBrain.Sensing.Entities;

/// <summary>
/// One stored entity, in expanded form. Never changed once published: a write builds a new record, so readers iterate
/// the tenant's entities without locks.
/// </summary>
internal sealed class EntityRecord
{
    private readonly ConcurrentDictionary<string, Geometry?> _geometries = new(StringComparer.Ordinal);

    private readonly Dictionary<string, ScalarValue[]> _values = new(StringComparer.Ordinal);

    public EntityRecord(JsonObject document, string? owner)
    {
        Document = document;
        Owner = owner;
        Id = document["id"]!.GetValue<string>();
        Types = document["type"] is JsonArray types ? [.. types.Select(t => t!.GetValue<string>())] : [document["type"]!.GetValue<string>()];
        var geoAttributes = new List<string>();
        var texts = new List<(string, string)>();
        foreach (var (name, attribute) in document)
        {
            if (Ld.CoreContext.EntityMembers.Contains(name))
            {
                continue;
            }
            // Read once here, compared by every q query (the record never changes).
            var values = new AttributePath(name, [], []).Read(document);
            _values[name] = [.. values];
            texts.AddRange(values.Where(v => v is { Kind: ScalarKind.String, Instant: null }).Select(v => (name, v.Text!)).Distinct());
            if (Instances(attribute).Any(i => i["type"]?.GetValue<string>() == "GeoProperty"))
            {
                geoAttributes.Add(name);
            }
        }
        GeoAttributes = geoAttributes;
        Texts = texts;
    }

    public string Id { get; }

    /// <summary>The writer that created the entity (see <see cref="EntityWriter"/>), or null when unowned.</summary>
    public string? Owner { get; }

    public string[] Types { get; }

    public JsonObject Document { get; }

    public string ModifiedAt => Document["modifiedAt"]?.GetValue<string>() ?? "";

    /// <summary>The attributes whose instances include a GeoProperty (the spatial index holds their geometries).</summary>
    public IReadOnlyList<string> GeoAttributes { get; }

    /// <summary>Each attribute's string values that are not date-times (the value index answers q's <c>attr=="text"</c> from them).</summary>
    public IReadOnlyList<(string Attribute, string Text)> Texts { get; }

    /// <summary>The values of an attribute as the q language compares them (empty when the entity has no such attribute).</summary>
    public IReadOnlyList<ScalarValue> ValuesOf(string attribute) => _values.TryGetValue(attribute, out var values) ? values : [];

    public IEnumerable<string> AttributeNames => Document.Select(m => m.Key).Where(k => !Ld.CoreContext.EntityMembers.Contains(k));

    /// <summary>The attribute's instances (one, or several told apart by datasetId).</summary>
    public static IEnumerable<JsonObject> Instances(JsonNode? attribute) => attribute switch
    {
        JsonObject single => [single],
        JsonArray many => many.OfType<JsonObject>(),
        _ => [],
    };

    /// <summary>
    /// Takes over <paramref name="previous"/>'s geometries for the GeoProperties whose value this version left unchanged,
    /// so that an update of a reading does not parse the location again.
    /// </summary>
    public void ShareGeometries(EntityRecord previous)
    {
        foreach (var name in GeoAttributes)
        {
            if (previous._geometries.TryGetValue(name, out var geometry) && JsonNode.DeepEquals(previous.GeoValue(name), GeoValue(name)))
            {
                _geometries.TryAdd(name, geometry);
            }
        }
    }

    /// <summary>The geometry of a GeoProperty (its default instance), read once.</summary>
    public Geometry? GeometryOf(string attribute) => _geometries.GetOrAdd(attribute, name => Geo.GeoJson.TryRead(GeoValue(name)));

    /// <summary>The GeoJSON value of a GeoProperty's default instance (its first GeoProperty instance).</summary>
    private JsonNode? GeoValue(string attribute) =>
        Instances(Document[attribute]).FirstOrDefault(i => i["type"]?.GetValue<string>() == "GeoProperty")?["value"];
}

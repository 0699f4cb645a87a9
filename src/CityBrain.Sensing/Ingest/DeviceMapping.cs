using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Api;
using CityBrain.Sensing.Entities;

namespace CityBrain.Sensing.Ingest;

/// <summary>How one payload field becomes one attribute: its NGSI-LD name and the JSON kind the field must have.</summary>
internal sealed record FieldMapping(string Attribute, string Kind, string? UnitCode);

/// <summary>
/// A device of the registry, as FIWARE's IoT agents map them: the entity it feeds and, for each field of its JSON
/// payload, the attribute it sets. A payload that does not fit (not JSON, a field not mapped, a value of the wrong
/// kind) is refused whole and kept as a dead letter.
/// </summary>
internal sealed record DeviceMapping(string Tenant, string DeviceId, string EntityId, string EntityType, IReadOnlyDictionary<string, FieldMapping> Fields, string? ObservedAtField)
{
    public const string TopicPrefix = "citybrain/devices/";

    private static readonly HashSet<string> Kinds = new(StringComparer.Ordinal) { "number", "string", "boolean", "point", "object" };

    public string Topic => IDeviceRegistry.TopicOf(DeviceId);

    /// <summary>The writer that registered the device (its entities' owner); null when the platform registered it.</summary>
    public string? Owner { get; init; }

    /// <summary>The device id of an ingest topic (citybrain/devices/{id}/attrs), or null.</summary>
    public static string? DeviceOf(string topic) =>
        topic.StartsWith(TopicPrefix, StringComparison.Ordinal) && topic.EndsWith("/attrs", StringComparison.Ordinal) && topic.Length > TopicPrefix.Length + 6
            ? topic[TopicPrefix.Length..^6]
            : null;

    public static DeviceMapping Parse(string tenant, string deviceId, JsonElement body)
    {
        if (deviceId.Length == 0 || deviceId.Length > 128 || deviceId.Any(c => c is '/' or '+' or '#' || char.IsWhiteSpace(c)))
        {
            throw NgsiLdException.BadData("A device id must be 1-128 characters without '/', '+', '#' or spaces.");
        }
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw NgsiLdException.BadData("A device mapping must be a JSON object: {entityId, entityType, fields: {payloadField: {attribute, kind}}}.");
        }
        string Required(string name) => body.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString()!.Length > 0
            ? v.GetString()!
            : throw NgsiLdException.BadData($"The device mapping needs '{name}'.");
        var entityId = Required("entityId");
        if (!EntityParser.IsUri(entityId))
        {
            throw NgsiLdException.BadData("'entityId' must be a URI.");
        }
        var entityType = Required("entityType");
        EntityParser.CheckName(entityType, "entity type");
        if (!body.TryGetProperty("fields", out var fields) || fields.ValueKind != JsonValueKind.Object || !fields.EnumerateObject().Any())
        {
            throw NgsiLdException.BadData("The device mapping needs 'fields': {payloadField: {attribute, kind}}.");
        }
        var mapped = new Dictionary<string, FieldMapping>(StringComparer.Ordinal);
        foreach (var field in fields.EnumerateObject())
        {
            if (field.Value.ValueKind != JsonValueKind.Object || !field.Value.TryGetProperty("attribute", out var attribute) || attribute.ValueKind != JsonValueKind.String)
            {
                throw NgsiLdException.BadData($"Field '{field.Name}' needs an 'attribute'.");
            }
            EntityParser.CheckName(attribute.GetString()!, "attribute");
            var kind = field.Value.TryGetProperty("kind", out var k) ? k.GetString() ?? "" : "number";
            if (!Kinds.Contains(kind))
            {
                throw NgsiLdException.BadData($"Field '{field.Name}': kind '{kind}' is not one of {string.Join(", ", Kinds)}.");
            }
            var unit = field.Value.TryGetProperty("unitCode", out var u) ? u.GetString() : null;
            mapped[field.Name] = new FieldMapping(attribute.GetString()!, kind, unit);
        }
        var observedAt = body.TryGetProperty("observedAtField", out var o) ? o.GetString() : null;
        return new DeviceMapping(tenant, deviceId, entityId, entityType, mapped, observedAt);
    }

    public JsonObject ToJson() => new()
    {
        ["deviceId"] = DeviceId,
        ["topic"] = Topic,
        ["entityId"] = EntityId,
        ["entityType"] = EntityType,
        ["fields"] = new JsonObject([.. Fields.Select(f => KeyValuePair.Create(f.Key, (JsonNode?)new JsonObject { ["attribute"] = f.Value.Attribute, ["kind"] = f.Value.Kind, ["unitCode"] = f.Value.UnitCode }))]),
        ["observedAtField"] = ObservedAtField,
    };

    /// <summary>The entity fragment a payload makes (for a batch upsert), or the reason it does not fit.</summary>
    public (JsonObject? Fragment, string? Error) Map(ReadOnlySpan<byte> payload)
    {
        JsonElement root;
        try
        {
            var reader = new Utf8JsonReader(payload);
            root = JsonElement.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            return (null, $"The payload is not JSON: {e.Message}");
        }
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (null, "The payload must be a JSON object of fields.");
        }
        string? observedAt = null;
        if (ObservedAtField is not null && root.TryGetProperty(ObservedAtField, out var time))
        {
            if (time.ValueKind != JsonValueKind.String || !Timestamps.TryParse(time.GetString()!, out var parsed))
            {
                return (null, $"Field '{ObservedAtField}' must be an ISO 8601 date-time.");
            }
            observedAt = Timestamps.Format(parsed);
        }
        var fragment = new JsonObject { ["id"] = EntityId, ["type"] = EntityType };
        foreach (var field in root.EnumerateObject())
        {
            if (field.Name == ObservedAtField)
            {
                continue;
            }
            if (!Fields.TryGetValue(field.Name, out var mapping))
            {
                return (null, $"Field '{EntityParser.Shorten(field.Name)}' is not in the device's mapping.");
            }
            var fits = mapping.Kind switch
            {
                "number" => field.Value.ValueKind == JsonValueKind.Number,
                "string" => field.Value.ValueKind == JsonValueKind.String,
                "boolean" => field.Value.ValueKind is JsonValueKind.True or JsonValueKind.False,
                "point" => field.Value.ValueKind == JsonValueKind.Array && field.Value.GetArrayLength() == 2 && field.Value.EnumerateArray().All(c => c.ValueKind == JsonValueKind.Number),
                _ => field.Value.ValueKind == JsonValueKind.Object,
            };
            if (!fits)
            {
                return (null, $"Field '{field.Name}' must be {(mapping.Kind == "point" ? "[longitude, latitude]" : "a " + mapping.Kind)}, got {EntityParser.Shorten(field.Value.GetRawText())}.");
            }
            var attribute = mapping.Kind == "point"
                ? new JsonObject { ["type"] = "GeoProperty", ["value"] = new JsonObject { ["type"] = "Point", ["coordinates"] = JsonNode.Parse(field.Value.GetRawText()) } }
                : new JsonObject { ["type"] = "Property", ["value"] = JsonNode.Parse(field.Value.GetRawText()) };
            if (observedAt is not null)
            {
                attribute["observedAt"] = observedAt;
            }
            if (mapping.UnitCode is not null)
            {
                attribute["unitCode"] = mapping.UnitCode;
            }
            fragment[mapping.Attribute] = attribute;
        }
        return (fragment, null);
    }
}

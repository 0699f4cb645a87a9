using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Api;
using CityBrain.Sensing.Ld;

namespace CityBrain.Sensing.Entities;

/// <summary>
/// Turns an entity or attribute fragment as a client sends it (normalized or concise) into the stored form: ids and
/// names expanded by the request's @context, every attribute with its type, timestamps in one format. Checks
/// everything before anything is written and names the offending member in the error.
/// </summary>
internal static class EntityParser
{
    private static readonly HashSet<string> GeoTypes = new(StringComparer.Ordinal)
    {
        "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection",
    };

    private static readonly HashSet<string> AttributeTypes = new(StringComparer.Ordinal)
    {
        "Property", "Relationship", "GeoProperty", "LanguageProperty", "VocabProperty", "JsonProperty", "ListProperty", "ListRelationship",
    };

    /// <summary>Characters the spec forbids in names (clause 4.6.2): they would break the q language and URLs.</summary>
    private static readonly char[] ForbiddenNameCharacters = ['<', '>', '"', '\'', '=', ';', '(', ')', ' ', '[', ']', '\\'];

    /// <summary>A whole entity: id and type required.</summary>
    public static JsonObject ParseEntity(JsonElement body, LdContext context, string now)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw NgsiLdException.BadData("An entity must be a JSON object.");
        }
        var id = ReadId(body);
        var entity = new JsonObject { ["id"] = id, ["type"] = ReadTypes(body, context, required: true) };
        if (body.TryGetProperty("scope", out var scope))
        {
            entity["scope"] = ReadScope(scope);
        }
        entity["createdAt"] = now;
        entity["modifiedAt"] = now;
        foreach (var (name, attribute) in ParseAttributes(body, context, now))
        {
            entity[name] = attribute;
        }
        return entity;
    }

    /// <summary>The attributes of a fragment (entity members skipped): expanded name → attribute or instance array.</summary>
    public static List<(string Name, JsonNode Attribute)> ParseAttributes(JsonElement body, LdContext context, string now)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw NgsiLdException.BadData("The request body must be a JSON object.");
        }
        var attributes = new List<(string, JsonNode)>();
        foreach (var member in body.EnumerateObject())
        {
            if (CoreContext.EntityMembers.Contains(member.Name))
            {
                continue;
            }
            CheckName(member.Name, "attribute");
            var name = context.Expand(member.Name);
            attributes.Add((name, ParseAttributeOrInstances(member.Name, name, member.Value, context, now)));
        }
        return attributes;
    }

    public static JsonNode ParseAttributeOrInstances(string shortName, string name, JsonElement value, LdContext context, string now)
    {
        if (value.ValueKind == JsonValueKind.Array && value.GetArrayLength() > 0 && value.EnumerateArray().All(IsTypedAttribute))
        {
            // Several instances of one attribute, told apart by datasetId.
            var instances = new JsonArray();
            var datasets = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in value.EnumerateArray())
            {
                var instance = ParseAttribute(shortName, name, item, context, now);
                var dataset = instance["datasetId"]?.GetValue<string>() ?? "";
                if (!datasets.Add(dataset))
                {
                    throw NgsiLdException.BadData($"Attribute '{shortName}' has two instances with the same datasetId '{dataset}'.");
                }
                instances.Add(instance);
            }
            return instances.Count == 1 ? instances[0]!.DeepClone() : instances;
        }
        return ParseAttribute(shortName, name, value, context, now);
    }

    private static bool IsTypedAttribute(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var type) &&
        type.ValueKind == JsonValueKind.String && AttributeTypes.Contains(type.GetString()!);

    /// <summary>One attribute (or sub-attribute), normalized; concise input (a bare value, or no type) is given its type.</summary>
    public static JsonObject ParseAttribute(string shortName, string name, JsonElement value, LdContext context, string now)
    {
        var isGeoName = name is CoreContext.NgsiLd + "location" or CoreContext.NgsiLd + "observationSpace" or CoreContext.NgsiLd + "operationSpace";
        if (value.ValueKind != JsonValueKind.Object)
        {
            if (value.ValueKind == JsonValueKind.Null)
            {
                throw NgsiLdException.BadData($"Attribute '{shortName}' is null; an attribute needs a value.");
            }
            return new JsonObject { ["type"] = "Property", ["value"] = JsonNode.Parse(value.GetRawText()), ["createdAt"] = now, ["modifiedAt"] = now };
        }

        string type;
        if (value.TryGetProperty("type", out var typeElement))
        {
            if (typeElement.ValueKind != JsonValueKind.String)
            {
                throw NgsiLdException.BadData($"Attribute '{shortName}': 'type' must be a string.");
            }
            var given = typeElement.GetString()!;
            if (AttributeTypes.Contains(given))
            {
                type = given;
            }
            else if (GeoTypes.Contains(given) && isGeoName)
            {
                // Concise GeoProperty: the GeoJSON geometry itself.
                return new JsonObject { ["type"] = "GeoProperty", ["value"] = Geo.GeoJson.Validate(value, shortName), ["createdAt"] = now, ["modifiedAt"] = now };
            }
            else
            {
                throw NgsiLdException.BadData($"Attribute '{shortName}' has type '{given}'; expected Property, Relationship, GeoProperty, LanguageProperty, VocabProperty, JsonProperty, ListProperty or ListRelationship.");
            }
        }
        else if (value.TryGetProperty("object", out _))
        {
            type = "Relationship";
        }
        else if (value.TryGetProperty("languageMap", out _))
        {
            type = "LanguageProperty";
        }
        else if (value.TryGetProperty("value", out var conciseValue))
        {
            type = isGeoName || IsGeometry(conciseValue) ? "GeoProperty" : "Property";
        }
        else
        {
            throw NgsiLdException.BadData($"Attribute '{shortName}' has neither 'type' nor 'value', 'object' or 'languageMap'.");
        }

        var attribute = new JsonObject { ["type"] = type };
        switch (type)
        {
            case "Property" or "JsonProperty" or "VocabProperty" or "ListProperty":
                var valueKey = type switch { "JsonProperty" => "json", "VocabProperty" => "vocab", "ListProperty" => "valueList", _ => "value" };
                if (!value.TryGetProperty(valueKey, out var propertyValue) && !value.TryGetProperty("value", out propertyValue))
                {
                    throw NgsiLdException.BadData($"Attribute '{shortName}' is a {type} without '{valueKey}'.");
                }
                if (propertyValue.ValueKind == JsonValueKind.Null)
                {
                    throw NgsiLdException.BadData($"Attribute '{shortName}': '{valueKey}' is null.");
                }
                attribute[valueKey] = JsonNode.Parse(propertyValue.GetRawText());
                break;
            case "Relationship" or "ListRelationship":
                var objectKey = type == "Relationship" ? "object" : "objectList";
                if (!value.TryGetProperty(objectKey, out var target))
                {
                    throw NgsiLdException.BadData($"Attribute '{shortName}' is a {type} without '{objectKey}'.");
                }
                if (type == "Relationship" && (target.ValueKind != JsonValueKind.String || !IsUri(target.GetString()!)))
                {
                    throw NgsiLdException.BadData($"Relationship '{shortName}': 'object' must be a URI, got {Shorten(target.GetRawText())}.");
                }
                attribute[objectKey] = JsonNode.Parse(target.GetRawText());
                break;
            case "GeoProperty":
                if (!value.TryGetProperty("value", out var geometry))
                {
                    throw NgsiLdException.BadData($"GeoProperty '{shortName}' has no 'value'.");
                }
                attribute["value"] = Geo.GeoJson.Validate(geometry, shortName);
                break;
            case "LanguageProperty":
                if (!value.TryGetProperty("languageMap", out var map) || map.ValueKind != JsonValueKind.Object)
                {
                    throw NgsiLdException.BadData($"LanguageProperty '{shortName}' needs a 'languageMap' object.");
                }
                attribute["languageMap"] = JsonNode.Parse(map.GetRawText());
                break;
        }

        foreach (var member in value.EnumerateObject())
        {
            switch (member.Name)
            {
                case "type" or "value" or "object" or "languageMap" or "json" or "vocab" or "valueList" or "objectList" or "createdAt" or "modifiedAt" or "instanceId":
                    break;
                case "observedAt":
                    attribute["observedAt"] = ReadTimestamp(member.Value, $"{shortName}.observedAt");
                    break;
                case "unitCode":
                    attribute["unitCode"] = member.Value.ValueKind == JsonValueKind.String
                        ? member.Value.GetString()
                        : throw NgsiLdException.BadData($"Attribute '{shortName}': 'unitCode' must be a string.");
                    break;
                case "datasetId":
                    attribute["datasetId"] = member.Value.ValueKind == JsonValueKind.String && IsUri(member.Value.GetString()!)
                        ? member.Value.GetString()
                        : throw NgsiLdException.BadData($"Attribute '{shortName}': 'datasetId' must be a URI.");
                    break;
                default:
                    CheckName(member.Name, "sub-attribute");
                    var subName = context.Expand(member.Name);
                    attribute[subName] = ParseAttribute($"{shortName}.{member.Name}", subName, member.Value, context, now);
                    break;
            }
        }
        attribute["createdAt"] = now;
        attribute["modifiedAt"] = now;
        return attribute;
    }

    public static string ReadId(JsonElement body)
    {
        if (!body.TryGetProperty("id", out var idElement) && !body.TryGetProperty("@id", out idElement))
        {
            throw NgsiLdException.BadData("The entity has no 'id'.");
        }
        if (idElement.ValueKind != JsonValueKind.String || !IsUri(idElement.GetString()!))
        {
            throw NgsiLdException.BadData($"The entity id must be a URI (urn:ngsi-ld:Type:local), got {Shorten(idElement.GetRawText())}.");
        }
        return idElement.GetString()!;
    }

    public static JsonNode ReadTypes(JsonElement body, LdContext context, bool required)
    {
        if (!body.TryGetProperty("type", out var typeElement) && !body.TryGetProperty("@type", out typeElement))
        {
            return required ? throw NgsiLdException.BadData("The entity has no 'type'.") : new JsonArray();
        }
        var types = new JsonArray();
        IEnumerable<JsonElement> items = typeElement.ValueKind == JsonValueKind.Array ? typeElement.EnumerateArray() : [typeElement];
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString()!.Length == 0)
            {
                throw NgsiLdException.BadData($"An entity type must be a non-empty string, got {Shorten(item.GetRawText())}.");
            }
            CheckName(item.GetString()!, "entity type");
            var expanded = context.Expand(item.GetString()!);
            if (!types.Any(t => t!.GetValue<string>() == expanded))
            {
                types.Add(expanded);
            }
        }
        if (types.Count == 0)
        {
            throw NgsiLdException.BadData("The entity's 'type' list is empty.");
        }
        return types;
    }

    private static JsonArray ReadScope(JsonElement scope)
    {
        IEnumerable<JsonElement> items = scope.ValueKind == JsonValueKind.Array ? scope.EnumerateArray() : [scope];
        var result = new JsonArray();
        foreach (var item in items)
        {
            if (item.ValueKind != JsonValueKind.String || !item.GetString()!.StartsWith('/'))
            {
                throw NgsiLdException.BadData($"A scope must be a string starting with '/', got {Shorten(item.GetRawText())}.");
            }
            result.Add(item.GetString());
        }
        return result;
    }

    private static string ReadTimestamp(JsonElement element, string where)
    {
        if (element.ValueKind == JsonValueKind.String &&
            DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time))
        {
            return Timestamps.Format(time);
        }
        throw NgsiLdException.BadData($"'{where}' must be an ISO 8601 date-time, got {Shorten(element.GetRawText())}.");
    }

    public static void CheckName(string name, string what)
    {
        if (name.Length == 0 || name.IndexOfAny(ForbiddenNameCharacters) >= 0)
        {
            throw NgsiLdException.BadData($"Invalid {what} name '{Shorten(name)}': names may not be empty or contain < > \" ' = ; ( ) [ ] \\ or spaces.");
        }
    }

    public static bool IsUri(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme.Length > 0 && !value.Contains(' ', StringComparison.Ordinal);

    private static bool IsGeometry(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object && value.TryGetProperty("type", out var type) && type.ValueKind == JsonValueKind.String &&
        GeoTypes.Contains(type.GetString()!) && value.TryGetProperty("coordinates", out _);

    public static string Shorten(string text) => text.Length <= 80 ? text : text[..77] + "...";
}

/// <summary>One timestamp format everywhere (UTC, milliseconds), so that stored times compare as strings too.</summary>
internal static class Timestamps
{
    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static bool TryParse(string text, out DateTimeOffset time) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out time);
}

using System.Text.Json.Nodes;
using CityBrain.Sensing.Ld;

namespace CityBrain.Sensing.Entities;

/// <summary>The representations of clause 4.5: normalized (every attribute typed), concise (types dropped where implied), keyValues (values only).</summary>
internal enum EntityFormat
{
    Normalized,
    Concise,
    KeyValues,
}

/// <summary>How to answer with an entity: the caller's @context, format, system attributes and projection (expanded names).</summary>
internal sealed record RenderOptions(LdContext Context, EntityFormat Format, bool SysAttrs, IReadOnlySet<string>? Pick, IReadOnlySet<string>? Omit, string? Lang = null)
{
    public bool Wants(string member) => (Pick is null || Pick.Contains(member)) && (Omit is null || !Omit.Contains(member));
}

internal static class EntityRenderer
{
    public static JsonObject Render(EntityRecord entity, RenderOptions options)
    {
        var document = entity.Document;
        var result = new JsonObject();
        if (options.Wants("id"))
        {
            result["id"] = entity.Id;
        }
        if (options.Wants("type"))
        {
            result["type"] = entity.Types.Length == 1
                ? options.Context.Compact(entity.Types[0])
                : new JsonArray([.. entity.Types.Select(t => (JsonNode)options.Context.Compact(t))]);
        }
        if (document["scope"] is JsonNode scope && options.Wants("scope"))
        {
            result["scope"] = scope.DeepClone();
        }
        if (options.SysAttrs && options.Format != EntityFormat.KeyValues)
        {
            result["createdAt"] = document["createdAt"]?.DeepClone();
            result["modifiedAt"] = document["modifiedAt"]?.DeepClone();
        }
        foreach (var (name, attribute) in document)
        {
            if (CoreContext.EntityMembers.Contains(name) || !options.Wants(name) || attribute is null)
            {
                continue;
            }
            var instances = EntityRecord.Instances(attribute).Select(i => RenderAttribute(i, options)).ToList();
            result[options.Context.Compact(name)] = instances.Count == 1 ? instances[0] : new JsonArray([.. instances]);
        }
        return result;
    }

    public static JsonNode? RenderAttribute(JsonObject attribute, RenderOptions options)
    {
        var type = attribute["type"]?.GetValue<string>() ?? "Property";
        var valueKey = ValueKey(type);
        if (options.Format == EntityFormat.KeyValues)
        {
            if (type == "LanguageProperty" && options.Lang is not null)
            {
                return PickLanguage(attribute["languageMap"] as JsonObject, options.Lang);
            }
            return attribute[valueKey]?.DeepClone();
        }
        var result = new JsonObject();
        var hasMetadata = false;
        foreach (var (key, value) in attribute)
        {
            if (value is null)
            {
                continue;
            }
            switch (key)
            {
                case "type":
                    if (options.Format == EntityFormat.Normalized)
                    {
                        result["type"] = value.DeepClone();
                    }
                    break;
                case "createdAt" or "modifiedAt":
                    if (options.SysAttrs)
                    {
                        result[key] = value.DeepClone();
                        hasMetadata = true;
                    }
                    break;
                case "value" or "object" or "languageMap" or "json" or "vocab" or "valueList" or "objectList":
                    result[key] = value.DeepClone();
                    break;
                case "observedAt" or "unitCode" or "datasetId":
                    result[key] = value.DeepClone();
                    hasMetadata = true;
                    break;
                default:
                    result[options.Context.Compact(key)] = value is JsonObject sub ? RenderAttribute(sub, options with { Pick = null, Omit = null }) : value.DeepClone();
                    hasMetadata = true;
                    break;
            }
        }
        if (type == "LanguageProperty" && options.Lang is not null && result["languageMap"] is JsonObject map)
        {
            result.Remove("languageMap");
            result["type"] = options.Format == EntityFormat.Normalized ? "Property" : null;
            result["value"] = PickLanguage(map, options.Lang);
            if (result["type"] is null)
            {
                result.Remove("type");
            }
        }
        // Concise: a Property that is only a value is the value itself.
        if (options.Format == EntityFormat.Concise && type == "Property" && !hasMetadata && result.Count == 1 && result["value"] is { } bare && bare is not JsonObject)
        {
            return bare.DeepClone();
        }
        return result;
    }

    public static string ValueKey(string type) => type switch
    {
        "Relationship" => "object",
        "LanguageProperty" => "languageMap",
        "JsonProperty" => "json",
        "VocabProperty" => "vocab",
        "ListProperty" => "valueList",
        "ListRelationship" => "objectList",
        _ => "value",
    };

    private static JsonNode? PickLanguage(JsonObject? map, string lang)
    {
        if (map is null)
        {
            return null;
        }
        if (map[lang] is { } exact)
        {
            return exact.DeepClone();
        }
        return (map["@none"] ?? map.FirstOrDefault().Value)?.DeepClone();
    }

    /// <summary>A GeoJSON Feature (clause 4.5.16): the geometry of the chosen GeoProperty, the rest as properties.</summary>
    public static JsonObject RenderFeature(EntityRecord entity, RenderOptions options, string geometryProperty)
    {
        var rendered = Render(entity, options);
        var properties = new JsonObject();
        foreach (var (key, value) in rendered)
        {
            if (key != "id")
            {
                properties[key] = value?.DeepClone();
            }
        }
        var geometry = EntityRecord.Instances(entity.Document[geometryProperty]).FirstOrDefault()?["value"]?.DeepClone();
        return new JsonObject { ["id"] = entity.Id, ["type"] = "Feature", ["geometry"] = geometry, ["properties"] = properties };
    }
}

namespace CityBrain.Sensing.Ld;

/// <summary>
/// The NGSI-LD core @context (GS CIM 009 Annex B), built in: it is never fetched. Only the terms that name entity
/// members and attributes matter to the broker (ids, types and attribute names are stored expanded); terms of the
/// core vocabulary that are structural keys (value, object, observedAt...) keep their short names in documents.
/// </summary>
internal static class CoreContext
{
    public const string Url = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld";
    public const string NgsiLd = "https://uri.etsi.org/ngsi-ld/";
    public const string DefaultVocabulary = "https://uri.etsi.org/ngsi-ld/default-context/";

    /// <summary>Other URLs under which clients name the core context (earlier versions); all mean the built-in one.</summary>
    public static bool IsCoreContextUrl(string url) =>
        url.StartsWith("https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context", StringComparison.Ordinal) ||
        url.StartsWith("https://uri.etsi.org/ngsi-ld/ngsi-ld-core-context", StringComparison.Ordinal);

    /// <summary>Core terms that can name an attribute or a type: short name → IRI.</summary>
    public static readonly IReadOnlyDictionary<string, string> Terms = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["location"] = NgsiLd + "location",
        ["observationSpace"] = NgsiLd + "observationSpace",
        ["operationSpace"] = NgsiLd + "operationSpace",
        ["Property"] = NgsiLd + "Property",
        ["Relationship"] = NgsiLd + "Relationship",
        ["GeoProperty"] = NgsiLd + "GeoProperty",
        ["LanguageProperty"] = NgsiLd + "LanguageProperty",
        ["Subscription"] = NgsiLd + "Subscription",
        ["Notification"] = NgsiLd + "Notification",
    };

    /// <summary>Keys of an entity or attribute that are structure, not attributes.</summary>
    public static readonly IReadOnlySet<string> EntityMembers = new HashSet<string>(StringComparer.Ordinal)
    {
        "id", "@id", "type", "@type", "@context", "scope", "createdAt", "modifiedAt", "deletedAt",
    };

    public static readonly IReadOnlySet<string> AttributeMembers = new HashSet<string>(StringComparer.Ordinal)
    {
        "type", "value", "object", "languageMap", "observedAt", "unitCode", "datasetId", "createdAt", "modifiedAt",
        "instanceId", "deletedAt", "lang", "vocab", "valueList", "objectList", "json", "objectType",
    };

    /// <summary>The prefixes of the core context usable in compact IRIs (ngsi-ld:location).</summary>
    public static readonly IReadOnlyDictionary<string, string> Prefixes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ngsi-ld"] = NgsiLd,
        ["geojson"] = "https://purl.org/geojson/vocab#",
    };
}

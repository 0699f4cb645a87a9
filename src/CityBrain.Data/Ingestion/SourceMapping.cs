using System.Reflection;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CityBrain.Data.Ingestion;

/// <summary>
/// How one dataset is pulled from its department through the hub, declared in YAML (Ingestion/Sources/*.yaml):
/// which interface, where the records sit in the response, how it pages, whose records they are, and how its
/// fields map to standard fields. No department has code of its own.
/// </summary>
internal sealed class SourceMapping
{
    public string Dataset { get; set; } = "";

    /// <summary>The file the mapping was read from (<c>Ingestion/Sources/gaj.yaml</c>), named in errors about it.</summary>
    [YamlIgnore]
    public string File { get; set; } = "";

    public string System { get; set; } = "";

    public string Interface { get; set; } = "";

    /// <summary>Dotted path to the records (an array, or one object for lookups) in the response.</summary>
    public string Items { get; set; } = "";

    public Paging Paging { get; set; } = new();

    /// <summary>One request per value of a parameter: the last N months as yyyyMM.</summary>
    public Partitions? Partitions { get; set; }

    /// <summary>The column holding the person's resident ID or the enterprise's credit code.</summary>
    public Dictionary<string, string> Subject { get; set; } = [];

    /// <summary>Standard view (person, enterprise) → standard field → <c>source field</c> or <c>field|converter</c>.</summary>
    public Dictionary<string, Dictionary<string, string>> Standard { get; set; } = [];

    public string Resource => $"{System}/{Interface}";

    public string? PersonColumn => Subject.GetValueOrDefault("person");

    public string? EnterpriseColumn => Subject.GetValueOrDefault("enterprise");
}

internal sealed class Paging
{
    /// <summary>page (page number and size), offset (offset and limit), cursor (token from the response), feed (since/after), lookup (one call per key).</summary>
    public string Style { get; set; } = "page";

    public string? Page { get; set; }

    public string? Offset { get; set; }

    public string? Size { get; set; }

    public int Limit { get; set; } = 100;

    public string? Cursor { get; set; }

    public string? Next { get; set; }

    public string? Since { get; set; }

    public string? After { get; set; }

    public string? NextSince { get; set; }

    public string? NextAfter { get; set; }

    public string? More { get; set; }

    /// <summary>For key cursors: the column whose largest loaded value is where an incremental load starts.</summary>
    public string? Watermark { get; set; }

    /// <summary>For lookups: <c>view.column</c> in the lake whose distinct values are the keys.</summary>
    public string? Keys { get; set; }

    /// <summary>Whether an incremental load can continue from the last version instead of starting over.</summary>
    public bool SupportsIncremental => Style == "feed" || (Style == "cursor" && Watermark is not null);
}

internal sealed class Partitions
{
    public string Parameter { get; set; } = "";

    public int MonthsBack { get; set; } = 12;
}

internal static class SourceMappings
{
    private sealed class SourceFile
    {
        public List<SourceMapping> Datasets { get; set; } = [];
    }

    /// <summary>The embedded mappings, in load order: lookups last, since their keys come from the others.</summary>
    public static IReadOnlyList<SourceMapping> LoadEmbedded()
    {
        var deserializer = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build();
        var assembly = typeof(SourceMappings).Assembly;
        var mappings = new List<SourceMapping>();
        // Only the sources folder: the module embeds other YAML (quality rules) too.
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("CityBrain.Data.Ingestion.Sources.", StringComparison.Ordinal) && n.EndsWith(".yaml", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            var file = "Ingestion/Sources/" + name["CityBrain.Data.Ingestion.Sources.".Length..];
            mappings.AddRange(deserializer.Deserialize<SourceFile>(reader).Datasets.Select(m =>
            {
                m.File = file;
                return m;
            }));
        }
        return [.. mappings.OrderBy(m => m.Paging.Style == "lookup" ? 1 : 0).ThenBy(m => m.Dataset, StringComparer.Ordinal)];
    }
}

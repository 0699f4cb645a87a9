using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Kernel.Errors;
using YamlDotNet.RepresentationModel;

namespace CityBrain.Hub.Registry;

/// <summary>
/// Turns a system's OpenAPI 3 description into interface specs: one per operation with an operationId, its path
/// and query parameters, and its 200 response's properties as fields (dotted paths, arrays transparent).
/// Classification comes from the vendor extensions <c>x-level</c>, <c>x-mask</c> (on a property or parameter
/// format) and <c>x-sharing</c> (on an operation); absent, the level is inferred from the field's name.
/// </summary>
internal static class OpenApiImporter
{
    private static readonly string[] Methods = ["get", "post", "put", "patch", "delete"];

    public static List<InterfaceSpec> Import(string text, bool yaml)
    {
        JsonNode? root;
        try
        {
            root = yaml ? YamlToJson(text) : JsonNode.Parse(text);
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException)
        {
            throw new ValidationFailedException("body", $"not a readable OpenAPI document: {e.Message}");
        }
        if (root is not JsonObject document || document["openapi"]?.GetValue<string>() is not { } version || !version.StartsWith('3'))
        {
            throw new ValidationFailedException("openapi", "an OpenAPI 3.x document is expected (the 'openapi' field)");
        }
        if (document["paths"] is not JsonObject paths)
        {
            throw new ValidationFailedException("paths", "the document has no paths");
        }

        var specs = new List<InterfaceSpec>();
        foreach (var (path, item) in paths)
        {
            if (item is not JsonObject pathItem)
            {
                continue;
            }
            foreach (var method in Methods)
            {
                if (pathItem[method] is not JsonObject operation)
                {
                    continue;
                }
                var code = operation["operationId"]?.GetValue<string>();
                if (string.IsNullOrWhiteSpace(code))
                {
                    throw new ValidationFailedException($"paths.{path}.{method}.operationId", "every operation needs an operationId: it becomes the interface code");
                }
                var spec = new InterfaceSpec
                {
                    Code = Slug(code),
                    Name = operation["summary"]?.GetValue<string>() ?? code,
                    Method = method.ToUpperInvariant(),
                    Path = path,
                    Sharing = operation["x-sharing"]?.GetValue<string>() ?? "conditional",
                };
                var parameters = (pathItem["parameters"] as JsonArray ?? []).Concat(operation["parameters"] as JsonArray ?? []);
                foreach (var node in parameters)
                {
                    if (Resolve(document, node) is not JsonObject parameter)
                    {
                        continue;
                    }
                    var location = parameter["in"]?.GetValue<string>();
                    if (location is not ("path" or "query"))
                    {
                        continue;
                    }
                    var schema = Resolve(document, parameter["schema"]) as JsonObject;
                    spec.Parameters.Add(new ParameterSpec
                    {
                        Name = parameter["name"]?.GetValue<string>(),
                        In = location,
                        Required = parameter["required"]?.GetValue<bool>() ?? false,
                        Format = ParameterFormat(parameter["x-format"]?.GetValue<string>() ?? schema?["format"]?.GetValue<string>()),
                        Description = parameter["description"]?.GetValue<string>(),
                    });
                }
                var responses = operation["responses"] as JsonObject;
                var ok = responses?["200"] ?? responses?["201"];
                var schemaNode = (Resolve(document, ok) as JsonObject)?["content"]?["application/json"]?["schema"];
                Collect(document, Resolve(document, schemaNode), "", spec.Fields, depth: 0);
                specs.Add(spec);
            }
        }
        return specs;
    }

    private static void Collect(JsonObject document, JsonNode? schema, string prefix, List<FieldSpec> fields, int depth)
    {
        if (schema is not JsonObject s || depth > 8)
        {
            return;
        }
        if (s["type"]?.GetValue<string>() == "array" || s["items"] is not null)
        {
            Collect(document, Resolve(document, s["items"]), prefix, fields, depth + 1);
            return;
        }
        foreach (var composite in new[] { "allOf", "oneOf", "anyOf" })
        {
            foreach (var part in s[composite] as JsonArray ?? [])
            {
                Collect(document, Resolve(document, part), prefix, fields, depth + 1);
            }
        }
        if (s["properties"] is not JsonObject properties)
        {
            return;
        }
        foreach (var (name, propertyNode) in properties)
        {
            var property = Resolve(document, propertyNode) as JsonObject;
            var path = prefix.Length == 0 ? name : $"{prefix}.{name}";
            var type = property?["type"]?.GetValue<string>();
            if (property is not null && (type is "object" or "array" || property["properties"] is not null || property["items"] is not null))
            {
                Collect(document, property, path, fields, depth + 1);
                continue;
            }
            if (fields.Any(f => f.Name == path))
            {
                continue;
            }
            var mask = property?["x-mask"]?.GetValue<string>() ?? InferMask(name, property?["format"]?.GetValue<string>());
            fields.Add(new FieldSpec
            {
                Name = path,
                Level = property?["x-level"]?.GetValue<string>() ?? InferLevel(name, mask),
                Description = property?["description"]?.GetValue<string>(),
                Mask = mask,
            });
        }
    }

    private static JsonNode? Resolve(JsonObject document, JsonNode? node)
    {
        for (var hops = 0; hops < 16 && node is JsonObject o && o["$ref"]?.GetValue<string>() is { } reference; hops++)
        {
            if (!reference.StartsWith("#/", StringComparison.Ordinal))
            {
                throw new ValidationFailedException("$ref", $"only local references are supported, not '{reference}'");
            }
            JsonNode? target = document;
            foreach (var part in reference[2..].Split('/'))
            {
                target = target?[part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
            }
            node = target ?? throw new ValidationFailedException("$ref", $"reference '{reference}' does not resolve");
        }
        return node;
    }

    /// <summary>Name-based guesses for a field's kind: pinyin initials (SFZH, XM, SJHM, DZ) and English names.</summary>
    private static string? InferMask(string name, string? format)
    {
        var n = name.ToLowerInvariant();
        return (n, format) switch
        {
            (_, "resident-id") or ("sfzh" or "sfzhm" or "idnumber" or "idcard" or "residentid" or "gmsfhm", _) => "resident-id",
            ("sjhm" or "lxdh" or "phone" or "mobile" or "telephone", _) => "phone",
            ("xm" or "name" or "fullname" or "personname", _) => "name",
            ("dz" or "zz" or "hjdz" or "address" or "addr", _) => "address",
            ("yhkh" or "bankcard" or "bankaccount", _) => "bank-card",
            _ => null,
        };
    }

    private static string InferLevel(string name, string? mask) => mask switch
    {
        "resident-id" or "bank-card" => "sensitive-personal",
        "phone" or "name" or "address" => "personal",
        _ => name.Contains("health", StringComparison.OrdinalIgnoreCase) || name.Contains("diagnos", StringComparison.OrdinalIgnoreCase)
            ? "sensitive-personal"
            : "internal",
    };

    private static string? ParameterFormat(string? format) => format is null || RegistryValidator.ParameterFormats.Contains(format) ? format : null;

    private static string Slug(string operationId)
    {
        var chars = new System.Text.StringBuilder();
        for (var i = 0; i < operationId.Length; i++)
        {
            var c = operationId[i];
            if (char.IsUpper(c) && i > 0 && char.IsLower(operationId[i - 1]))
            {
                chars.Append('-');
            }
            chars.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : c is '-' or '_' or '.' ? c : '-');
        }
        return chars.ToString().Trim('-');
    }

    private static JsonNode? YamlToJson(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", Convert(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar when scalar.Style is YamlDotNet.Core.ScalarStyle.Plain => Plain(scalar.Value),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value),
        _ => null,
    };

    private static JsonNode? Plain(string? value) => value switch
    {
        null or "null" or "~" => null,
        "true" => JsonValue.Create(true),
        "false" => JsonValue.Create(false),
        _ when long.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        _ => JsonValue.Create(value),
    };
}

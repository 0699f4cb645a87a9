using System.Text.Json;
using System.Text.Json.Nodes;

namespace CityBrain.SyntheticCity.Departments.Hosting;

/// <summary>
/// The department's own OpenAPI 3 description, served at <c>/openapi.json</c>: its operations with their parameters
/// and answer fields, classified with the vendor extensions the hub's OpenAPI import reads (x-level, x-mask, x-sharing, x-format).
/// </summary>
internal static class OpenApiDocument
{
    public static string Write(Department department)
    {
        var paths = new JsonObject();
        foreach (var operation in department.Operations)
        {
            paths[operation.Path] = new JsonObject
            {
                ["get"] = new JsonObject
                {
                    ["operationId"] = operation.Code,
                    ["summary"] = operation.Name,
                    ["x-sharing"] = operation.Sharing,
                    ["parameters"] = new JsonArray(operation.Parameters.Select(p => (JsonNode)new JsonObject
                    {
                        ["name"] = p.Name,
                        ["in"] = p.In,
                        ["required"] = p.Required,
                        ["description"] = p.Description,
                        ["x-format"] = p.Format,
                        ["schema"] = new JsonObject { ["type"] = p.Format == "integer" ? "integer" : "string" },
                    }).ToArray()),
                    ["responses"] = new JsonObject
                    {
                        ["200"] = new JsonObject
                        {
                            ["description"] = "OK",
                            ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Schema(operation) } },
                        },
                        ["400"] = new JsonObject { ["description"] = "A parameter is malformed (the department's error shape)" },
                        ["401"] = new JsonObject { ["description"] = $"The {department.Credential.Header} credential is missing or wrong" },
                        ["404"] = new JsonObject { ["description"] = "No such record or resource" },
                    },
                },
            };
        }
        var document = new JsonObject
        {
            ["openapi"] = "3.0.3",
            ["info"] = new JsonObject { ["title"] = $"{department.UnitName} {department.SystemName}", ["version"] = "1.0" },
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["hub"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = department.Credential.Header },
                },
            },
            ["security"] = new JsonArray(new JsonObject { ["hub"] = new JsonArray() }),
            ["paths"] = paths,
        };
        return document.ToJsonString(new JsonSerializerOptions(Department.Json) { WriteIndented = true });
    }

    private static JsonObject Schema(ApiOperation operation)
    {
        var root = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
        foreach (var field in operation.Fields)
        {
            var parts = field.Name.Split('.');
            var container = root;
            var path = "";
            foreach (var part in parts[..^1])
            {
                path = path.Length == 0 ? part : $"{path}.{part}";
                var properties = (JsonObject)container["properties"]!;
                if (properties[part] is not JsonObject child)
                {
                    child = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() };
                    properties[part] = path == operation.ListAt ? new JsonObject { ["type"] = "array", ["items"] = child } : child;
                }
                container = child["items"] as JsonObject ?? child;
            }
            var property = new JsonObject
            {
                ["type"] = field.Kind switch { ColumnKind.Integer => "integer", ColumnKind.Decimal => "number", _ => "string" },
                ["nullable"] = true,
                ["description"] = field.Description,
                ["x-level"] = field.Level,
            };
            if (field.Mask is not null)
            {
                property["x-mask"] = field.Mask;
            }
            ((JsonObject)container["properties"]!)[parts[^1]] = property;
        }
        return root;
    }
}

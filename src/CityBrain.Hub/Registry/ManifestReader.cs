using System.Text;
using System.Text.Json;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Http;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace CityBrain.Hub.Registry;

/// <summary>Reads registry documents (YAML or JSON) from a file or a request body, with errors that give line and column.</summary>
internal static class ManifestReader
{
    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static T Parse<T>(string text, bool yaml)
    {
        try
        {
            var value = yaml ? Yaml.Deserialize<T>(text) : JsonSerializer.Deserialize<T>(text, Json);
            return value ?? throw new ValidationFailedException("body", "the document is empty");
        }
        catch (YamlException e)
        {
            var message = e.InnerException?.Message ?? e.Message;
            throw new ValidationFailedException("body", $"line {e.Start.Line}, column {e.Start.Column}: {message}");
        }
        catch (JsonException e)
        {
            throw new ValidationFailedException("body", $"line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}: {e.Message}");
        }
    }

    public static T ParseFile<T>(string path) =>
        Parse<T>(File.ReadAllText(path), !path.EndsWith(".json", StringComparison.OrdinalIgnoreCase));

    /// <summary>Reads a body as YAML or JSON by its content type; anything else is 415.</summary>
    public static async Task<(string Text, bool Yaml)> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        var yaml = mediaType switch
        {
            "application/yaml" or "application/x-yaml" or "text/yaml" or "text/x-yaml" => true,
            "application/json" or "text/json" => false,
            _ => throw new ProblemException(415, "Unsupported media type",
                $"send the document as application/yaml or application/json, not '{request.ContentType ?? "(none)"}'"),
        };
        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(cancellationToken);
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new ValidationFailedException("body", "the body is empty");
        }
        return (text, yaml);
    }
}

/// <summary>Registry files for the host's verbs: YAML, or JSON when the name ends in .json.</summary>
public static class RegistryFile
{
    public static RegistryManifest Read(string path) => ManifestReader.ParseFile<RegistryManifest>(path);

    public static RegistryManifest Parse(string text, bool yaml) => ManifestReader.Parse<RegistryManifest>(text, yaml);
}

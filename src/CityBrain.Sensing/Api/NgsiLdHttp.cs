using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityBrain.Sensing.Ld;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace CityBrain.Sensing.Api;

/// <summary>The media types an answer can take (clause 6.3.4).</summary>
internal enum OutputMedia
{
    Json,
    JsonLd,
    GeoJson,
}

/// <summary>The HTTP binding's shared rules: tenants, @context from the Link header or the body, content negotiation, answers and errors.</summary>
internal static partial class NgsiLdHttp
{
    public const string TenantHeader = "NGSILD-Tenant";
    public const string ResultsCountHeader = "NGSILD-Results-Count";
    public const string ContextRelation = "http://www.w3.org/ns/json-ld#context";

    public static string Tenant(HttpRequest request)
    {
        var tenant = request.Headers[TenantHeader].ToString();
        if (tenant.Length > 0 && !TenantPattern().IsMatch(tenant))
        {
            throw NgsiLdException.BadData($"{TenantHeader} '{Entities.EntityParser.Shorten(tenant)}' must be 1-64 letters, digits, '_' or '-'.");
        }
        return tenant;
    }

    /// <summary>The tenant of a read: one that has never been written to does not exist (a 404, not an empty answer).</summary>
    public static async Task<string> ExistingTenantAsync(HttpRequest request, Entities.EntityRepository repository, CancellationToken cancellationToken)
    {
        var tenant = Tenant(request);
        if (!await repository.TenantExistsAsync(tenant, cancellationToken))
        {
            throw new NgsiLdException(NgsiLdError.NonexistentTenant, $"Tenant '{tenant}' does not exist.");
        }
        return tenant;
    }

    /// <summary>The @context of a request without a body, from its Link header (the core context when absent).</summary>
    public static async Task<LdContext> LinkContextAsync(HttpRequest request, ContextResolver resolver, CancellationToken cancellationToken)
    {
        var link = ReadLinkHeader(request);
        return link is null ? LdContext.Core : await resolver.ResolveAsync(JsonSerializer.SerializeToElement(link), cancellationToken);
    }

    private static string? ReadLinkHeader(HttpRequest request)
    {
        foreach (var header in request.Headers.Link)
        {
            foreach (var part in (header ?? "").Split(','))
            {
                var match = LinkPattern().Match(part);
                if (match.Success && part.Contains(ContextRelation, StringComparison.Ordinal))
                {
                    return match.Groups[1].Value;
                }
            }
            if (!string.IsNullOrWhiteSpace(header))
            {
                throw NgsiLdException.BadData($"The Link header must be <URL>; rel=\"{ContextRelation}\"; type=\"application/ld+json\".");
            }
        }
        return null;
    }

    /// <summary>
    /// Reads a JSON body and its @context: with application/json from the Link header (an @context in the body is an
    /// error), with application/ld+json from the body (where it is required). Other media types are a 415.
    /// </summary>
    public static async Task<(JsonElement Body, LdContext Context)> ReadBodyAsync(HttpRequest request, ContextResolver resolver, bool allowMergePatch, CancellationToken cancellationToken)
    {
        var contentType = (request.ContentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        var isLd = contentType == "application/ld+json";
        if (contentType is not ("application/json" or "application/ld+json") && !(allowMergePatch && contentType == "application/merge-patch+json"))
        {
            throw new NgsiLdException(NgsiLdError.UnsupportedMediaType,
                $"Content-Type '{(contentType.Length == 0 ? "(none)" : contentType)}' is not supported; use application/json or application/ld+json{(allowMergePatch ? " or application/merge-patch+json" : "")}.");
        }
        JsonElement body;
        try
        {
            using var document = await JsonDocument.ParseAsync(request.Body, new JsonDocumentOptions { MaxDepth = 64 }, cancellationToken);
            body = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw NgsiLdException.Invalid($"The body is not valid JSON: {e.Message}");
        }
        LdContext context;
        if (isLd)
        {
            var contexts = CollectBodyContexts(body);
            if (contexts.Count == 0)
            {
                throw NgsiLdException.BadData("With Content-Type application/ld+json the body must carry an @context.");
            }
            if (ReadLinkHeader(request) is not null)
            {
                throw NgsiLdException.BadData("With Content-Type application/ld+json the @context goes in the body, not in a Link header.");
            }
            // An array (a batch) is no single entity: each of its entities resolves its own @context, and one that
            // cannot be resolved fails that entity alone.
            context = body.ValueKind == JsonValueKind.Array ? LdContext.Core : await resolver.ResolveAsync(contexts[0], cancellationToken);
        }
        else
        {
            if (CollectBodyContexts(body).Count > 0)
            {
                throw NgsiLdException.BadData("With Content-Type application/json the body may not carry an @context; send it in a Link header or use application/ld+json.");
            }
            context = await LinkContextAsync(request, resolver, cancellationToken);
        }
        return (body, context);
    }

    private static List<JsonElement> CollectBodyContexts(JsonElement body)
    {
        var contexts = new List<JsonElement>();
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("@context", out var context))
        {
            contexts.Add(context);
        }
        else if (body.ValueKind == JsonValueKind.Array)
        {
            contexts.AddRange(body.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("@context", out _)).Select(e => e.GetProperty("@context")));
        }
        return contexts;
    }

    /// <summary>The answer's media type from Accept; a 406 when none can be produced.</summary>
    public static OutputMedia Negotiate(HttpRequest request, bool geoJsonAllowed)
    {
        var accept = request.Headers.Accept.ToString();
        if (string.IsNullOrWhiteSpace(accept))
        {
            return OutputMedia.Json;
        }
        var ranges = accept.Split(',').Select(r => r.Split(';')[0].Trim().ToLowerInvariant()).ToList();
        if (ranges.Contains("application/ld+json"))
        {
            return OutputMedia.JsonLd;
        }
        if (ranges.Contains("application/json") || ranges.Contains("*/*") || ranges.Contains("application/*"))
        {
            return OutputMedia.Json;
        }
        if (geoJsonAllowed && ranges.Contains("application/geo+json"))
        {
            return OutputMedia.GeoJson;
        }
        throw new NgsiLdException(NgsiLdError.NotAcceptable,
            $"Accept '{Entities.EntityParser.Shorten(accept)}' names no type this operation produces (application/json, application/ld+json{(geoJsonAllowed ? ", application/geo+json" : "")}).");
    }

    /// <summary>
    /// Answers JSON the way the media type wants: application/ld+json with the @context in each object,
    /// application/json with the @context linked.
    /// </summary>
    public static IResult Answer(HttpContext http, JsonNode payload, OutputMedia media, LdContext context, ContextResolver resolver, int status = 200)
    {
        var contextNode = context.IsCoreOnly
            ? (JsonNode)CoreContext.Url
            : new JsonArray([.. context.UserContexts.Select(c => JsonNode.Parse(c.GetRawText())), (JsonNode)CoreContext.Url]);
        string contentType;
        switch (media)
        {
            case OutputMedia.JsonLd:
                contentType = "application/ld+json";
                foreach (var item in payload is JsonArray array ? array.OfType<JsonObject>() : payload is JsonObject single ? [single] : [])
                {
                    item["@context"] = contextNode.DeepClone();
                }
                break;
            case OutputMedia.GeoJson:
                contentType = "application/geo+json";
                if (payload is JsonObject geo)
                {
                    geo["@context"] = contextNode.DeepClone();
                }
                break;
            default:
                contentType = "application/json";
                http.Response.Headers.Link = $"<{resolver.LinkFor(context, $"{http.Request.Scheme}://{http.Request.Host}")}>; rel=\"{ContextRelation}\"; type=\"application/ld+json\"";
                break;
        }
        return Results.Text(payload.ToJsonString(), contentType, System.Text.Encoding.UTF8, status);
    }

    /// <summary>The ProblemDetails of an NGSI-LD error, typed with the spec's error URI.</summary>
    public static IResult Problem(NgsiLdException error, HttpContext http) => Results.Problem(new ProblemDetails
    {
        Type = error.Type,
        Title = error.Title,
        Status = error.Status,
        Detail = error.Message,
        Instance = http.Request.Path,
    });

    public static JsonObject ProblemJson(NgsiLdException error) => new()
    {
        ["type"] = error.Type,
        ["title"] = error.Title,
        ["status"] = error.Status,
        ["detail"] = error.Message,
    };

    /// <summary>Refuses parameters the operation does not know (a misspelt one would otherwise be silently ignored).</summary>
    public static void CheckParameters(HttpRequest request, IReadOnlySet<string> allowed)
    {
        foreach (var key in request.Query.Keys)
        {
            if (!allowed.Contains(key))
            {
                throw NgsiLdException.BadData($"Unknown query parameter '{Entities.EntityParser.Shorten(key)}'; this operation takes {string.Join(", ", allowed.Order(StringComparer.Ordinal))}.");
            }
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex TenantPattern();

    [GeneratedRegex("<([^>]+)>")]
    private static partial Regex LinkPattern();
}

using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CityBrain.Sensing.Api;

namespace CityBrain.Sensing.Ld;

/// <summary>
/// Resolves a request's @context: the core context is built in; other URLs are fetched once and kept; inline
/// contexts are kept too, under a hash, so that answers can link to them (GET /jsonldContexts/{id}).
/// </summary>
internal sealed class ContextResolver(IHttpClientFactory httpClients)
{
    public const string HttpClientName = "ngsi-ld-contexts";

    private readonly ConcurrentDictionary<string, JsonElement> _documents = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonElement> _hosted = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, JsonElement> Hosted => _hosted;

    public async Task<LdContext> ResolveAsync(JsonElement? context, CancellationToken cancellationToken)
    {
        if (context is not { } given || given.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
        {
            return LdContext.Core;
        }
        var items = given.ValueKind == JsonValueKind.Array ? given.EnumerateArray().ToList() : [given];
        var user = new List<JsonElement>();
        var documents = new List<JsonElement>();
        foreach (var item in items)
        {
            switch (item.ValueKind)
            {
                case JsonValueKind.String when CoreContext.IsCoreContextUrl(item.GetString()!):
                    break;
                case JsonValueKind.String:
                    user.Add(item);
                    documents.Add(await FetchAsync(item.GetString()!, cancellationToken));
                    break;
                case JsonValueKind.Object:
                    user.Add(item);
                    documents.Add(item);
                    break;
                default:
                    throw NgsiLdException.BadData("@context entries must be URLs or objects.");
            }
        }
        return user.Count == 0 ? LdContext.Core : LdContext.From(user, documents);
    }

    /// <summary>A URL naming this context for the Link header of an application/json answer.</summary>
    public string LinkFor(LdContext context, string baseUrl)
    {
        if (context.IsCoreOnly)
        {
            return CoreContext.Url;
        }
        if (context.UserContexts is [{ ValueKind: JsonValueKind.String } single])
        {
            return single.GetString()!;
        }
        var raw = JsonSerializer.Serialize(context.UserContexts);
        var id = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(raw)))[..24];
        _hosted.TryAdd(id, JsonDocument.Parse($$"""{"@context":{{raw}}}""").RootElement.Clone());
        return $"{baseUrl}/ngsi-ld/v1/jsonldContexts/{id}";
    }

    private async Task<JsonElement> FetchAsync(string url, CancellationToken cancellationToken)
    {
        if (_documents.TryGetValue(url, out var cached))
        {
            return cached;
        }
        var hostedPrefix = "/ngsi-ld/v1/jsonldContexts/";
        var hostedAt = url.IndexOf(hostedPrefix, StringComparison.Ordinal);
        if (hostedAt >= 0 && _hosted.TryGetValue(url[(hostedAt + hostedPrefix.Length)..], out var hosted))
        {
            return hosted;
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw NgsiLdException.BadData($"@context '{url}' is not an http(s) URL.");
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            var client = httpClients.CreateClient(HttpClientName);
            await using var stream = await client.GetStreamAsync(uri, timeout.Token);
            using var document = await JsonDocument.ParseAsync(stream, cancellationToken: timeout.Token);
            var root = document.RootElement.Clone();
            _documents[url] = root;
            return root;
        }
        catch (Exception e) when (e is HttpRequestException or JsonException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new NgsiLdException(NgsiLdError.LdContextNotAvailable, $"@context '{url}' could not be retrieved: {e.Message}");
        }
    }
}

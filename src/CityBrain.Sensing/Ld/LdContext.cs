using System.Text.Json;

namespace CityBrain.Sensing.Ld;

/// <summary>
/// A resolved @context: the user's term definitions over the core context. Expands the short names of entity types and
/// attributes to IRIs (the broker stores IRIs, so two clients with different contexts see one entity) and compacts them
/// back for the caller. Terms the context does not define fall to the core context's @vocab (the default context).
/// </summary>
internal sealed class LdContext
{
    public static readonly LdContext Core = new([], [], null);

    private readonly Dictionary<string, string> _terms;
    private readonly Dictionary<string, string> _reverse;

    private LdContext(Dictionary<string, string> terms, IReadOnlyList<JsonElement> userContexts, string? vocabulary)
    {
        _terms = terms;
        UserContexts = userContexts;
        Vocabulary = vocabulary ?? CoreContext.DefaultVocabulary;
        _reverse = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (term, iri) in terms)
        {
            // The first definition of an IRI wins, as a JSON-LD processor picks the shortest, then first, term.
            if (!_reverse.TryGetValue(iri, out var existing) || term.Length < existing.Length)
            {
                _reverse[iri] = term;
            }
        }
    }

    /// <summary>The user's contexts as given (URLs as strings, inline objects), for answering with the same @context.</summary>
    public IReadOnlyList<JsonElement> UserContexts { get; }

    public string Vocabulary { get; }

    public bool IsCoreOnly => UserContexts.Count == 0;

    /// <summary>Builds a context from already-fetched context documents, in order (later definitions override earlier ones).</summary>
    public static LdContext From(IReadOnlyList<JsonElement> userContexts, IReadOnlyList<JsonElement> documents)
    {
        var terms = new Dictionary<string, string>(StringComparer.Ordinal);
        string? vocabulary = null;
        foreach (var document in documents)
        {
            Collect(document, terms, ref vocabulary);
        }
        return new LdContext(terms, userContexts, vocabulary);
    }

    private static void Collect(JsonElement context, Dictionary<string, string> terms, ref string? vocabulary)
    {
        switch (context.ValueKind)
        {
            case JsonValueKind.Array:
                foreach (var item in context.EnumerateArray())
                {
                    Collect(item, terms, ref vocabulary);
                }
                break;
            case JsonValueKind.Object:
                if (context.TryGetProperty("@context", out var inner))
                {
                    Collect(inner, terms, ref vocabulary);
                    break;
                }
                foreach (var definition in context.EnumerateObject())
                {
                    if (definition.Name == "@vocab" && definition.Value.ValueKind == JsonValueKind.String)
                    {
                        vocabulary = definition.Value.GetString();
                        continue;
                    }
                    if (definition.Name.StartsWith('@'))
                    {
                        continue;
                    }
                    var iri = definition.Value.ValueKind switch
                    {
                        JsonValueKind.String => definition.Value.GetString(),
                        JsonValueKind.Object when definition.Value.TryGetProperty("@id", out var id) && id.ValueKind == JsonValueKind.String => id.GetString(),
                        _ => null,
                    };
                    if (iri is not null)
                    {
                        terms[definition.Name] = iri;
                    }
                }
                // Compact IRIs in definitions (schema:name) resolve against prefixes defined in the same context.
                foreach (var (term, iri) in terms.ToList())
                {
                    terms[term] = ExpandPrefix(iri, terms);
                }
                break;
            default:
                // Strings are URLs, fetched by the resolver before this; null resets nothing here.
                break;
        }
    }

    private static string ExpandPrefix(string value, IReadOnlyDictionary<string, string> terms)
    {
        var colon = value.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || value.AsSpan(colon + 1).StartsWith("//"))
        {
            return value;
        }
        var prefix = value[..colon];
        if (terms.TryGetValue(prefix, out var iri) || CoreContext.Prefixes.TryGetValue(prefix, out iri))
        {
            return iri + value[(colon + 1)..];
        }
        return value;
    }

    /// <summary>Expands an attribute name or type name to its IRI.</summary>
    public string Expand(string term)
    {
        if (_terms.TryGetValue(term, out var iri))
        {
            return iri;
        }
        if (CoreContext.Terms.TryGetValue(term, out iri))
        {
            return iri;
        }
        if (term.Contains(':', StringComparison.Ordinal))
        {
            return ExpandPrefix(term, _terms);
        }
        return Vocabulary + term;
    }

    /// <summary>Compacts an IRI to the caller's term: the user's context first, then the core context, then the default vocabulary.</summary>
    public string Compact(string iri)
    {
        if (_reverse.TryGetValue(iri, out var term))
        {
            return term;
        }
        if (iri.StartsWith(CoreContext.NgsiLd, StringComparison.Ordinal))
        {
            var local = iri[CoreContext.NgsiLd.Length..];
            if (CoreContext.Terms.ContainsKey(local))
            {
                return local;
            }
        }
        if (iri.StartsWith(Vocabulary, StringComparison.Ordinal) && iri.Length > Vocabulary.Length)
        {
            return iri[Vocabulary.Length..];
        }
        if (iri.StartsWith(CoreContext.DefaultVocabulary, StringComparison.Ordinal) && iri.Length > CoreContext.DefaultVocabulary.Length)
        {
            return iri[CoreContext.DefaultVocabulary.Length..];
        }
        return iri;
    }
}

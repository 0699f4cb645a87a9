using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityBrain.Sensing.Api;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;

namespace CityBrain.Sensing.Queries;

/// <summary>A parsed <c>q</c> expression (GS CIM 009 clause 4.9), evaluated against stored entities.</summary>
internal abstract record QueryExpression
{
    public abstract bool Matches(EntityRecord entity);
}

internal sealed record AndExpression(IReadOnlyList<QueryExpression> Terms) : QueryExpression
{
    public override bool Matches(EntityRecord entity) => Terms.All(t => t.Matches(entity));
}

internal sealed record OrExpression(IReadOnlyList<QueryExpression> Terms) : QueryExpression
{
    public override bool Matches(EntityRecord entity) => Terms.Any(t => t.Matches(entity));
}

/// <summary>One term: an attribute path, and unless it only asks that the attribute exists, an operator and a value.</summary>
internal sealed record ComparisonExpression(AttributePath Path, string? Operator, QueryValue? Value) : QueryExpression
{
    public override bool Matches(EntityRecord entity)
    {
        var values = Path.Resolve(entity);
        if (Operator is null)
        {
            return values.Count > 0;
        }
        // A list or range with != means none of them; the other operators match when any value of the attribute does.
        if (Operator == "!=")
        {
            if (values.Count == 0)
            {
                return false;
            }
            foreach (var value in values)
            {
                if (Value!.Equal(value))
                {
                    return false;
                }
            }
            return true;
        }
        foreach (var value in values)
        {
            if (Compare(value))
            {
                return true;
            }
        }
        return false;
    }

    private bool Compare(in ScalarValue value) => Operator switch
    {
        "==" => Value!.Equal(value),
        "~=" => Value!.MatchesPattern(value),
        "!~=" => !Value!.MatchesPattern(value),
        _ => Value!.Order(value) is int order && Operator switch
        {
            ">" => order > 0,
            ">=" => order >= 0,
            "<" => order < 0,
            "<=" => order <= 0,
            _ => false,
        },
    };
}

/// <summary>
/// Where a term looks: an attribute (expanded), optionally one of its sub-attributes (<c>a.b</c>) or a path into its
/// JSON value (<c>a[b.c]</c>). Metadata names (observedAt, unitCode...) address the attribute's own members.
/// </summary>
internal sealed record AttributePath(string Attribute, IReadOnlyList<string> SubAttributes, IReadOnlyList<string> ValuePath)
{
    private static readonly HashSet<string> Metadata = new(StringComparer.Ordinal) { "observedAt", "createdAt", "modifiedAt", "unitCode", "datasetId" };

    /// <summary>An attribute's own values (no sub-attribute, no path into the value, not the id).</summary>
    public bool IsAttributeValue => Attribute != "id" && SubAttributes.Count == 0 && ValuePath.Count == 0;

    /// <summary>The values at this path: an attribute's own values are read once per entity version (<see cref="EntityRecord.ValuesOf"/>), deeper paths from the document.</summary>
    public IReadOnlyList<ScalarValue> Resolve(EntityRecord entity)
    {
        if (Attribute == "id")
        {
            return [ScalarValue.OfString(entity.Id)];
        }
        return IsAttributeValue ? entity.ValuesOf(Attribute) : Read(entity.Document);
    }

    /// <summary>Walks the document: each instance of the attribute, down the sub-attributes and the value path; array elements and language maps' strings count one by one.</summary>
    public List<ScalarValue> Read(JsonObject document)
    {
        var results = new List<ScalarValue>();
        foreach (var instance in EntityRecord.Instances(document[Attribute]))
        {
            JsonObject? current = instance;
            JsonNode? found = null;
            for (var i = 0; i < SubAttributes.Count && current is not null; i++)
            {
                var name = SubAttributes[i];
                if (Metadata.Contains(name))
                {
                    found = current[name];
                    current = null;
                    break;
                }
                current = current[name] as JsonObject;
            }
            if (current is not null)
            {
                var type = current["type"]?.GetValue<string>() ?? "Property";
                found = current[EntityRenderer.ValueKey(type)];
            }
            foreach (var key in ValuePath)
            {
                found = found is JsonObject o ? o[key] : null;
            }
            switch (found)
            {
                case JsonArray array:
                    results.AddRange(array.Where(a => a is not null).Select(ScalarValue.From));
                    break;
                case JsonObject map when instance["type"]?.GetValue<string>() == "LanguageProperty" && ValuePath.Count == 0:
                    results.AddRange(map.Select(m => m.Value).Where(v => v is not null).Select(ScalarValue.From));
                    break;
                case not null:
                    results.Add(ScalarValue.From(found));
                    break;
            }
        }
        return results;
    }
}

/// <summary>The right-hand side of a term: one value, a list (a,b,c) or a range (a..b).</summary>
internal sealed class QueryValue
{
    private readonly ScalarValue[] _values;
    private Regex? _pattern;

    public QueryValue(IReadOnlyList<JsonNode> values, bool isRange)
    {
        IsRange = isRange;
        _values = [.. values.Select(ScalarValue.From)];
    }

    public bool IsRange { get; }

    /// <summary>The one string this value is, when it does not read as a date-time: only entities holding that very string equal it.</summary>
    public string? SingleText => !IsRange && _values is [{ Kind: ScalarKind.String, Instant: null } only] ? only.Text : null;

    public bool Equal(in ScalarValue value)
    {
        if (IsRange)
        {
            return value.CompareTo(_values[0]) is >= 0 && value.CompareTo(_values[1]) is <= 0;
        }
        foreach (var expected in _values)
        {
            if (value.CompareTo(expected) == 0)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The attribute's value against the single comparable value: sign of (value - this), null when incomparable.</summary>
    public int? Order(in ScalarValue value) => _values.Length == 1 && !IsRange ? value.CompareTo(_values[0]) : null;

    public bool MatchesPattern(in ScalarValue value)
    {
        if (value.Kind != ScalarKind.String)
        {
            return false;
        }
        _pattern ??= new Regex(_values[0].Text!, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        try
        {
            return _pattern.IsMatch(value.Text!);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}

/// <summary>
/// A recursive-descent parser for the q language. Every error names the position and what was expected, so a
/// malformed query (a single '=' instead of '==', an unclosed quote) is a 400 that says where.
/// </summary>
internal sealed class QueryParser
{
    private const int MaxLength = 4096;
    private readonly string _text;
    private readonly LdContext _context;
    private int _position;

    private QueryParser(string text, LdContext context)
    {
        _text = text;
        _context = context;
    }

    public static QueryExpression Parse(string text, LdContext context)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw NgsiLdException.BadData("q: the query is empty.");
        }
        if (text.Length > MaxLength)
        {
            throw new NgsiLdException(NgsiLdError.TooComplexQuery, $"q: the query is longer than {MaxLength} characters.");
        }
        var parser = new QueryParser(text, context);
        var expression = parser.ParseOr(depth: 0);
        if (parser._position < text.Length)
        {
            throw parser.Error($"unexpected '{text[parser._position]}'");
        }
        return expression;
    }

    private NgsiLdException Error(string message) =>
        NgsiLdException.BadData($"q: {message} at position {_position + 1} of '{EntityParser.Shorten(_text)}'.");

    private QueryExpression ParseOr(int depth)
    {
        var terms = new List<QueryExpression> { ParseAnd(depth) };
        while (Peek() == '|')
        {
            _position++;
            terms.Add(ParseAnd(depth));
        }
        return terms.Count == 1 ? terms[0] : new OrExpression(terms);
    }

    private QueryExpression ParseAnd(int depth)
    {
        var terms = new List<QueryExpression> { ParsePrimary(depth) };
        while (Peek() == ';')
        {
            _position++;
            terms.Add(ParsePrimary(depth));
        }
        return terms.Count == 1 ? terms[0] : new AndExpression(terms);
    }

    private QueryExpression ParsePrimary(int depth)
    {
        if (Peek() == '(')
        {
            if (depth > 16)
            {
                throw new NgsiLdException(NgsiLdError.TooComplexQuery, "q: parentheses nested deeper than 16.");
            }
            _position++;
            var inner = ParseOr(depth + 1);
            if (Peek() != ')')
            {
                throw Error("expected ')'");
            }
            _position++;
            return inner;
        }
        var path = ParsePath();
        var op = ParseOperator();
        if (op is null)
        {
            return new ComparisonExpression(path, null, null);
        }
        var value = ParseValue(op);
        return new ComparisonExpression(path, op, value);
    }

    private AttributePath ParsePath()
    {
        var start = _position;
        while (_position < _text.Length && (char.IsLetterOrDigit(_text[_position]) || _text[_position] is '_' or ':' or '/' or '#' or '-' or '@' or '.'))
        {
            _position++;
        }
        if (_position == start)
        {
            throw Error(_position < _text.Length ? $"expected an attribute name, found '{_text[_position]}'" : "expected an attribute name");
        }
        var dotted = _text[start.._position];
        var parts = SplitPath(dotted);
        var valuePath = new List<string>();
        if (Peek() == '[')
        {
            _position++;
            var pathStart = _position;
            while (_position < _text.Length && _text[_position] != ']')
            {
                _position++;
            }
            if (_position >= _text.Length)
            {
                throw Error("expected ']'");
            }
            valuePath.AddRange(_text[pathStart.._position].Split('.'));
            _position++;
            if (valuePath.Any(p => p.Length == 0))
            {
                throw Error("empty name inside '[...]'");
            }
        }
        var attribute = parts[0] is "id" or "@id" ? "id" : _context.Expand(parts[0]);
        var subAttributes = parts.Skip(1).Select(p => p is "observedAt" or "createdAt" or "modifiedAt" or "unitCode" or "datasetId" ? p : _context.Expand(p)).ToList();
        return new AttributePath(attribute, subAttributes, valuePath);
    }

    /// <summary>Dots separate sub-attributes, except inside a full IRI (http://example.org/a.b is one name).</summary>
    private static List<string> SplitPath(string dotted)
    {
        if (dotted.Contains("://", StringComparison.Ordinal))
        {
            return [dotted];
        }
        var parts = dotted.Split('.').ToList();
        if (parts.Any(p => p.Length == 0))
        {
            throw NgsiLdException.BadData($"q: empty name in the attribute path '{dotted}'.");
        }
        return parts;
    }

    private string? ParseOperator()
    {
        if (_position >= _text.Length || _text[_position] is ';' or '|' or ')')
        {
            return null;
        }
        foreach (var op in (string[])["==", "!=", ">=", "<=", "!~=", "~=", ">", "<"])
        {
            if (string.CompareOrdinal(_text, _position, op, 0, op.Length) == 0)
            {
                _position += op.Length;
                return op;
            }
        }
        if (_text[_position] == '=')
        {
            throw Error("a single '=' is not an operator (use '==')");
        }
        throw Error($"expected an operator (==, !=, <, <=, >, >=, ~=, !~=), found '{_text[_position]}'");
    }

    private QueryValue ParseValue(string op)
    {
        var first = ParseScalar();
        if (op is "~=" or "!~=")
        {
            if (first is not JsonValue pattern || pattern.GetValueKind() != JsonValueKind.String)
            {
                throw Error("a pattern must be a quoted string");
            }
            try
            {
                _ = new Regex(pattern.GetValue<string>(), RegexOptions.None, TimeSpan.FromMilliseconds(100));
            }
            catch (ArgumentException e)
            {
                throw Error($"invalid regular expression ({e.Message})");
            }
            return new QueryValue([first], false);
        }
        if (string.CompareOrdinal(_text, _position, "..", 0, 2) == 0)
        {
            if (op is not ("==" or "!="))
            {
                throw Error("a range is allowed only with == or !=");
            }
            _position += 2;
            return new QueryValue([first, ParseScalar()], true);
        }
        var values = new List<JsonNode> { first };
        while (Peek() == ',')
        {
            if (op is not ("==" or "!="))
            {
                throw Error("a list is allowed only with == or !=");
            }
            _position++;
            values.Add(ParseScalar());
        }
        return new QueryValue(values, false);
    }

    private JsonNode ParseScalar()
    {
        if (_position >= _text.Length)
        {
            throw Error("expected a value");
        }
        if (_text[_position] == '"')
        {
            var builder = new StringBuilder();
            _position++;
            while (_position < _text.Length && _text[_position] != '"')
            {
                if (_text[_position] == '\\' && _position + 1 < _text.Length)
                {
                    _position++;
                }
                builder.Append(_text[_position++]);
            }
            if (_position >= _text.Length)
            {
                throw Error("unterminated string");
            }
            _position++;
            return JsonValue.Create(builder.ToString());
        }
        var start = _position;
        while (_position < _text.Length && _text[_position] is not (';' or '|' or ')' or ',') &&
               string.CompareOrdinal(_text, _position, "..", 0, 2) != 0)
        {
            _position++;
        }
        var token = _text[start.._position];
        if (token.Length == 0)
        {
            throw Error("expected a value");
        }
        if (token is "true" or "false")
        {
            return JsonValue.Create(token == "true");
        }
        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return JsonValue.Create(number);
        }
        if (Timestamps.TryParse(token, out _) && char.IsDigit(token[0]))
        {
            return JsonValue.Create(token);
        }
        if (token.Contains(':', StringComparison.Ordinal) && EntityParser.IsUri(token))
        {
            // A URI, as Relationship targets are compared (refParking==urn:ngsi-ld:...).
            return JsonValue.Create(token);
        }
        throw NgsiLdException.BadData($"q: '{EntityParser.Shorten(token)}' at position {start + 1} is not a number, a quoted string, true/false, a date-time or a URI.");
    }

    private char Peek() => _position < _text.Length ? _text[_position] : '\0';
}

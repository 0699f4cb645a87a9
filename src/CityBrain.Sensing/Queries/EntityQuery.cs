using System.Text.RegularExpressions;
using CityBrain.Sensing.Api;
using CityBrain.Sensing.Entities;

namespace CityBrain.Sensing.Queries;

/// <summary>Which entities a query or subscription selects: types, ids, an id pattern, q, a geo-query (all expanded).</summary>
internal sealed record EntityQuery(
    IReadOnlyList<string>? Types,
    IReadOnlySet<string>? Ids,
    Regex? IdPattern,
    QueryExpression? Q,
    GeoQuery? Geo,
    IReadOnlySet<string>? Attrs)
{
    public bool Matches(EntityRecord entity)
    {
        if (Types is not null && !Types.Any(t => entity.Types.Contains(t, StringComparer.Ordinal)))
        {
            return false;
        }
        if (Ids is not null && !Ids.Contains(entity.Id))
        {
            return false;
        }
        if (IdPattern is not null && !IdPattern.IsMatch(entity.Id))
        {
            return false;
        }
        // attrs as a filter: the entity has at least one of them (clause 5.7.2).
        if (Attrs is not null && !Attrs.Any(a => entity.Document.ContainsKey(a)))
        {
            return false;
        }
        return (Q is null || Q.Matches(entity)) && (Geo is null || Geo.Matches(entity));
    }

    public static Regex ParseIdPattern(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
        }
        catch (ArgumentException e)
        {
            throw NgsiLdException.BadData($"idPattern '{EntityParser.Shorten(pattern)}' is not a valid regular expression: {e.Message}");
        }
    }
}

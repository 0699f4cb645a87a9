using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;

namespace CityBrain.Sensing.Metrics;

/// <summary>A figure over the live entities: the city-wide value and the value by district (6-digit division code).</summary>
public sealed record EntityMetricReading(double City, IReadOnlyDictionary<string, double> ByDistrict, int Entities);

/// <summary>
/// Figures over the current state of entities, for cockpit indicators and warnings. A metric reads
/// <c>entities/{type}/{function}({attribute}[,{attribute}])</c> over the default tenant, with the core @context:
/// <c>avg</c>, <c>sum</c>, <c>min</c>, <c>max</c> of a numeric attribute, <c>count()</c> of the entities, and
/// <c>ratio(a,b)</c> = 100 × Σa / Σb (parking occupancy = ratio(occupiedSpotNumber,totalSpotNumber)). Entities are
/// grouped by their <c>district</c> Property (a GB/T 2260 code); those without one count for the city only.
/// </summary>
public interface IEntityMetrics
{
    /// <summary>The reading, or null when the metric is not an entity metric; throws <see cref="FormatException"/> when it is one but malformed.</summary>
    ValueTask<EntityMetricReading?> ReadAsync(string metric, CancellationToken cancellationToken);
}

internal sealed partial class EntityMetrics(EntityRepository repository) : IEntityMetrics
{
    public const string Prefix = "entities/";

    [GeneratedRegex(@"^entities/(?<type>[^/()]+)/(?<function>avg|sum|min|max|count|ratio)\((?<args>[^()]*)\)$", RegexOptions.CultureInvariant)]
    private static partial Regex Syntax();

    public async ValueTask<EntityMetricReading?> ReadAsync(string metric, CancellationToken cancellationToken)
    {
        if (!metric.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var match = Syntax().Match(metric);
        if (!match.Success)
        {
            throw new FormatException($"Entity metric '{metric}' must read entities/{{type}}/{{avg|sum|min|max|count|ratio}}({{attribute}}[,{{attribute}}]).");
        }
        var function = match.Groups["function"].Value;
        var args = match.Groups["args"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var arity = function switch { "count" => 0, "ratio" => 2, _ => 1 };
        if (args.Length != arity)
        {
            throw new FormatException($"Entity metric '{metric}': {function} takes {arity} attribute(s), got {args.Length}.");
        }
        var context = LdContext.Core;
        var type = context.Expand(match.Groups["type"].Value);
        var attributes = args.Select(context.Expand).ToArray();
        var district = context.Expand("district");

        var city = new Accumulator();
        var byDistrict = new Dictionary<string, Accumulator>(StringComparer.Ordinal);
        var count = 0;
        foreach (var entity in await repository.OfTypesAsync(EntityRepository.DefaultTenant, [type], cancellationToken))
        {
            // An entity without the figure (a car park that has not reported yet) is left out, not counted as zero.
            double? a = arity >= 1 ? NumberOf(entity, attributes[0]) : 0;
            double? b = arity == 2 ? NumberOf(entity, attributes[1]) : 0;
            if (a is null || b is null)
            {
                continue;
            }
            count++;
            city.Add(a.Value, b.Value);
            if (TextOf(entity, district) is { } code)
            {
                if (!byDistrict.TryGetValue(code, out var area))
                {
                    byDistrict[code] = area = new Accumulator();
                }
                area.Add(a.Value, b.Value);
            }
        }
        return new EntityMetricReading(city.Result(function), byDistrict.ToDictionary(e => e.Key, e => e.Value.Result(function), StringComparer.Ordinal), count);
    }

    private static JsonNode? ValueOf(EntityRecord entity, string attribute) =>
        EntityRecord.Instances(entity.Document[attribute]).FirstOrDefault() is { } instance ? instance["value"] : null;

    private static double? NumberOf(EntityRecord entity, string attribute) =>
        ValueOf(entity, attribute) is JsonValue value && value.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : null;

    private static string? TextOf(EntityRecord entity, string attribute) => ValueOf(entity, attribute) switch
    {
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
        JsonValue value when value.GetValueKind() == JsonValueKind.Number => value.GetValue<double>().ToString(CultureInfo.InvariantCulture),
        _ => null,
    };

    private sealed class Accumulator
    {
        private double _sum;
        private double _sumB;
        private double _min = double.PositiveInfinity;
        private double _max = double.NegativeInfinity;
        private int _count;

        public void Add(double a, double b)
        {
            _sum += a;
            _sumB += b;
            _min = Math.Min(_min, a);
            _max = Math.Max(_max, a);
            _count++;
        }

        public double Result(string function) => function switch
        {
            "count" => _count,
            "sum" => _sum,
            "avg" => _count == 0 ? 0 : _sum / _count,
            "min" => _count == 0 ? 0 : _min,
            "max" => _count == 0 ? 0 : _max,
            _ => _sumB == 0 ? 0 : Math.Round(100 * _sum / _sumB, 2),
        };
    }
}

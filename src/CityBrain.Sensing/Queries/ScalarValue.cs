using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Entities;

namespace CityBrain.Sensing.Queries;

internal enum ScalarKind : byte
{
    /// <summary>An object, an array or a JSON null: present, but comparable with nothing.</summary>
    Other,
    Number,
    String,
    Boolean,
}

/// <summary>
/// An attribute value as the q language compares it, read out of the JSON once: entities keep their attributes' values
/// in this form (<see cref="EntityRecord.ValuesOf"/>), so a query over 100,000 entities compares numbers and strings
/// instead of walking and parsing every JsonNode on every request.
/// </summary>
internal readonly record struct ScalarValue(ScalarKind Kind, double Number, string? Text, bool Boolean, DateTimeOffset? Instant)
{
    public static ScalarValue From(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return default;
        }
        return value.GetValueKind() switch
        {
            JsonValueKind.Number => new ScalarValue(ScalarKind.Number, value.GetValue<double>(), null, false, null),
            JsonValueKind.String => OfString(value.GetValue<string>()),
            JsonValueKind.True => new ScalarValue(ScalarKind.Boolean, 0, null, true, null),
            JsonValueKind.False => new ScalarValue(ScalarKind.Boolean, 0, null, false, null),
            _ => default,
        };
    }

    /// <summary>A string; one that reads as a date (digits first) also keeps its instant, parsed once.</summary>
    public static ScalarValue OfString(string text)
    {
        DateTimeOffset? instant = text.Length >= 10 && char.IsDigit(text[0]) && Timestamps.TryParse(text, out var parsed) ? parsed : null;
        return new ScalarValue(ScalarKind.String, 0, text, false, instant);
    }

    /// <summary>
    /// Sign of (this - other), this being the entity's value and other the query's; null when the two cannot be compared
    /// (different kinds, objects, booleans that differ). An entity's date-time (with a 'T') compares as an instant with a
    /// query's date or date-time, whatever their offsets.
    /// </summary>
    public int? CompareTo(in ScalarValue other)
    {
        if (Kind != other.Kind)
        {
            return null;
        }
        return Kind switch
        {
            ScalarKind.Number => Number.CompareTo(other.Number),
            ScalarKind.String when Instant is { } mine && other.Instant is { } theirs && Text!.Contains('T', StringComparison.Ordinal) => mine.CompareTo(theirs),
            ScalarKind.String => string.CompareOrdinal(Text, other.Text) switch { < 0 => -1, > 0 => 1, _ => 0 },
            ScalarKind.Boolean => Boolean == other.Boolean ? 0 : null,
            _ => null,
        };
    }
}

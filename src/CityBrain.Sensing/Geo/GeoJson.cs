using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Api;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;
using NetTopologySuite.Operation.Distance;

namespace CityBrain.Sensing.Geo;

/// <summary>GeoJSON geometries (RFC 7946, WGS 84 longitude/latitude) read with NetTopologySuite, checked before they are stored.</summary>
internal static class GeoJson
{
    private static readonly JsonSerializerOptions Options = CreateOptions();

    public static readonly GeometryFactory Factory = new(new PrecisionModel(), 4326);

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions();
        options.Converters.Add(new GeoJsonConverterFactory(Factory));
        return options;
    }

    /// <summary>Answers the geometry as stored JSON, or a 400 that says what is wrong with it.</summary>
    public static JsonNode Validate(JsonElement value, string where)
    {
        var geometry = Read(value, where);
        if (!geometry.IsValid && geometry is Polygon or MultiPolygon)
        {
            throw NgsiLdException.BadData($"GeoProperty '{where}': the polygon is not valid (self-intersecting or not closed).");
        }
        return JsonNode.Parse(value.GetRawText())!;
    }

    public static Geometry Read(JsonElement value, string where)
    {
        if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty("type", out _) || !value.TryGetProperty("coordinates", out var coordinates) && !value.TryGetProperty("geometries", out coordinates))
        {
            throw NgsiLdException.BadData($"GeoProperty '{where}' must be a GeoJSON geometry with 'type' and 'coordinates'.");
        }
        Geometry? geometry;
        try
        {
            geometry = value.Deserialize<Geometry>(Options);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException or IndexOutOfRangeException)
        {
            throw NgsiLdException.BadData($"GeoProperty '{where}' is not valid GeoJSON: {e.Message}");
        }
        if (geometry is null || geometry.IsEmpty)
        {
            throw NgsiLdException.BadData($"GeoProperty '{where}' is an empty geometry.");
        }
        foreach (var coordinate in geometry.Coordinates)
        {
            if (coordinate.X is < -180 or > 180 || coordinate.Y is < -90 or > 90 || double.IsNaN(coordinate.X) || double.IsNaN(coordinate.Y))
            {
                throw NgsiLdException.BadData($"GeoProperty '{where}': coordinate [{coordinate.X}, {coordinate.Y}] is outside longitude -180..180, latitude -90..90.");
            }
        }
        return geometry;
    }

    public static Geometry? TryRead(JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }
        try
        {
            return value.Deserialize<Geometry>(Options);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>Metres on the WGS 84 spheroid between the nearest points (in longitude/latitude) of two geometries.</summary>
    public static double DistanceMetres(Geometry a, Geometry b)
    {
        if (a.Intersects(b))
        {
            return 0;
        }
        var nearest = DistanceOp.NearestPoints(a, b);
        return Geodesic.DistanceMetres(nearest[0], nearest[1]);
    }
}

using System.Globalization;
using System.Text.Json;
using CityBrain.Sensing.Api;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Geo;
using CityBrain.Sensing.Ld;
using NetTopologySuite.Geometries;

namespace CityBrain.Sensing.Queries;

/// <summary>A geo-query (clause 4.10): a relation between the entity's GeoProperty and a reference geometry.</summary>
internal sealed record GeoQuery(string Relation, double? MaxDistance, double? MinDistance, Geometry Geometry, string GeoProperty)
{
    public bool Matches(EntityRecord entity)
    {
        var own = entity.GeometryOf(GeoProperty);
        if (own is null)
        {
            return false;
        }
        return Relation switch
        {
            "near" => GeoJson.DistanceMetres(own, Geometry) is var d && (MaxDistance is null || d <= MaxDistance) && (MinDistance is null || d >= MinDistance),
            "within" => own.Within(Geometry),
            "contains" => own.Contains(Geometry),
            "intersects" => own.Intersects(Geometry),
            "disjoint" => own.Disjoint(Geometry),
            "equals" => own.EqualsTopologically(Geometry),
            "overlaps" => own.Overlaps(Geometry),
            _ => false,
        };
    }

    /// <summary>
    /// The box that a matching entity's geometry must touch, for the spatial index; null when any entity may match
    /// (disjoint, near with only a minimum distance) or the box would reach a pole or the antimeridian, where degrees
    /// of longitude stop measuring distance.
    /// </summary>
    public Envelope? SearchBox()
    {
        var box = new Envelope(Geometry.EnvelopeInternal);
        if (Relation == "disjoint")
        {
            return null;
        }
        if (Relation == "near")
        {
            if (MaxDistance is not { } max || max > 100_000)
            {
                return null;
            }
            // Two points max metres apart differ by at most max / MetresPerDegree in latitude; in longitude the degree
            // shrinks with the cosine of the latitude (the highest one reached), and 5% more covers the great circle's
            // short-cut towards the pole, under 0.1% within 100 km below 80°.
            var latitude = 1.001 * max / GeoJson.MetresPerDegree;
            var highest = Math.Max(Math.Abs(box.MinY), Math.Abs(box.MaxY)) + latitude;
            if (highest >= 80)
            {
                return null;
            }
            box.ExpandBy(1.05 * latitude / Math.Cos(highest * Math.PI / 180), latitude);
        }
        return box.MinX < -180 || box.MaxX > 180 ? null : box;
    }

    /// <summary>Distance in metres from the reference geometry, for ordering near-queries.</summary>
    public double DistanceOf(EntityRecord entity) => entity.GeometryOf(GeoProperty) is { } own ? GeoJson.DistanceMetres(own, Geometry) : double.MaxValue;

    /// <summary>Reads georel, geometry, coordinates and geoproperty; null when none is given, a 400 naming the fault otherwise.</summary>
    public static GeoQuery? Parse(string? georel, string? geometry, string? coordinates, string? geoproperty, LdContext context)
    {
        if (georel is null && geometry is null && coordinates is null)
        {
            return null;
        }
        if (georel is null || geometry is null || coordinates is null)
        {
            throw NgsiLdException.BadData("A geo-query needs all of georel, geometry and coordinates.");
        }
        var parts = georel.Split(';');
        var relation = parts[0];
        if (relation is not ("near" or "within" or "contains" or "intersects" or "disjoint" or "equals" or "overlaps"))
        {
            throw NgsiLdException.BadData($"georel '{EntityParser.Shorten(relation)}' is not one of near, within, contains, intersects, disjoint, equals, overlaps.");
        }
        double? max = null, min = null;
        foreach (var modifier in parts.Skip(1))
        {
            var split = modifier.Split("==");
            if (split.Length != 2 || split[0] is not ("maxDistance" or "minDistance"))
            {
                throw NgsiLdException.BadData($"georel modifier '{EntityParser.Shorten(modifier)}' must be maxDistance==<metres> or minDistance==<metres>.");
            }
            if (!double.TryParse(split[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var metres) || metres < 0 || !double.IsFinite(metres))
            {
                throw NgsiLdException.BadData($"georel: '{EntityParser.Shorten(split[1])}' is not a distance in metres.");
            }
            if (split[0] == "maxDistance")
            {
                max = metres;
            }
            else
            {
                min = metres;
            }
        }
        if (relation == "near" && max is null && min is null)
        {
            throw NgsiLdException.BadData("georel 'near' needs maxDistance==<metres> or minDistance==<metres>.");
        }
        if (relation != "near" && parts.Length > 1)
        {
            throw NgsiLdException.BadData($"georel '{relation}' takes no distance.");
        }
        if (geometry is not ("Point" or "MultiPoint" or "LineString" or "MultiLineString" or "Polygon" or "MultiPolygon"))
        {
            throw NgsiLdException.BadData($"geometry '{EntityParser.Shorten(geometry)}' is not a GeoJSON geometry type.");
        }
        JsonElement coordinatesElement;
        try
        {
            coordinatesElement = JsonDocument.Parse(coordinates).RootElement;
        }
        catch (JsonException)
        {
            throw NgsiLdException.BadData($"coordinates '{EntityParser.Shorten(coordinates)}' is not a JSON array.");
        }
        var geoJson = JsonDocument.Parse($$"""{"type":"{{geometry}}","coordinates":{{coordinatesElement.GetRawText()}}}""").RootElement;
        var reference = GeoJson.Read(geoJson, "coordinates");
        var property = geoproperty is null ? CoreContext.NgsiLd + "location" : context.Expand(geoproperty);
        return new GeoQuery(relation, max, min, reference, property);
    }
}

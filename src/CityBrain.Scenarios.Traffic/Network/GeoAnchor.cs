namespace CityBrain.Scenarios.Traffic.Network;

/// <summary>
/// Where a road network's metric origin lies on the Earth (WGS 84 longitude and latitude, degrees), to place its roads on a
/// map. A network spans a few kilometres, so a local tangent plane at the anchor is exact to well under a metre: a metre
/// east is 1 / (N cos φ) radians of longitude and a metre north 1 / M radians of latitude, with N and M the ellipsoid's
/// radii of curvature at the anchor's latitude (prime vertical and meridian).
/// </summary>
public readonly record struct GeoAnchor(double Longitude, double Latitude)
{
    /// <summary>
    /// The crossing of 文三路 and 学院路 in Hangzhou's Gudang sub-district (古荡街道, 西湖区), where the HZ1 network was
    /// recorded: the default origin of a network on the city's map.
    /// </summary>
    public static GeoAnchor Gudang { get; } = new(120.1392, 30.2779);

    private const double SemiMajorAxis = 6_378_137.0;
    private const double EccentricitySquared = 6.694_379_990_14e-3;

    /// <summary>The longitude and latitude (degrees) of the point <paramref name="x"/> metres east and <paramref name="y"/> metres north of the anchor.</summary>
    public (double Longitude, double Latitude) ToLonLat(double x, double y)
    {
        var phi = Latitude * Math.PI / 180;
        var sin = Math.Sin(phi);
        var w = 1 - EccentricitySquared * sin * sin;
        var primeVertical = SemiMajorAxis / Math.Sqrt(w);
        var meridian = SemiMajorAxis * (1 - EccentricitySquared) / (w * Math.Sqrt(w));
        return (Longitude + x / (primeVertical * Math.Cos(phi)) * 180 / Math.PI, Latitude + y / meridian * 180 / Math.PI);
    }
}

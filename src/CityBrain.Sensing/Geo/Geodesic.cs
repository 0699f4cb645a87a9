using NetTopologySuite.Geometries;

namespace CityBrain.Sensing.Geo;

/// <summary>
/// Distances on the WGS 84 spheroid (Vincenty's inverse formula), the same model PostGIS's geography uses, so that
/// <c>near</c> selects the same entities in memory and in PostGIS. A sphere would be off by up to 0.3% at Hangzhou's
/// latitude (3 m in 1 km: north-south shorter, east-west longer), enough to move an entity across a maxDistance.
/// </summary>
internal static class Geodesic
{
    private const double A = 6_378_137.0;
    private const double F = 1 / 298.257223563;
    private const double B = A * (1 - F);

    /// <summary>Metres between two longitude/latitude coordinates along the spheroid's geodesic.</summary>
    public static double DistanceMetres(Coordinate from, Coordinate to)
    {
        var l = ToRadians(to.X - from.X);
        var u1 = Math.Atan((1 - F) * Math.Tan(ToRadians(from.Y)));
        var u2 = Math.Atan((1 - F) * Math.Tan(ToRadians(to.Y)));
        double sinU1 = Math.Sin(u1), cosU1 = Math.Cos(u1), sinU2 = Math.Sin(u2), cosU2 = Math.Cos(u2);
        var lambda = l;
        for (var iteration = 0; iteration < 200; iteration++)
        {
            var sinLambda = Math.Sin(lambda);
            var cosLambda = Math.Cos(lambda);
            var sinSigma = Math.Sqrt(Math.Pow(cosU2 * sinLambda, 2) + Math.Pow(cosU1 * sinU2 - sinU1 * cosU2 * cosLambda, 2));
            if (sinSigma == 0)
            {
                return 0;
            }
            var cosSigma = sinU1 * sinU2 + cosU1 * cosU2 * cosLambda;
            var sigma = Math.Atan2(sinSigma, cosSigma);
            var sinAlpha = cosU1 * cosU2 * sinLambda / sinSigma;
            var cos2Alpha = 1 - sinAlpha * sinAlpha;
            // On the equator cos²α is 0 and the term vanishes.
            var cos2SigmaM = cos2Alpha == 0 ? 0 : cosSigma - 2 * sinU1 * sinU2 / cos2Alpha;
            var c = F / 16 * cos2Alpha * (4 + F * (4 - 3 * cos2Alpha));
            var previous = lambda;
            lambda = l + (1 - c) * F * sinAlpha * (sigma + c * sinSigma * (cos2SigmaM + c * cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)));
            if (Math.Abs(lambda - previous) < 1e-12)
            {
                var u2Prime = cos2Alpha * (A * A - B * B) / (B * B);
                var bigA = 1 + u2Prime / 16384 * (4096 + u2Prime * (-768 + u2Prime * (320 - 175 * u2Prime)));
                var bigB = u2Prime / 1024 * (256 + u2Prime * (-128 + u2Prime * (74 - 47 * u2Prime)));
                var deltaSigma = bigB * sinSigma * (cos2SigmaM + bigB / 4 * (cosSigma * (-1 + 2 * cos2SigmaM * cos2SigmaM)
                    - bigB / 6 * cos2SigmaM * (-3 + 4 * sinSigma * sinSigma) * (-3 + 4 * cos2SigmaM * cos2SigmaM)));
                return B * bigA * (sigma - deltaSigma);
            }
        }
        // Nearly antipodal points, where Vincenty's iteration does not settle: half the meridian is close enough there.
        return Math.PI * B;
    }

    private static double ToRadians(double degrees) => degrees * Math.PI / 180;
}

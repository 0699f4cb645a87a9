namespace CityBrain.Sensing;

/// <summary>The sensing module's settings (section "Sensing").</summary>
public sealed class SensingOptions
{
    public const string Section = "Sensing";

    /// <summary>
    /// Leaves the NGSI-LD API open without a bearer token, as conformance suites and local device tests expect
    /// (<c>serve --ngsi-open</c>, loopback only). Default false: the platform's bearer tokens are required.
    /// </summary>
    public bool Open { get; set; }
}

namespace CityBrain.Scenarios.Traffic.Web.Detectors;

/// <summary>
/// Where a running simulation's road detectors send their readings, every simulated minute. The host publishes them over
/// MQTT to the sensing module's ingest; the traffic module knows nothing of either. <see cref="Offer"/> is called on the
/// simulation's own thread between two steps, so it must return at once: it queues, and never waits for a broker.
/// </summary>
public interface ITrafficDetectorSink
{
    /// <summary>Queues one minute's readings for publishing.</summary>
    /// <returns>How many queued readings this offer pushed out, oldest first, because the queue was full: they are never published.</returns>
    int Offer(IReadOnlyList<TrafficDetectorReading> readings);
}

/// <summary>
/// One road detector's reading over a simulated minute, shaped as a FIWARE Smart Data Model TrafficFlowObserved: the
/// device (<paramref name="DetectorId"/>, unique per dataset and road), its road, the district it lies in (GB/T 2260 code)
/// and its place on the map (WGS 84), the interval observed [<paramref name="From"/>, <paramref name="To"/>) on the run's
/// clock, the vehicles that passed its stop line (intensity), the mean speed on the road in km/h (its speed limit when no
/// vehicle was on it: free flow), the share of time its loops were covered (occupancy, 0-1) and whether the road is congested.
/// </summary>
public sealed record TrafficDetectorReading(
    string DetectorId, string Road, string District, double Longitude, double Latitude, DateTimeOffset From, DateTimeOffset To,
    int Intensity, double AverageSpeed, double Occupancy, bool Congested);

/// <summary>No publishing: the sink of a node without a broker to publish to.</summary>
internal sealed class NoTrafficDetectorSink : ITrafficDetectorSink
{
    public int Offer(IReadOnlyList<TrafficDetectorReading> readings) => 0;
}

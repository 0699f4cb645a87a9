using System.Diagnostics;
using CityBrain.Scenarios.Traffic.Live;
using CityBrain.Scenarios.Traffic.Network;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Scenarios.Traffic.Web.Detectors;

/// <summary>
/// Connects a running <see cref="TrafficSession"/> to the <see cref="ITrafficDetectorSink"/>: the one way a run (the live
/// page's, or one started through the API) publishes its detectors. The run's clock starts at the wall time it starts, so
/// a run at real time reads as now; a faster run's readings are stamped ahead of the wall clock, as its simulated time is.
/// </summary>
internal sealed partial class DetectorFeeds(ITrafficDetectorSink sink, IOptions<TrafficOptions> options, TimeProvider time, ILogger<DetectorFeeds> logger)
{
    /// <summary>A feed for one run of <paramref name="dataset"/>: call <see cref="DetectorFeed.AfterStep"/> after each step and <see cref="DetectorFeed.Complete"/> at its end.</summary>
    public DetectorFeed Start(string dataset, TrafficSession session)
    {
        var value = options.Value;
        var anchor = new GeoAnchor(value.AnchorLongitude, value.AnchorLatitude);
        // Seconds only: observedAt is written to the second.
        var start = DateTimeOffset.FromUnixTimeSeconds(time.GetUtcNow().ToUnixTimeSeconds());
        return new DetectorFeed(this, dataset, session, anchor, value.AnchorDistrict, start);
    }

    /// <summary>
    /// Runs a whole session (the API's run with publishing on) and returns its figures as <see cref="TrafficRun.Run"/> does;
    /// <c>WallSeconds</c> includes the offering of the readings, not their publishing.
    /// </summary>
    public TrafficRunResult Run(string dataset, TrafficSession session, CancellationToken cancellationToken)
    {
        var feed = Start(dataset, session);
        var started = Stopwatch.GetTimestamp();
        while (!session.Finished)
        {
            if ((session.Time & 63) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
            session.Step();
            feed.AfterStep();
        }
        var result = session.Result(Stopwatch.GetElapsedTime(started).TotalSeconds);
        feed.Complete();
        return result;
    }

    internal int Offer(IReadOnlyList<TrafficDetectorReading> readings) => sink.Offer(readings);

    internal void Completed(string dataset, int offered, int dropped)
    {
        if (dropped > 0)
        {
            LogDropped(logger, dataset, dropped, offered);
        }
    }

    [LoggerMessage(EventId = 7101, Level = LogLevel.Warning,
        Message = "Traffic run on {Dataset}: {Dropped} of {Offered} detector readings dropped, oldest first: the publishing queue was full (broker down or slower than the simulation)")]
    private static partial void LogDropped(ILogger logger, string dataset, int dropped, int offered);
}

/// <summary>One run's detectors: their places on the map, computed once, and the run's count of offered and dropped readings.</summary>
internal sealed class DetectorFeed
{
    private readonly DetectorFeeds _feeds;
    private readonly string _dataset;
    private readonly TrafficSession _session;
    private readonly DateTimeOffset _start;
    private readonly (string Id, string Road, double Lon, double Lat, double SpeedLimit)[] _sites;
    private readonly string _district;

    internal DetectorFeed(DetectorFeeds feeds, string dataset, TrafficSession session, GeoAnchor anchor, string district, DateTimeOffset start)
    {
        _feeds = feeds;
        _dataset = dataset;
        _session = session;
        _start = start;
        _district = district;
        _sites = [.. session.Detectors.Select(site =>
        {
            var (lon, lat) = anchor.ToLonLat(site.X, site.Y);
            return (DetectorId(dataset, site.Road), site.Road, Math.Round(lon, 7), Math.Round(lat, 7), site.SpeedLimit);
        })];
    }

    public int Offered { get; private set; }
    public int Dropped { get; private set; }

    /// <summary>The device id of a dataset's road detector: traffic-hz1-road_0_1_0.</summary>
    public static string DetectorId(string dataset, string road) => $"traffic-{dataset.ToLowerInvariant()}-{road}";

    /// <summary>Offers the minute's readings when the last step completed a simulated minute.</summary>
    public void AfterStep()
    {
        if (_session.MinuteJustEnded is not { } minute)
        {
            return;
        }
        var from = _start.AddSeconds(minute.From);
        var to = _start.AddSeconds(minute.To);
        var readings = new TrafficDetectorReading[_sites.Length];
        for (var i = 0; i < readings.Length; i++)
        {
            var (id, road, lon, lat, limit) = _sites[i];
            var reading = minute.Readings[i];
            // An empty road is free-flowing: it reads its limit, as traffic indices count an empty segment, rather than
            // keep an old minute's speed on the entity. In km/h, as the Smart Data Model and the cockpit read speeds.
            var kmh = Math.Round((reading.AverageSpeed ?? limit) * 3.6, 1);
            readings[i] = new TrafficDetectorReading(id, road, _district, lon, lat, from, to, reading.Intensity, kmh, Math.Round(reading.Occupancy, 3), reading.Congested);
        }
        Offered += readings.Length;
        Dropped += _feeds.Offer(readings);
    }

    /// <summary>The run ended (finished or stopped): a warning says how many readings were dropped, if any.</summary>
    public void Complete() => _feeds.Completed(_dataset, Offered, Dropped);
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityBrain.Cockpit.Live;

/// <summary>How a point on the city map is coloured: by its own reading against its kind's thresholds.</summary>
public enum MapPointStatus
{
    Normal,
    Warning,
    Alarm,
    NoData,
}

/// <summary>
/// One live thing on the city map (a car park, an air-quality station, a detector): <paramref name="Kind"/> names its
/// layer as the map's layer toggles show it; <paramref name="Label"/> is what a person reads beside the point.
/// </summary>
public sealed record LiveMapPoint(string Id, string Kind, double Lon, double Lat, double? Value, MapPointStatus Status, string Label);

/// <summary>Live points a host supplies for the city map's layers (the sensed city's entities, say); several may be registered.</summary>
public interface ILiveMapLayerSource
{
    ValueTask<IReadOnlyList<LiveMapPoint>> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Reads the map's point sources once a second and announces a change to the open cockpits, which redraw over their live
/// connection: a burst of device updates makes at most one redraw a second, and no browser polls.
/// </summary>
internal sealed partial class LiveMapLayers(IEnumerable<ILiveMapLayerSource> sources, TimeProvider time, ILogger<LiveMapLayers> logger) : BackgroundService
{
    internal static readonly TimeSpan Throttle = TimeSpan.FromSeconds(1);

    private readonly ILiveMapLayerSource[] _sources = [.. sources];

    public IReadOnlyList<LiveMapPoint> Points { get; private set; } = [];

    /// <summary>Raised after <see cref="Points"/> changed; handlers return at once.</summary>
    public event Action? Changed;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_sources.Length == 0)
        {
            return;
        }
        using var timer = new PeriodicTimer(Throttle, time);
        try
        {
            do
            {
                await RefreshAsync(stoppingToken);
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    internal async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var points = new List<LiveMapPoint>();
        foreach (var source in _sources)
        {
            try
            {
                points.AddRange(await source.ReadAsync(cancellationToken));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One broken source leaves the others on the map; the next round tries it again.
                LogSourceFailed(logger, source.GetType().Name, e);
            }
        }
        if (!points.SequenceEqual(Points))
        {
            Points = points;
            Changed?.Invoke();
        }
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "Map layer source {Source} failed")]
    private static partial void LogSourceFailed(ILogger logger, string source, Exception exception);
}

using System.Collections.Concurrent;
using CityBrain.Cockpit.Indicators;
using CityBrain.Cockpit.Warnings;
using Microsoft.AspNetCore.SignalR;

namespace CityBrain.Cockpit.Live;

/// <summary>
/// The cockpits' current state (latest value of each indicator, recent warnings) and the one place changes are
/// announced: to the pages rendered on this server (an in-process event; their circuit is itself a SignalR connection)
/// and to outside clients of /hubs/cockpit, by group (city, district:{code}, unit:{code}).
/// </summary>
internal sealed class CockpitFeed(IHubContext<CockpitHub> hub)
{
    public const int WarningsKept = 100;

    private readonly ConcurrentDictionary<string, IndicatorSnapshot> _snapshots = new(StringComparer.Ordinal);
    private readonly Lock _warningsGate = new();
    private readonly LinkedList<CockpitWarning> _warnings = new();

    public event Action<IndicatorSnapshot>? SnapshotChanged;

    public event Action<CockpitWarning>? WarningRaised;

    public IndicatorSnapshot? Find(string code) => _snapshots.GetValueOrDefault(code);

    public IReadOnlyList<IndicatorSnapshot> Snapshots(IEnumerable<IndicatorDefinition> definitions) =>
        [.. definitions.Select(d => _snapshots.TryGetValue(d.Code, out var s) && s.Definition == d ? s : IndicatorSnapshot.Pending(d))];

    public IReadOnlyList<CockpitWarning> Warnings()
    {
        lock (_warningsGate)
        {
            return [.. _warnings];
        }
    }

    public void Seed(IEnumerable<CockpitWarning> newestFirst)
    {
        lock (_warningsGate)
        {
            foreach (var warning in newestFirst.Take(WarningsKept))
            {
                _warnings.AddLast(warning);
            }
        }
    }

    public async Task PublishAsync(IndicatorSnapshot snapshot, IReadOnlyList<CockpitWarning> warnings, CancellationToken cancellationToken)
    {
        _snapshots[snapshot.Code] = snapshot;
        lock (_warningsGate)
        {
            foreach (var warning in warnings)
            {
                _warnings.AddFirst(warning);
                if (_warnings.Count > WarningsKept)
                {
                    _warnings.RemoveLast();
                }
            }
        }
        SnapshotChanged?.Invoke(snapshot);
        foreach (var warning in warnings)
        {
            WarningRaised?.Invoke(warning);
        }

        var groups = Groups(snapshot).ToList();
        var message = LiveValue.From(snapshot);
        await hub.Clients.Groups(groups).SendAsync(CockpitHub.ValueMessage, message, cancellationToken);
        foreach (var warning in warnings)
        {
            await hub.Clients.Groups(groups).SendAsync(CockpitHub.WarningMessage, warning, cancellationToken);
        }
    }

    private static IEnumerable<string> Groups(IndicatorSnapshot snapshot)
    {
        yield return CockpitHub.CityGroup;
        yield return CockpitHub.UnitGroup(snapshot.Definition.OwningUnit);
        foreach (var district in snapshot.ByArea.Keys.Where(a => a.Length == 6))
        {
            yield return CockpitHub.DistrictGroup(district);
        }
    }
}

/// <summary>What a /hubs/cockpit client receives when a value changes.</summary>
public sealed record LiveValue(string Indicator, string Status, double? Value, IReadOnlyDictionary<string, double> ByArea, DateTimeOffset? At, string? Message)
{
    internal static LiveValue From(IndicatorSnapshot s) => new(s.Code, s.Status.ToString(), s.Value, s.ByArea, s.At, s.Message);
}

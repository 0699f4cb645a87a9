using System.Collections.Concurrent;

namespace CityBrain.Scenarios.Traffic.Web;

/// <summary>
/// The results table (every controller on a dataset's hour, seed 0) as the cockpit shows it: computed once per dataset on
/// first request, about a second on HZ1, then kept for the life of the host since the data do not change.
/// </summary>
internal sealed class ControllerResults(TrafficDatasets datasets)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<TrafficRunResult>>>> _tables = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<TrafficRunResult>> ForAsync(string dataset, CancellationToken cancellationToken)
    {
        var (network, demand) = datasets.Get(dataset);
        // The computation is shared by every viewer, so one viewer leaving does not cancel it; each waits with its own token.
        var table = _tables.GetOrAdd(dataset, _ => new Lazy<Task<IReadOnlyList<TrafficRunResult>>>(
            () => Task.Run(() => TrafficRun.RunEveryController(network, demand), CancellationToken.None)));
        return table.Value.WaitAsync(cancellationToken);
    }
}

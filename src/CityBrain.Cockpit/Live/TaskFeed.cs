using CityBrain.Cockpit.Tasks;

namespace CityBrain.Cockpit.Live;

/// <summary>
/// Task changes for the pages rendered on this server: the inbox, a task's page and the supervision board re-read what
/// they show when a task changes, so a dispatch or an acceptance appears without a reload.
/// </summary>
internal sealed class TaskFeed : ITaskEvents
{
    public event Action<TaskChange>? Changed;

    public ValueTask OnTaskChangedAsync(TaskChange change, CancellationToken cancellationToken)
    {
        Changed?.Invoke(change);
        return ValueTask.CompletedTask;
    }
}

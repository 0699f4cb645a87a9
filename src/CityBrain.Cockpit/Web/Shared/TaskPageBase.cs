using CityBrain.Cockpit.Live;
using CityBrain.Cockpit.Tasks;
using CityBrain.Hub.Security;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace CityBrain.Cockpit.Web.Shared;

/// <summary>
/// A page over the tasks (inbox, a task, the supervision board): knows its caller, acts through <see cref="TaskService"/>
/// (which applies every rule), and re-reads what it shows when a task it cares about changes.
/// </summary>
public abstract class TaskPageBase : ComponentBase, IDisposable
{
    [CascadingParameter]
    private Task<AuthenticationState> AuthenticationState { get; set; } = default!;

    [Inject]
    internal TaskService Tasks { get; set; } = default!;

    [Inject]
    internal TaskFeed TaskFeed { get; set; } = default!;

    [Inject]
    internal TimeProvider Time { get; set; } = default!;

    internal Caller Caller { get; private set; } = new("anonymous", "", null, null, null);

    internal bool IsLeader => OnlyLeadersDispatchAndVerify.Allows(Caller);

    protected override async Task OnInitializedAsync()
    {
        Caller = Caller.From((await AuthenticationState).User);
        TaskFeed.Changed += OnChanged;
        await LoadAsync();
    }

    /// <summary>Reads what the page shows.</summary>
    protected abstract Task LoadAsync();

    /// <summary>Whether a change concerns this page; only those make it read again.</summary>
    internal virtual bool Concerns(TaskChange change) => true;

    private void OnChanged(TaskChange change)
    {
        if (Concerns(change))
        {
            _ = InvokeAsync(async () =>
            {
                await LoadAsync();
                StateHasChanged();
            });
        }
    }

    public void Dispose()
    {
        TaskFeed.Changed -= OnChanged;
        GC.SuppressFinalize(this);
    }
}

using CityBrain.Cockpit.Indicators;
using CityBrain.Cockpit.Live;
using CityBrain.Cockpit.Warnings;
using Microsoft.AspNetCore.Components;

namespace CityBrain.Cockpit.Web.Shared;

/// <summary>A page or part that re-renders when the feed announces a change it cares about.</summary>
public abstract class LiveComponent : ComponentBase, IDisposable
{
    [Inject]
    internal CockpitFeed Feed { get; set; } = default!;

    [Inject]
    internal IndicatorCatalog Catalog { get; set; } = default!;

    protected override void OnInitialized()
    {
        Feed.SnapshotChanged += OnSnapshot;
        Feed.WarningRaised += OnWarning;
    }

    /// <summary>Whether this component shows the indicator; only those changes re-render it.</summary>
    protected virtual bool Concerns(IndicatorSnapshot snapshot) => true;

    protected virtual bool Concerns(CockpitWarning warning) => true;

    protected virtual Task OnLiveChangeAsync() => Task.CompletedTask;

    private void OnSnapshot(IndicatorSnapshot snapshot)
    {
        if (Concerns(snapshot))
        {
            _ = InvokeAsync(async () =>
            {
                await OnLiveChangeAsync();
                StateHasChanged();
            });
        }
    }

    private void OnWarning(CockpitWarning warning)
    {
        if (Concerns(warning))
        {
            _ = InvokeAsync(StateHasChanged);
        }
    }

    public void Dispose()
    {
        Feed.SnapshotChanged -= OnSnapshot;
        Feed.WarningRaised -= OnWarning;
        GC.SuppressFinalize(this);
    }
}

using Microsoft.Extensions.Hosting;

namespace CityBrain.Kernel.Hosting;

/// <summary>
/// Work repeated on the injected clock (escalations, lifecycle checks): once at start, then every <see cref="Interval"/>.
/// A failed round is reported to <see cref="OnFailed"/> and tried again at the next tick; stopping ends the loop.
/// </summary>
public abstract class RecurringWork(TimeProvider time) : BackgroundService
{
    protected abstract TimeSpan Interval { get; }

    protected abstract Task RunOnceAsync(CancellationToken cancellationToken);

    /// <summary>Logs a failed round (with the module's own event ID); the next tick tries again.</summary>
    protected abstract void OnFailed(Exception exception);

    protected sealed override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                OnFailed(e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Tasks;

/// <summary>Escalates overdue tasks to the unit's superior on a timer. Safe on several nodes: each escalation is a versioned update.</summary>
internal sealed partial class TaskEscalationService(
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<TaskOptions> options,
    ILogger<TaskEscalationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.EscalationInterval, time);
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                var escalated = await scope.ServiceProvider.GetRequiredService<TaskService>().EscalateOverdueAsync(stoppingToken);
                if (escalated > 0)
                {
                    LogEscalated(logger, escalated);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Escalated {Count} overdue tasks to their units' superiors")]
    private static partial void LogEscalated(ILogger logger, int count);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Escalating overdue tasks failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

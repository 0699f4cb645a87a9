using CityBrain.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Tasks;

/// <summary>Escalates overdue tasks to the unit's superior on a timer. Safe on several nodes: each escalation is a versioned update.</summary>
internal sealed partial class TaskEscalationService(
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<TaskOptions> options,
    ILogger<TaskEscalationService> logger) : RecurringWork(time)
{
    protected override TimeSpan Interval => options.Value.EscalationInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var escalated = await scope.ServiceProvider.GetRequiredService<TaskService>().EscalateOverdueAsync(cancellationToken);
        if (escalated > 0)
        {
            LogEscalated(logger, escalated);
        }
    }

    protected override void OnFailed(Exception exception) => LogFailed(logger, exception);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Escalated {Count} overdue tasks to their units' superiors")]
    private static partial void LogEscalated(ILogger logger, int count);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Escalating overdue tasks failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

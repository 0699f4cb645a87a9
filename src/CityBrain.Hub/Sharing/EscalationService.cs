using CityBrain.Kernel.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Hub.Sharing;

/// <summary>Escalates lapsed requests to the data bureau on a timer. Safe on several nodes: each escalation is a conditional update.</summary>
internal sealed partial class EscalationService(
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<SharingOptions> options,
    ILogger<EscalationService> logger) : RecurringWork(time)
{
    protected override TimeSpan Interval => options.Value.EscalationInterval;

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        using var scope = scopes.CreateScope();
        var escalated = await scope.ServiceProvider.GetRequiredService<SharingService>().EscalateLapsedAsync(cancellationToken);
        if (escalated > 0)
        {
            LogEscalated(logger, escalated);
        }
    }

    protected override void OnFailed(Exception exception) => LogFailed(logger, exception);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Escalated {Count} lapsed sharing requests to the data bureau")]
    private static partial void LogEscalated(ILogger logger, int count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Escalating lapsed sharing requests failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

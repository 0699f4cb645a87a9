using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Hub.Sharing;

/// <summary>Escalates lapsed requests to the data bureau on a timer. Safe on several nodes: each escalation is a conditional update.</summary>
internal sealed partial class EscalationService(
    IServiceScopeFactory scopes,
    TimeProvider time,
    IOptions<SharingOptions> options,
    ILogger<EscalationService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.EscalationInterval, time);
        do
        {
            try
            {
                using var scope = scopes.CreateScope();
                var escalated = await scope.ServiceProvider.GetRequiredService<SharingService>().EscalateLapsedAsync(stoppingToken);
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

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Escalated {Count} lapsed sharing requests to the data bureau")]
    private static partial void LogEscalated(ILogger logger, int count);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Escalating lapsed sharing requests failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

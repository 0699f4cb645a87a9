using System.ComponentModel.DataAnnotations;
using CityBrain.Kernel.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Indicators;

/// <summary>How long indicator values are kept, bound from the configuration section <c>Cockpit:Indicators</c>.</summary>
internal sealed class IndicatorOptions
{
    public const string Section = "Cockpit:Indicators";

    /// <summary>
    /// Days of value history kept (city, districts, streets). Default 7: a pushed or 2-second indicator with a dozen areas
    /// writes about half a million rows a day, and trends and anomaly checks read only the latest few hundred.
    /// </summary>
    [Range(1, 3650)]
    public int HistoryDays { get; set; } = 7;
}

/// <summary>Deletes values older than <see cref="IndicatorOptions.HistoryDays"/>, hourly on the injected clock. Warnings are kept.</summary>
internal sealed partial class IndicatorHistoryRetention(
    IndicatorHistory history, IOptions<IndicatorOptions> options, TimeProvider time, ILogger<IndicatorHistoryRetention> logger)
    : RecurringWork(time)
{
    private readonly TimeProvider _time = time;

    protected override TimeSpan Interval { get; } = TimeSpan.FromHours(1);

    protected override Task RunOnceAsync(CancellationToken cancellationToken) => DeleteOldAsync(cancellationToken);

    /// <summary>One round: values older than the kept days, by the injected clock.</summary>
    internal async Task DeleteOldAsync(CancellationToken cancellationToken)
    {
        var deleted = await history.DeleteBeforeAsync(_time.GetUtcNow() - TimeSpan.FromDays(options.Value.HistoryDays), cancellationToken);
        if (deleted > 0)
        {
            LogPruned(logger, deleted, options.Value.HistoryDays);
        }
    }

    protected override void OnFailed(Exception exception) => LogFailed(logger, exception);

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Deleted {Count} indicator values older than {Days} days")]
    private static partial void LogPruned(ILogger logger, int count, int days);

    [LoggerMessage(EventId = 5302, Level = LogLevel.Warning, Message = "Deleting old indicator values failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

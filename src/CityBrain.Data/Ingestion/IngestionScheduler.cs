using System.ComponentModel.DataAnnotations;
using CityBrain.Kernel.Errors;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Data.Ingestion;

/// <summary>The <c>Data</c> configuration section.</summary>
internal sealed class DataOptions
{
    public const string Section = "Data";

    /// <summary>How often every mapped dataset is pulled again (incrementally where its source allows). Default 1 hour.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan IngestEvery { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The datasets pulled on the schedule (codes such as <c>ybj.setl</c>). Default: empty, meaning every mapped dataset.</summary>
    public List<string> Scheduled { get; set; } = [];
}

/// <summary>
/// Pulls every mapped dataset on a schedule, once the lake is connected to the hub (<see cref="DataBootstrap"/>):
/// incremental from the watermark where the source has one, full otherwise. A failing source is logged and
/// retried at the next tick; the others go on.
/// </summary>
internal sealed partial class IngestionScheduler(HubIngestion ingestion, IOptions<DataOptions> options, TimeProvider time, ILogger<IngestionScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var unknown in options.Value.Scheduled.Where(d => !ingestion.Mappings.Any(m => m.Dataset == d)))
        {
            LogUnknown(unknown);
        }
        using var timer = new PeriodicTimer(options.Value.IngestEvery, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await RunOnceAsync(stoppingToken);
        }
    }

    public async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        if (ingestion.Access is not { } access)
        {
            return;
        }
        var scheduled = options.Value.Scheduled;
        foreach (var mapping in ingestion.Mappings.Where(m => scheduled.Count == 0 || scheduled.Contains(m.Dataset, StringComparer.Ordinal)))
        {
            try
            {
                var pulled = await ingestion.PullAsync(access, mapping, incremental: true, null, cancellationToken);
                LogPulled(mapping.Dataset, pulled.Version, pulled.AddedRows);
            }
            catch (ProblemException e)
            {
                // Drift names fields only; any other failure may quote a department's answer, which can hold personal data.
                LogFailed(mapping.Dataset, e is BusinessRuleViolationException ? e.Message : $"{e.Status} {e.Title}");
            }
            catch (HttpRequestException e)
            {
                LogFailed(mapping.Dataset, "hub unreachable: " + e.HttpRequestError);
            }
        }
    }

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "Data:Scheduled names {Dataset}, which no source mapping pulls; it is skipped")]
    private partial void LogUnknown(string dataset);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Scheduled pull of {Dataset}: version {Version}, {Added} rows added")]
    private partial void LogPulled(string dataset, long version, long added);

    // The message names datasets, interfaces and fields, never record values.
    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Scheduled pull of {Dataset} failed: {Reason}")]
    private partial void LogFailed(string dataset, string reason);
}

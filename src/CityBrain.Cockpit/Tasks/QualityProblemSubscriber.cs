using System.Globalization;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Messaging.Contracts;
using CityBrain.Kernel.Storage;
using Microsoft.Extensions.Logging;

namespace CityBrain.Cockpit.Tasks;

/// <summary>
/// Turns each data-quality problem the data module publishes into a rectification task (整改任务) in the owning unit's
/// inbox, dispatched like a leader's task. Once per problem: while a task for the same problem (its key, the task's
/// <c>sourceRef</c>) is not closed, finding the problem again (the next run, a redelivery) dispatches none.
/// </summary>
internal sealed partial class QualityProblemSubscriber(ITaskDispatcher dispatcher, IOperationalStore store, ILogger<QualityProblemSubscriber> logger)
    : IEventHandler<QualityProblemFound>
{
    /// <summary>Who the dispatch is audited under.</summary>
    public const string Dispatcher = "system:data-quality";

    /// <summary>Working days the unit has to correct the records at the source and say so.</summary>
    public const int DeadlineWorkingDays = 10;

    public async Task HandleAsync(QualityProblemFound problem, CancellationToken cancellationToken)
    {
        if (await OpenTaskForAsync(problem.ProblemKey, cancellationToken) is { } open)
        {
            LogAlreadyOpen(problem.ProblemKey, open);
            return;
        }
        var subject = problem.Field.Length == 0 ? problem.Dataset : $"{problem.Dataset}.{problem.Field}";
        var instructions = string.Create(CultureInfo.InvariantCulture, $"""
            {problem.FailingCount} records of {problem.Dataset} fail the rule {problem.Rule}{(problem.Field.Length == 0 ? "" : " on " + problem.Field)} ({problem.Dimension}), found by quality run {problem.RunId}.
            Examples (record keys, personal parts masked): {string.Join(", ", problem.SampleKeys)}.
            Every failing record: {problem.FindingsPath}
            Correct them in the source system; the next quality run checks again.
            """);
        var task = await dispatcher.DispatchAsync(new TaskDispatch(
            $"数据质量整改 {subject}: {problem.Rule} ({problem.FailingCount.ToString(CultureInfo.InvariantCulture)} records)", instructions, problem.Unit,
            null, DeadlineWorkingDays, TaskSource.DataQuality, problem.ProblemKey), Dispatcher, cancellationToken);
        LogDispatched(problem.ProblemKey, task.Id, problem.Unit);
    }

    private async Task<string?> OpenTaskForAsync(string problemKey, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return await TaskStore.FindFromSourceAsync(connection, TaskSource.DataQuality, problemKey, openOnly: true, cancellationToken);
    }

    [LoggerMessage(EventId = 5102, Level = LogLevel.Information, Message = "Quality problem {ProblemKey} dispatched to {Unit} as task {TaskId}")]
    private partial void LogDispatched(string problemKey, string taskId, string unit);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Debug, Message = "Quality problem {ProblemKey} already has open task {TaskId}")]
    private partial void LogAlreadyOpen(string problemKey, string taskId);
}

using System.Globalization;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Messaging.Contracts;
using CityBrain.Kernel.Storage;
using Microsoft.Extensions.Logging;

namespace CityBrain.Cockpit.Tasks;

/// <summary>
/// Turns a policy appeal that disputes a unit's data into a task (数据核查任务) in that unit's inbox: check the record,
/// correct it at the source or confirm it. Once per appeal and unit (the task's <c>sourceRef</c>), so a redelivered
/// event dispatches none.
/// </summary>
internal sealed partial class PolicyDisputeSubscriber(ITaskDispatcher dispatcher, IOperationalStore store, ILogger<PolicyDisputeSubscriber> logger)
    : IEventHandler<PolicyDataDisputed>
{
    /// <summary>Who the dispatch is audited under.</summary>
    public const string Dispatcher = "system:policy-appeals";

    /// <summary>Working days the unit has to check the record and answer.</summary>
    public const int DeadlineWorkingDays = 5;

    public async Task HandleAsync(PolicyDataDisputed dispute, CancellationToken cancellationToken)
    {
        var sourceRef = $"{dispute.AppealId}:{dispute.Unit}";
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            if (await TaskStore.FindFromSourceAsync(connection, TaskSource.PolicyAppeal, sourceRef, openOnly: false, cancellationToken) is not null)
            {
                return;
            }
        }
        var instructions = string.Create(CultureInfo.InvariantCulture, $"""
            The appellant ({dispute.SubjectMasked}, a resident or an enterprise) appealed the decision on {dispute.PolicyName} ({dispute.Policy}) and disputes '{dispute.Field}', read from {string.Join(", ", dispute.Datasets)}; the value used was {dispute.ValueUsed ?? "not known"}.
            The appeal in full (the appellant's ID in clear, staff only): {dispute.AppealPath}
            Check the record in your system; correct it at the source, or confirm it, and say which. The next policy run judges on the corrected data.
            """);
        var task = await dispatcher.DispatchAsync(new TaskDispatch(
            $"政策申诉数据核查 {dispute.Policy}: {dispute.Field}", instructions, dispute.Unit, null, DeadlineWorkingDays, TaskSource.PolicyAppeal, sourceRef),
            Dispatcher, cancellationToken);
        LogDispatched(dispute.AppealId, task.Id, dispute.Unit);
    }

    [LoggerMessage(EventId = 5111, Level = LogLevel.Information, Message = "Policy appeal {AppealId} dispatched to {Unit} as task {TaskId}")]
    private partial void LogDispatched(string appealId, string taskId, string unit);
}

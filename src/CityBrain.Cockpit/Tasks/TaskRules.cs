using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;

namespace CityBrain.Cockpit.Tasks;

/// <summary>
/// The task workflow's rules, each a sentence. Who may act is a 403 (<see cref="ForbiddenException"/>); an action the
/// task's state does not allow is a 409 naming the rule (<see cref="BusinessRuleViolationException"/>).
/// </summary>
internal static class OnlyLeadersDispatchAndVerify
{
    public static bool Allows(Caller caller) => caller.Role is HubRoles.Leader or HubRoles.Admin;

    public static void Check(Caller caller, string action)
    {
        if (!Allows(caller))
        {
            throw new ForbiddenException($"only a leader or the data bureau may {action} a task; the caller is '{caller.Role}'");
        }
    }
}

internal static class OnlyTheAssignedUnitActsOnItsTask
{
    public static void Check(Caller caller, CockpitTask task, string action)
    {
        if (caller.Role != HubRoles.UnitOperator)
        {
            throw new ForbiddenException($"only an operator of unit '{task.Unit}' may {action} task '{task.Id}'; the caller is '{caller.Role}'");
        }
        if (caller.Unit != task.Unit)
        {
            throw new ForbiddenException($"task '{task.Id}' is assigned to unit '{task.Unit}', not to '{caller.Unit}'");
        }
    }
}

internal static class AClosedTaskCannotChange
{
    public static void Check(CockpitTask task)
    {
        if (task.Status == TaskState.Closed)
        {
            throw new BusinessRuleViolationException(nameof(AClosedTaskCannotChange), $"task '{task.Id}' is closed; nothing about it can change");
        }
    }
}

/// <summary>Each action moves the task on only from the states listed for it.</summary>
internal static class ATaskMovesOnlyAlongItsWorkflow
{
    private static readonly Dictionary<string, (string[] From, string To)> Moves = new(StringComparer.Ordinal)
    {
        [TaskActions.Accept] = ([TaskState.Dispatched], TaskState.Accepted),
        [TaskActions.SendBack] = ([TaskState.Dispatched], TaskState.SentBack),
        [TaskActions.Redispatch] = ([TaskState.SentBack], TaskState.Dispatched),
        [TaskActions.Progress] = ([TaskState.Accepted, TaskState.InProgress, TaskState.Reopened], TaskState.InProgress),
        [TaskActions.Complete] = ([TaskState.Accepted, TaskState.InProgress, TaskState.Reopened], TaskState.Completed),
        [TaskActions.Close] = ([TaskState.Completed, TaskState.SentBack], TaskState.Closed),
        [TaskActions.Return] = ([TaskState.Completed], TaskState.Reopened),
    };

    /// <summary>Whether a task in <paramref name="status"/> may take <paramref name="action"/> (the pages offer only these).</summary>
    public static bool Allows(string status, string action) =>
        status != TaskState.Closed && Moves.TryGetValue(action, out var move) && move.From.Contains(status, StringComparer.Ordinal);

    /// <summary>The state after <paramref name="action"/>, or the broken rule.</summary>
    public static string Next(CockpitTask task, string action)
    {
        AClosedTaskCannotChange.Check(task);
        var (from, to) = Moves[action];
        if (!from.Contains(task.Status, StringComparer.Ordinal))
        {
            throw new BusinessRuleViolationException(nameof(ATaskMovesOnlyAlongItsWorkflow),
                $"task '{task.Id}' is {task.Status}; '{action}' is possible only when it is {string.Join(" or ", from)}");
        }
        return to;
    }
}

internal static class ASendBackOrReturnStatesItsReason
{
    public static string Check(string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new ValidationFailedException("reason", "sending a task back or returning it states the reason");
        }
        return reason.Trim();
    }
}

/// <summary>The actions of the timeline and the audit chain (audit action <c>cockpit.task-&lt;action&gt;</c>).</summary>
internal static class TaskActions
{
    public const string Dispatch = "dispatch";
    public const string Accept = "accept";
    public const string SendBack = "send-back";
    public const string Redispatch = "redispatch";
    public const string Progress = "progress";
    public const string Complete = "complete";
    public const string Close = "close";
    public const string Return = "return";
    public const string Attach = "attach";
    public const string Escalate = "escalate";
}

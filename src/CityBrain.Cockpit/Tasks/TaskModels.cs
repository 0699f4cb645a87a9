namespace CityBrain.Cockpit.Tasks;

/// <summary>The states of a dispatched task (闭环处置). See docs/cockpit.md for the transitions.</summary>
public static class TaskState
{
    /// <summary>Dispatched to a unit, waiting in its inbox.</summary>
    public const string Dispatched = "dispatched";

    /// <summary>The unit has taken it on.</summary>
    public const string Accepted = "accepted";

    /// <summary>The unit sent it back to the dispatcher with a reason (not ours, not possible as asked).</summary>
    public const string SentBack = "sent-back";

    /// <summary>The unit has reported progress at least once.</summary>
    public const string InProgress = "in-progress";

    /// <summary>The unit says it is done; the dispatcher verifies.</summary>
    public const string Completed = "completed";

    /// <summary>The dispatcher returned the completed work: the unit works on it again.</summary>
    public const string Reopened = "reopened";

    /// <summary>Verified and closed (or withdrawn by the dispatcher after a send-back). Final.</summary>
    public const string Closed = "closed";
}

/// <summary>Where a task came from: a leader's own initiative, a cockpit warning, a data-quality problem, a policy appeal disputing a unit's data.</summary>
public static class TaskSource
{
    public const string Manual = "manual";
    public const string Warning = "warning";
    public const string DataQuality = "data-quality";
    public const string PolicyAppeal = "policy-appeal";

    public static readonly IReadOnlyList<string> All = [Manual, Warning, DataQuality, PolicyAppeal];
}

/// <summary>
/// What a dispatcher sends to a unit. The deadline is either an instant or a number of working days from now
/// (Hangzhou time, Saturdays and Sundays excluded). <paramref name="SourceRef"/> names the warning or quality problem.
/// </summary>
public sealed record TaskDispatch(
    string? Title,
    string? Instructions,
    string? Unit,
    DateTimeOffset? Deadline,
    int? DeadlineWorkingDays,
    string? Source,
    string? SourceRef);

/// <summary>A task as the API shows it.</summary>
public sealed record CockpitTask(
    string Id,
    string Title,
    string Instructions,
    string Unit,
    string Status,
    string Source,
    string? SourceRef,
    string DispatchedBy,
    DateTimeOffset DispatchedAt,
    DateTimeOffset DeadlineAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? ClosedAt,
    DateTimeOffset? EscalatedAt,
    string? EscalatedTo,
    DateTimeOffset UpdatedAt);

/// <summary>One change of a task: when, who, what, why. Every change has one, and the same fact goes to the audit chain.</summary>
public sealed record TaskEvent(int Seq, DateTimeOffset At, string Actor, string Action, string Status, string? Note, IReadOnlyList<TaskAttachment> Attachments);

/// <summary>A stored file (photo or PDF) of a task, content-addressed by its SHA-256.</summary>
public sealed record TaskAttachment(string Id, string FileName, string ContentType, long Size, string Sha256);

/// <summary>A task with its whole timeline.</summary>
public sealed record TaskDetail(CockpitTask Task, IReadOnlyList<TaskEvent> Timeline);

/// <summary>
/// How other modules turn their findings into tasks the same way a leader does (data-quality rectification, warnings).
/// Resolve it from the container; the dispatch is audited under <paramref name="dispatchedBy"/>.
/// </summary>
public interface ITaskDispatcher
{
    Task<CockpitTask> DispatchAsync(TaskDispatch dispatch, string dispatchedBy, CancellationToken cancellationToken);
}

/// <summary>A task changed: the seam for live pushes (SignalR) and other listeners. Raised after the change is committed.</summary>
public sealed record TaskChange(CockpitTask Task, string Action, string Actor, DateTimeOffset At);

/// <summary>
/// Listeners of task changes, registered as any number of singletons. Called after the commit, in order; a listener's
/// failure is logged and never undoes or fails the change.
/// </summary>
public interface ITaskEvents
{
    ValueTask OnTaskChangedAsync(TaskChange change, CancellationToken cancellationToken);
}

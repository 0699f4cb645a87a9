using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Tasks;

/// <summary>
/// The closed loop (闭环处置): dispatch, accept or send back, report progress, complete, verify and close or return,
/// escalate when overdue. Every change is one transaction (task row, timeline row, attachment rows), then one audit record.
/// </summary>
internal sealed partial class TaskService(
    IOperationalStore store,
    IRegistryReader registry,
    IAuditLog audit,
    AttachmentStore attachments,
    IEnumerable<ITaskEvents> listeners,
    TimeProvider time,
    IOptions<TaskOptions> options,
    ILogger<TaskService> logger) : ITaskDispatcher
{
    private const int MaxTitle = 200;
    private const int MaxText = 4000;

    private readonly TaskOptions _options = options.Value;
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);

    public Task<CockpitTask> DispatchAsync(TaskDispatch dispatch, string dispatchedBy, CancellationToken cancellationToken) =>
        DispatchAsync(dispatch, dispatchedBy, [], cancellationToken);

    /// <summary>A leader (or the data bureau) dispatches, with attachments, in one action.</summary>
    public Task<CockpitTask> DispatchAsync(TaskDispatch dispatch, Caller caller, IReadOnlyList<UploadedFile> files, CancellationToken cancellationToken)
    {
        OnlyLeadersDispatchAndVerify.Check(caller, "dispatch");
        return DispatchAsync(dispatch, caller.AuditName, files, cancellationToken);
    }

    private async Task<CockpitTask> DispatchAsync(TaskDispatch dispatch, string actor, IReadOnlyList<UploadedFile> files, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(dispatch.Title) || dispatch.Title.Trim().Length > MaxTitle)
        {
            errors["title"] = [$"a title of 1 to {MaxTitle} characters is required"];
        }
        if (string.IsNullOrWhiteSpace(dispatch.Instructions) || dispatch.Instructions.Length > MaxText)
        {
            errors["instructions"] = [$"instructions of 1 to {MaxText} characters are required"];
        }
        if (string.IsNullOrWhiteSpace(dispatch.Unit))
        {
            errors["unit"] = ["the unit to act is required"];
        }
        DateTimeOffset? deadline = null;
        switch (dispatch.Deadline, dispatch.DeadlineWorkingDays)
        {
            case (null, null):
            case (not null, not null):
                errors["deadline"] = ["give either a deadline (an instant) or deadlineWorkingDays, exactly one"];
                break;
            case ({ } at, null) when at <= now:
                errors["deadline"] = ["the deadline has already passed"];
                break;
            case ({ } at, null):
                deadline = at;
                break;
            case (null, { } days) when days is < 1 or > 60:
                errors["deadlineWorkingDays"] = ["the deadline is 1 to 60 working days away"];
                break;
            case (null, { } days):
                deadline = WorkingDays.Deadline(now, days, _zone, _options.Holidays);
                break;
        }
        var source = dispatch.Source ?? TaskSource.Manual;
        if (!TaskSource.All.Contains(source))
        {
            errors["source"] = [$"the source is one of {string.Join(", ", TaskSource.All)}"];
        }
        else if (source != TaskSource.Manual && string.IsNullOrWhiteSpace(dispatch.SourceRef))
        {
            errors["sourceRef"] = [$"a task from a {source} names it in sourceRef"];
        }
        CheckFileCount(files, errors);
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
        if (await registry.FindUnitAsync(dispatch.Unit!, cancellationToken) is null)
        {
            throw new ValidationFailedException("unit", $"unit '{dispatch.Unit}' is not registered");
        }

        var task = new CockpitTask(
            "task_" + Guid.CreateVersion7(now).ToString("N"), dispatch.Title!.Trim(), dispatch.Instructions!.Trim(), dispatch.Unit!, TaskState.Dispatched,
            source, string.IsNullOrWhiteSpace(dispatch.SourceRef) ? null : dispatch.SourceRef.Trim(), actor, now, deadline!.Value,
            null, null, null, null, now);
        return await WriteAsync(null, task, TaskActions.Dispatch, actor, null, files, now, cancellationToken);
    }

    public Task<CockpitTask> AcceptAsync(string id, Caller caller, CancellationToken cancellationToken) =>
        ActAsync(id, caller, TaskActions.Accept, null, [], cancellationToken);

    public Task<CockpitTask> SendBackAsync(string id, string? reason, Caller caller, CancellationToken cancellationToken) =>
        ActAsync(id, caller, TaskActions.SendBack, ASendBackOrReturnStatesItsReason.Check(reason), [], cancellationToken);

    public Task<CockpitTask> ReportProgressAsync(string id, string? note, IReadOnlyList<UploadedFile> files, Caller caller, CancellationToken cancellationToken) =>
        ActAsync(id, caller, TaskActions.Progress, RequiredNote(note, files), files, cancellationToken);

    public Task<CockpitTask> CompleteAsync(string id, string? note, IReadOnlyList<UploadedFile> files, Caller caller, CancellationToken cancellationToken) =>
        ActAsync(id, caller, TaskActions.Complete, OptionalNote(note), files, cancellationToken);

    public Task<CockpitTask> CloseAsync(string id, string? note, Caller caller, CancellationToken cancellationToken) =>
        ActAsync(id, caller, TaskActions.Close, OptionalNote(note), [], cancellationToken);

    public Task<CockpitTask> ReturnAsync(string id, string? reason, Caller caller, CancellationToken cancellationToken) =>
        ActAsync(id, caller, TaskActions.Return, ASendBackOrReturnStatesItsReason.Check(reason), [], cancellationToken);

    /// <summary>After a send-back the dispatcher gives the task to another unit (or the same, with a new deadline).</summary>
    public async Task<CockpitTask> RedispatchAsync(string id, string? unit, int? deadlineWorkingDays, string? note, Caller caller, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(unit) || await registry.FindUnitAsync(unit, cancellationToken) is null)
        {
            throw new ValidationFailedException("unit", $"unit '{unit}' is not registered");
        }
        if (deadlineWorkingDays is < 1 or > 60)
        {
            throw new ValidationFailedException("deadlineWorkingDays", "the deadline is 1 to 60 working days away");
        }
        return await ActAsync(id, caller, TaskActions.Redispatch, OptionalNote(note), [], cancellationToken, (task, now) => task with
        {
            Unit = unit,
            DeadlineAt = deadlineWorkingDays is { } days ? WorkingDays.Deadline(now, days, _zone, _options.Holidays) : task.DeadlineAt,
            EscalatedAt = null,
            EscalatedTo = null,
        });
    }

    public async Task<IReadOnlyList<CockpitTask>> ListAsync(string? status, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return await TaskStore.ListAsync(connection, SeesAll(caller) ? null : UnitOf(caller), status, 1000, cancellationToken);
    }

    public async Task<TaskDetail> GetAsync(string id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var found = await TaskStore.FindAsync(connection, null, id, cancellationToken);
        if (found is not { Task: var task } || !Sees(caller, task))
        {
            throw new NotFoundException($"task '{id}' does not exist");
        }
        return new TaskDetail(task, await TaskStore.TimelineAsync(connection, id, cancellationToken));
    }

    /// <summary>An attachment and its content, for whoever may see its task.</summary>
    public async Task<(TaskAttachment Attachment, Stream Content)> OpenAttachmentAsync(string id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var found = await TaskStore.FindAttachmentAsync(connection, id, cancellationToken);
        var task = found is null ? null : await TaskStore.FindAsync(connection, null, found.Value.TaskId, cancellationToken);
        if (found is null || task is null || !Sees(caller, task.Value.Task))
        {
            throw new NotFoundException($"attachment '{id}' does not exist");
        }
        return (found.Value.Attachment, attachments.Open(found.Value.Attachment));
    }

    /// <summary>Escalates every overdue task (deadline passed, not completed) once to its unit's superior. Answers how many.</summary>
    public async Task<int> EscalateOverdueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        IReadOnlyList<CockpitTask> overdue;
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            overdue = await TaskStore.OverdueNotEscalatedAsync(connection, now.ToUnixTimeMilliseconds(), cancellationToken);
        }
        var escalated = 0;
        foreach (var task in overdue)
        {
            var superior = (await registry.FindUnitAsync(task.Unit, cancellationToken))?.Parent ?? _options.DataBureauUnit;
            var note = $"overdue since {TimeZoneInfo.ConvertTime(task.DeadlineAt, _zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}; escalated to {superior}";
            try
            {
                await ActAsync(task.Id, EscalationActor, TaskActions.Escalate, note, [], cancellationToken, (current, at) =>
                    current.EscalatedAt is null && current.Status is not (TaskState.Completed or TaskState.Closed or TaskState.SentBack)
                        ? current with { EscalatedAt = at, EscalatedTo = superior }
                        : throw new BusinessRuleViolationException("AnOverdueTaskEscalatesOnce", $"task '{current.Id}' changed meanwhile"));
                escalated++;
            }
            catch (BusinessRuleViolationException)
            {
                // Completed, redispatched or escalated by another node meanwhile.
            }
        }
        return escalated;
    }

    private static readonly Caller EscalationActor = new("cockpit:escalation", HubRoles.System, null, "cockpit", null);

    private async Task<CockpitTask> ActAsync(
        string id, Caller caller, string action, string? note, IReadOnlyList<UploadedFile> files, CancellationToken cancellationToken,
        Func<CockpitTask, DateTimeOffset, CockpitTask>? change = null)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        CheckFileCount(files, errors);
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var found = await TaskStore.FindAsync(connection, null, id, cancellationToken);
        // Acting is decided by the rules below (403 with the reason), not by visibility: a unit acting on another's task is told so.
        if (found is not { Task: var task, Version: var version })
        {
            throw new NotFoundException($"task '{id}' does not exist");
        }
        if (action is TaskActions.Accept or TaskActions.SendBack or TaskActions.Progress or TaskActions.Complete)
        {
            OnlyTheAssignedUnitActsOnItsTask.Check(caller, task, action);
        }
        else if (action is TaskActions.Close or TaskActions.Return or TaskActions.Redispatch)
        {
            OnlyLeadersDispatchAndVerify.Check(caller, action);
        }
        var now = time.GetUtcNow();
        CockpitTask next;
        if (action == TaskActions.Escalate)
        {
            AClosedTaskCannotChange.Check(task);
            next = change!(task, now);
        }
        else
        {
            var status = ATaskMovesOnlyAlongItsWorkflow.Next(task, action);
            next = task with
            {
                Status = status,
                CompletedAt = status == TaskState.Completed ? now : status == TaskState.Reopened ? null : task.CompletedAt,
                ClosedAt = status == TaskState.Closed ? now : null,
            };
            next = change?.Invoke(next, now) ?? next;
        }
        return await WriteAsync(version, next with { UpdatedAt = now }, action, caller.AuditName, note, files, now, cancellationToken);
    }

    /// <summary>The one write path: stage files, then task + timeline + attachment rows in one transaction, then move files, audit, notify.</summary>
    private async Task<CockpitTask> WriteAsync(
        int? expectedVersion, CockpitTask task, string action, string actor, string? note, IReadOnlyList<UploadedFile> files, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var staged = new List<StagedFile>();
        try
        {
            for (var i = 0; i < files.Count; i++)
            {
                staged.Add(await attachments.StageAsync(files[i], $"files[{i}]", cancellationToken));
            }
            await using (var connection = await store.OpenConnectionAsync(cancellationToken))
            await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
            {
                if (expectedVersion is null)
                {
                    await TaskStore.InsertAsync(tx, task, cancellationToken);
                }
                else if (!await TaskStore.UpdateAsync(tx, task, expectedVersion.Value, cancellationToken))
                {
                    throw new BusinessRuleViolationException("OneChangeAtATime", $"task '{task.Id}' was changed by someone else meanwhile; reload it and try again");
                }
                var seq = await TaskStore.AppendEventAsync(tx, task.Id, now, actor, action, task.Status, note, cancellationToken);
                foreach (var file in staged)
                {
                    await TaskStore.InsertAttachmentAsync(tx, task.Id, seq, file.Attachment, actor, now, cancellationToken);
                }
                await tx.CommitAsync(cancellationToken);
            }
        }
        catch
        {
            AttachmentStore.Discard(staged);
            throw;
        }
        foreach (var file in staged)
        {
            attachments.Commit(file);
        }

        var detail = new Dictionary<string, string?>
        {
            ["task"] = task.Id,
            ["unit"] = task.Unit,
            ["status"] = task.Status,
            ["deadline"] = task.DeadlineAt.ToString("O", CultureInfo.InvariantCulture),
        };
        if (action == TaskActions.Dispatch)
        {
            detail["source"] = task.SourceRef is null ? task.Source : $"{task.Source}:{task.SourceRef}";
        }
        if (task.EscalatedTo is not null)
        {
            detail["escalatedTo"] = task.EscalatedTo;
        }
        if (note is not null)
        {
            // The note may name people: the chain keeps its hash, the task's timeline its text.
            detail["noteSha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(note)));
        }
        if (staged.Count > 0)
        {
            detail["attachments"] = string.Join(",", staged.Select(s => s.Attachment.Sha256));
        }
        await audit.AppendAsync(new AuditEntry("cockpit.task-" + action, actor, "task:" + task.Id, Detail: detail), cancellationToken);
        await NotifyAsync(new TaskChange(task, action, actor, now), cancellationToken);
        return task;
    }

    private async Task NotifyAsync(TaskChange change, CancellationToken cancellationToken)
    {
        foreach (var listener in listeners)
        {
            try
            {
                await listener.OnTaskChangedAsync(change, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogListenerFailed(logger, listener.GetType().Name, change.Task.Id, e);
            }
        }
    }

    private void CheckFileCount(IReadOnlyList<UploadedFile> files, Dictionary<string, string[]> errors)
    {
        if (files.Count > _options.MaxAttachmentsPerAction)
        {
            errors["files"] = [$"at most {_options.MaxAttachmentsPerAction} files per action; {files.Count} were sent"];
        }
    }

    private static string RequiredNote(string? note, IReadOnlyList<UploadedFile> files)
    {
        if (string.IsNullOrWhiteSpace(note) && files.Count == 0)
        {
            throw new ValidationFailedException("note", "a progress report carries a note, evidence files, or both");
        }
        return OptionalNote(note) ?? "";
    }

    private static string? OptionalNote(string? note)
    {
        if (note is { Length: > MaxText })
        {
            throw new ValidationFailedException("note", $"a note is at most {MaxText} characters");
        }
        return string.IsNullOrWhiteSpace(note) ? null : note.Trim();
    }

    private static bool SeesAll(Caller caller) => caller.Role is HubRoles.Leader or HubRoles.Admin or HubRoles.Auditor;

    private static string UnitOf(Caller caller) =>
        caller.Role == HubRoles.UnitOperator && caller.Unit is { } unit
            ? unit
            : throw new ForbiddenException($"tasks are for leaders, the data bureau, auditors and unit operators; the caller is '{caller.Role}'");

    /// <summary>Leaders, the bureau and auditors see every task; a unit its own and those escalated to it as the superior.</summary>
    private static bool Sees(Caller caller, CockpitTask task)
    {
        if (SeesAll(caller))
        {
            return true;
        }
        var unit = UnitOf(caller);
        return task.Unit == unit || task.EscalatedTo == unit;
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Warning, Message = "Task listener {Listener} failed on task {TaskId}; the change stands")]
    private static partial void LogListenerFailed(ILogger logger, string listener, string taskId, Exception exception);
}

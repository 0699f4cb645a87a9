using System.Data.Common;
using Dapper;

namespace CityBrain.Cockpit.Tasks;

/// <summary>Rows of tasks, their timeline and attachments. Writes run inside the caller's transaction.</summary>
internal static class TaskStore
{
    private const string Columns =
        "id, title, instructions, unit, status, source, source_ref, dispatched_by, dispatched_at, deadline_at, completed_at, closed_at, escalated_at, escalated_to, updated_at, version";

    public static async Task<(CockpitTask Task, int Version)?> FindAsync(DbConnection connection, DbTransaction? tx, string id, CancellationToken cancellationToken)
    {
        var row = await connection.QueryFirstOrDefaultAsync<TaskRow>(new CommandDefinition(
            $"SELECT {Columns} FROM cockpit_tasks WHERE id = @id", new { id }, tx, cancellationToken: cancellationToken));
        return row is null ? null : (row.ToTask(), row.Version);
    }

    /// <summary>
    /// The oldest task dispatched from <paramref name="source"/> for <paramref name="sourceRef"/> (a quality problem, an appeal
    /// and unit), optionally only one not yet closed: how a subscriber dispatches once per thing it is told about.
    /// </summary>
    public static Task<string?> FindFromSourceAsync(DbConnection connection, string source, string sourceRef, bool openOnly, CancellationToken cancellationToken) =>
        connection.QueryFirstOrDefaultAsync<string>(new CommandDefinition(
            $"SELECT id FROM cockpit_tasks WHERE source = @source AND source_ref = @sourceRef {(openOnly ? "AND status <> @closed" : "")} ORDER BY dispatched_at LIMIT 1",
            new { source, sourceRef, closed = TaskState.Closed }, cancellationToken: cancellationToken));

    /// <summary>Tasks of one unit (or escalated to it as the superior), or all when <paramref name="unit"/> is null.</summary>
    public static async Task<IReadOnlyList<CockpitTask>> ListAsync(DbConnection connection, string? unit, string? status, int limit, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        if (unit is not null)
        {
            where.Add("(unit = @unit OR escalated_to = @unit)");
        }
        if (status is not null)
        {
            where.Add("status = @status");
        }
        var sql = $"SELECT {Columns} FROM cockpit_tasks {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY dispatched_at DESC, id LIMIT @limit";
        return (await connection.QueryAsync<TaskRow>(new CommandDefinition(sql, new { unit, status, limit }, cancellationToken: cancellationToken)))
            .Select(r => r.ToTask()).ToList();
    }

    /// <summary>Every task, for the supervision board (the board is small: a city dispatches thousands, not millions).</summary>
    public static async Task<IReadOnlyList<CockpitTask>> AllAsync(DbConnection connection, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<TaskRow>(new CommandDefinition($"SELECT {Columns} FROM cockpit_tasks", cancellationToken: cancellationToken)))
            .Select(r => r.ToTask()).ToList();

    public static async Task<IReadOnlyList<CockpitTask>> OverdueNotEscalatedAsync(DbConnection connection, long now, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<TaskRow>(new CommandDefinition(
            $"SELECT {Columns} FROM cockpit_tasks WHERE escalated_at IS NULL AND deadline_at < @now AND status NOT IN ('completed', 'closed', 'sent-back') ORDER BY deadline_at",
            new { now }, cancellationToken: cancellationToken))).Select(r => r.ToTask()).ToList();

    public static Task InsertAsync(DbTransaction tx, CockpitTask t, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            $"""
            INSERT INTO cockpit_tasks ({Columns}) VALUES (@Id, @Title, @Instructions, @Unit, @Status, @Source, @SourceRef, @DispatchedBy, @DispatchedAt,
                @DeadlineAt, @CompletedAt, @ClosedAt, @EscalatedAt, @EscalatedTo, @UpdatedAt, 1)
            """,
            TaskRow.From(t, 1), tx, cancellationToken: cancellationToken));

    /// <summary>Writes the task's new state, but only over the version the caller read: a concurrent change loses cleanly.</summary>
    public static async Task<bool> UpdateAsync(DbTransaction tx, CockpitTask t, int expectedVersion, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            UPDATE cockpit_tasks SET unit = @Unit, status = @Status, deadline_at = @DeadlineAt, completed_at = @CompletedAt, closed_at = @ClosedAt,
                escalated_at = @EscalatedAt, escalated_to = @EscalatedTo, updated_at = @UpdatedAt, version = @Version
            WHERE id = @Id AND version = @expectedVersion
            """,
            new DynamicParameters(TaskRow.From(t, expectedVersion + 1)).Also("expectedVersion", expectedVersion), tx, cancellationToken: cancellationToken)) == 1;

    public static async Task<int> AppendEventAsync(DbTransaction tx, string taskId, DateTimeOffset at, string actor, string action, string status, string? note, CancellationToken cancellationToken)
    {
        var seq = await tx.Connection!.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM cockpit_task_events WHERE task_id = @taskId", new { taskId }, tx, cancellationToken: cancellationToken));
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cockpit_task_events (task_id, seq, at, actor, action, status, note) VALUES (@taskId, @seq, @at, @actor, @action, @status, @note)",
            new { taskId, seq, at = at.ToUnixTimeMilliseconds(), actor, action, status, note }, tx, cancellationToken: cancellationToken));
        return seq;
    }

    public static Task InsertAttachmentAsync(DbTransaction tx, string taskId, int eventSeq, TaskAttachment a, string uploadedBy, DateTimeOffset at, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO cockpit_task_attachments (id, task_id, event_seq, sha256, file_name, content_type, size, uploaded_by, uploaded_at)
            VALUES (@Id, @taskId, @eventSeq, @Sha256, @FileName, @ContentType, @Size, @uploadedBy, @at)
            """,
            new { a.Id, taskId, eventSeq, a.Sha256, a.FileName, a.ContentType, a.Size, uploadedBy, at = at.ToUnixTimeMilliseconds() }, tx, cancellationToken: cancellationToken));

    public static async Task<IReadOnlyList<TaskEvent>> TimelineAsync(DbConnection connection, string taskId, CancellationToken cancellationToken)
    {
        var attachments = (await connection.QueryAsync<AttachmentRow>(new CommandDefinition(
                "SELECT id, event_seq, sha256, file_name, content_type, size FROM cockpit_task_attachments WHERE task_id = @taskId ORDER BY event_seq, id",
                new { taskId }, cancellationToken: cancellationToken)))
            .ToLookup(a => a.EventSeq, a => a.ToAttachment());
        return (await connection.QueryAsync<EventRow>(new CommandDefinition(
                "SELECT seq, at, actor, action, status, note FROM cockpit_task_events WHERE task_id = @taskId ORDER BY seq",
                new { taskId }, cancellationToken: cancellationToken)))
            .Select(e => new TaskEvent(e.Seq, DateTimeOffset.FromUnixTimeMilliseconds(e.At), e.Actor, e.Action, e.Status, e.Note, attachments[e.Seq].ToList()))
            .ToList();
    }

    public static async Task<(TaskAttachment Attachment, string TaskId)?> FindAttachmentAsync(DbConnection connection, string id, CancellationToken cancellationToken)
    {
        var row = await connection.QueryFirstOrDefaultAsync<AttachmentRow>(new CommandDefinition(
            "SELECT id, task_id, event_seq, sha256, file_name, content_type, size FROM cockpit_task_attachments WHERE id = @id",
            new { id }, cancellationToken: cancellationToken));
        return row is null ? null : (row.ToAttachment(), row.TaskId);
    }

    private static DynamicParameters Also(this DynamicParameters parameters, string name, object value)
    {
        parameters.Add(name, value);
        return parameters;
    }

    private sealed class TaskRow
    {
        public string Id { get; set; } = "";
        public string Title { get; set; } = "";
        public string Instructions { get; set; } = "";
        public string Unit { get; set; } = "";
        public string Status { get; set; } = "";
        public string Source { get; set; } = "";
        public string? SourceRef { get; set; }
        public string DispatchedBy { get; set; } = "";
        public long DispatchedAt { get; set; }
        public long DeadlineAt { get; set; }
        public long? CompletedAt { get; set; }
        public long? ClosedAt { get; set; }
        public long? EscalatedAt { get; set; }
        public string? EscalatedTo { get; set; }
        public long UpdatedAt { get; set; }
        public int Version { get; set; }

        public static TaskRow From(CockpitTask t, int version) => new()
        {
            Id = t.Id, Title = t.Title, Instructions = t.Instructions, Unit = t.Unit, Status = t.Status, Source = t.Source, SourceRef = t.SourceRef,
            DispatchedBy = t.DispatchedBy, DispatchedAt = t.DispatchedAt.ToUnixTimeMilliseconds(), DeadlineAt = t.DeadlineAt.ToUnixTimeMilliseconds(),
            CompletedAt = t.CompletedAt?.ToUnixTimeMilliseconds(), ClosedAt = t.ClosedAt?.ToUnixTimeMilliseconds(),
            EscalatedAt = t.EscalatedAt?.ToUnixTimeMilliseconds(), EscalatedTo = t.EscalatedTo, UpdatedAt = t.UpdatedAt.ToUnixTimeMilliseconds(), Version = version,
        };

        public CockpitTask ToTask() => new(
            Id, Title, Instructions, Unit, Status, Source, SourceRef, DispatchedBy, At(DispatchedAt), At(DeadlineAt),
            AtOrNull(CompletedAt), AtOrNull(ClosedAt), AtOrNull(EscalatedAt), EscalatedTo, At(UpdatedAt));
    }

    private sealed class EventRow
    {
        public int Seq { get; set; }
        public long At { get; set; }
        public string Actor { get; set; } = "";
        public string Action { get; set; } = "";
        public string Status { get; set; } = "";
        public string? Note { get; set; }
    }

    private sealed class AttachmentRow
    {
        public string Id { get; set; } = "";
        public string TaskId { get; set; } = "";
        public int EventSeq { get; set; }
        public string Sha256 { get; set; } = "";
        public string FileName { get; set; } = "";
        public string ContentType { get; set; } = "";
        public long Size { get; set; }

        public TaskAttachment ToAttachment() => new(Id, FileName, ContentType, Size, Sha256);
    }

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? AtOrNull(long? ms) => ms is { } v ? At(v) : null;
}

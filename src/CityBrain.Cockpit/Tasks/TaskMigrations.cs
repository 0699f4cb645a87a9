using CityBrain.Kernel.Storage;

namespace CityBrain.Cockpit.Tasks;

internal sealed class TaskMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("cockpit.tasks", 1, "tasks, their timeline and attachments",
            """
            CREATE TABLE cockpit_tasks (
                id TEXT PRIMARY KEY,
                title TEXT NOT NULL,
                instructions TEXT NOT NULL,
                unit TEXT NOT NULL,
                status TEXT NOT NULL,
                source TEXT NOT NULL,
                source_ref TEXT NULL,
                dispatched_by TEXT NOT NULL,
                dispatched_at BIGINT NOT NULL,
                deadline_at BIGINT NOT NULL,
                completed_at BIGINT NULL,
                closed_at BIGINT NULL,
                escalated_at BIGINT NULL,
                escalated_to TEXT NULL,
                updated_at BIGINT NOT NULL,
                version INTEGER NOT NULL);
            CREATE INDEX ix_cockpit_tasks_unit ON cockpit_tasks(unit, status);
            CREATE INDEX ix_cockpit_tasks_overdue ON cockpit_tasks(escalated_at, deadline_at);
            CREATE TABLE cockpit_task_events (
                task_id TEXT NOT NULL REFERENCES cockpit_tasks(id),
                seq INTEGER NOT NULL,
                at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                status TEXT NOT NULL,
                note TEXT NULL,
                PRIMARY KEY (task_id, seq));
            CREATE TABLE cockpit_task_attachments (
                id TEXT PRIMARY KEY,
                task_id TEXT NOT NULL REFERENCES cockpit_tasks(id),
                event_seq INTEGER NOT NULL,
                sha256 TEXT NOT NULL,
                file_name TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size BIGINT NOT NULL,
                uploaded_by TEXT NOT NULL,
                uploaded_at BIGINT NOT NULL);
            CREATE INDEX ix_cockpit_task_attachments_task ON cockpit_task_attachments(task_id, event_seq);
            """),
    ];
}

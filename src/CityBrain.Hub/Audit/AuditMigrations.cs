using CityBrain.Kernel.Storage;

namespace CityBrain.Hub.Audit;

internal sealed class AuditMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("hub.audit", 1, "audit chain, subject index, signed checkpoints",
            """
            CREATE TABLE hub_audit (
                seq BIGINT PRIMARY KEY,
                at BIGINT NOT NULL,
                action TEXT NOT NULL,
                actor TEXT NOT NULL,
                resource TEXT NULL,
                purpose TEXT NULL,
                subjects TEXT NULL,
                detail TEXT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL);
            CREATE TABLE hub_audit_subjects (
                subject TEXT NOT NULL,
                seq BIGINT NOT NULL,
                PRIMARY KEY (subject, seq));
            CREATE TABLE hub_audit_checkpoints (
                to_seq BIGINT PRIMARY KEY,
                from_seq BIGINT NOT NULL,
                root TEXT NOT NULL,
                signature TEXT NOT NULL,
                at BIGINT NOT NULL);
            """),
    ];
}

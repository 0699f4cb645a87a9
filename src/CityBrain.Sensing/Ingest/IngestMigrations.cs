using CityBrain.Kernel.Storage;

namespace CityBrain.Sensing.Ingest;

internal sealed class IngestMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("sensing", 4, "device registry and dead letters",
            """
            CREATE TABLE sensing_devices (
                device_id TEXT PRIMARY KEY,
                tenant TEXT NOT NULL,
                doc TEXT NOT NULL
            );
            CREATE TABLE sensing_dead_letters (
                id TEXT PRIMARY KEY,
                device_id TEXT,
                topic TEXT NOT NULL,
                received_at BIGINT NOT NULL,
                payload TEXT NOT NULL,
                reason TEXT NOT NULL
            );
            """),
    ];
}

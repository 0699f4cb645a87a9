using CityBrain.Kernel.Storage;

namespace CityBrain.Sensing.Temporal;

internal sealed class HistoryMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("sensing", 3, "attribute history",
            """
            CREATE TABLE sensing_history (
                tenant TEXT NOT NULL,
                entity_id TEXT NOT NULL,
                attribute TEXT NOT NULL,
                observed_at BIGINT NOT NULL,
                instance TEXT NOT NULL
            );
            CREATE INDEX sensing_history_entity ON sensing_history (tenant, entity_id, attribute, observed_at);
            """),
    ];
}

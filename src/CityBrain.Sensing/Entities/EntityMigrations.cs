using CityBrain.Kernel.Storage;

namespace CityBrain.Sensing.Entities;

internal sealed class EntityMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("sensing", 1, "entities",
            """
            CREATE TABLE sensing_entities (
                tenant TEXT NOT NULL,
                id TEXT NOT NULL,
                doc TEXT NOT NULL,
                modified_at BIGINT NOT NULL,
                PRIMARY KEY (tenant, id)
            );
            CREATE TABLE sensing_tenants (tenant TEXT PRIMARY KEY, created_at BIGINT NOT NULL);
            """),
        new("sensing", 5, "entity owners",
            "ALTER TABLE sensing_entities ADD COLUMN owner TEXT;"),
    ];
}

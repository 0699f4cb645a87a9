using CityBrain.Kernel.Storage;

namespace CityBrain.Hub.Registry;

internal sealed class RegistryMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("hub.registry", 1, "units, systems, interfaces, datasets",
            """
            CREATE TABLE hub_units (
                code TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                division_code TEXT NOT NULL,
                parent TEXT NULL REFERENCES hub_units(code),
                updated_at BIGINT NOT NULL);
            CREATE TABLE hub_systems (
                code TEXT PRIMARY KEY,
                unit TEXT NOT NULL REFERENCES hub_units(code),
                name TEXT NOT NULL,
                base_url TEXT NOT NULL,
                credentials TEXT NULL,
                client_secret_hash TEXT NULL,
                timeout_ms INTEGER NOT NULL,
                updated_at BIGINT NOT NULL);
            CREATE INDEX ix_hub_systems_unit ON hub_systems(unit);
            CREATE TABLE hub_interfaces (
                system TEXT NOT NULL REFERENCES hub_systems(code),
                code TEXT NOT NULL,
                name TEXT NOT NULL,
                method TEXT NOT NULL,
                path TEXT NOT NULL,
                sharing TEXT NOT NULL,
                parameters TEXT NOT NULL,
                fields TEXT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (system, code));
            CREATE TABLE hub_datasets (
                code TEXT PRIMARY KEY,
                unit TEXT NOT NULL REFERENCES hub_units(code),
                name TEXT NOT NULL,
                description TEXT NULL,
                update_frequency TEXT NOT NULL,
                sharing TEXT NOT NULL,
                is_open INTEGER NOT NULL,
                fields TEXT NOT NULL,
                updated_at BIGINT NOT NULL);
            """),
    ];
}

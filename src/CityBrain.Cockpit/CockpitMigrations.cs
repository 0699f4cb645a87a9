using CityBrain.Kernel.Storage;

namespace CityBrain.Cockpit;

/// <summary>The cockpit's tables: indicators added through the API, value history, warnings, staff accounts.</summary>
internal sealed class CockpitMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("cockpit", 1, "indicators, values, warnings, users",
            """
            CREATE TABLE cockpit_indicators (
                code TEXT PRIMARY KEY,
                definition TEXT NOT NULL,
                created_by TEXT NOT NULL,
                updated_at BIGINT NOT NULL);
            CREATE TABLE cockpit_values (
                indicator TEXT NOT NULL,
                area TEXT NOT NULL,
                value REAL NOT NULL,
                at BIGINT NOT NULL);
            CREATE INDEX ix_cockpit_values ON cockpit_values(indicator, area, at);
            CREATE TABLE cockpit_warnings (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                indicator TEXT NOT NULL,
                area TEXT NOT NULL,
                severity TEXT NOT NULL,
                kind TEXT NOT NULL,
                message TEXT NOT NULL,
                value REAL NOT NULL,
                at BIGINT NOT NULL);
            CREATE INDEX ix_cockpit_warnings_at ON cockpit_warnings(at);
            CREATE TABLE cockpit_users (
                name TEXT PRIMARY KEY,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL,
                unit TEXT NULL,
                created_at BIGINT NOT NULL);
            """,
            """
            CREATE TABLE cockpit_indicators (
                code TEXT PRIMARY KEY,
                definition TEXT NOT NULL,
                created_by TEXT NOT NULL,
                updated_at BIGINT NOT NULL);
            CREATE TABLE cockpit_values (
                indicator TEXT NOT NULL,
                area TEXT NOT NULL,
                value DOUBLE PRECISION NOT NULL,
                at BIGINT NOT NULL);
            CREATE INDEX ix_cockpit_values ON cockpit_values(indicator, area, at);
            CREATE TABLE cockpit_warnings (
                id BIGSERIAL PRIMARY KEY,
                indicator TEXT NOT NULL,
                area TEXT NOT NULL,
                severity TEXT NOT NULL,
                kind TEXT NOT NULL,
                message TEXT NOT NULL,
                value DOUBLE PRECISION NOT NULL,
                at BIGINT NOT NULL);
            CREATE INDEX ix_cockpit_warnings_at ON cockpit_warnings(at);
            CREATE TABLE cockpit_users (
                name TEXT PRIMARY KEY,
                password_hash TEXT NOT NULL,
                role TEXT NOT NULL,
                unit TEXT NULL,
                created_at BIGINT NOT NULL);
            """),
        // Old values are deleted by time (IndicatorHistoryRetention); the same statement on both stores.
        new("cockpit", 2, "value history by time, for retention", "CREATE INDEX ix_cockpit_values_at ON cockpit_values(at);"),
    ];
}

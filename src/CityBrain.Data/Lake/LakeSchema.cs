namespace CityBrain.Data.Lake;

/// <summary>
/// The lake's own metadata, kept in the lake file next to the data so that a version and its lineage are
/// committed in the same transaction (see docs/data.md for why not the operational store).
/// </summary>
internal static class LakeSchema
{
    public const string Sql = """
        CREATE TABLE IF NOT EXISTS lake_versions (
            dataset VARCHAR NOT NULL,
            version BIGINT NOT NULL,
            table_name VARCHAR NOT NULL,
            columns VARCHAR NOT NULL,
            row_count BIGINT NOT NULL,
            added_rows BIGINT NOT NULL,
            mode VARCHAR NOT NULL,
            source_system VARCHAR,
            source_interface VARCHAR,
            grant_id VARCHAR,
            file_name VARCHAR,
            watermark VARCHAR,
            loaded_at TIMESTAMP NOT NULL,
            PRIMARY KEY (dataset, version));
        CREATE TABLE IF NOT EXISTS lake_loads (
            dataset VARCHAR PRIMARY KEY,
            version BIGINT NOT NULL,
            staging_table VARCHAR NOT NULL,
            mode VARCHAR NOT NULL,
            state VARCHAR,
            rows BIGINT NOT NULL,
            started_at TIMESTAMP NOT NULL);
        CREATE TABLE IF NOT EXISTS lake_drift (
            dataset VARCHAR NOT NULL,
            detected_at TIMESTAMP NOT NULL,
            source VARCHAR NOT NULL,
            unexpected VARCHAR NOT NULL,
            missing VARCHAR NOT NULL);
        CREATE TABLE IF NOT EXISTS profile_index (
            kind VARCHAR NOT NULL,
            subject VARCHAR NOT NULL,
            dataset VARCHAR NOT NULL,
            version BIGINT NOT NULL,
            loaded_at TIMESTAMP NOT NULL,
            record VARCHAR NOT NULL);
        CREATE INDEX IF NOT EXISTS profile_index_subject ON profile_index (subject);
        """;
}

using CityBrain.Kernel.Storage;

namespace CityBrain.Hub.Sharing;

internal sealed class SharingMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("hub.sharing", 1, "requests, grants, disputes",
            """
            CREATE TABLE hub_requests (
                id TEXT PRIMARY KEY,
                consumer TEXT NOT NULL,
                consumer_unit TEXT NOT NULL,
                resource TEXT NOT NULL,
                owner_unit TEXT NOT NULL,
                fields TEXT NOT NULL,
                purpose TEXT NOT NULL,
                legal_basis TEXT NOT NULL,
                days INTEGER NOT NULL,
                expected_volume BIGINT NULL,
                status TEXT NOT NULL,
                filed_by TEXT NOT NULL,
                filed_at BIGINT NOT NULL,
                deadline_at BIGINT NOT NULL,
                answered_at BIGINT NULL,
                decided_by TEXT NULL,
                reason TEXT NULL,
                grant_id TEXT NULL,
                escalated_at BIGINT NULL);
            CREATE INDEX ix_hub_requests_owner ON hub_requests(owner_unit, status);
            CREATE INDEX ix_hub_requests_consumer ON hub_requests(consumer_unit, status);
            CREATE INDEX ix_hub_requests_deadline ON hub_requests(status, deadline_at);
            CREATE TABLE hub_grants (
                id TEXT PRIMARY KEY,
                request_id TEXT NOT NULL REFERENCES hub_requests(id),
                consumer TEXT NOT NULL,
                consumer_unit TEXT NOT NULL,
                resource TEXT NOT NULL,
                owner_unit TEXT NOT NULL,
                fields TEXT NOT NULL,
                masked_fields TEXT NOT NULL,
                purpose TEXT NOT NULL,
                daily_quota BIGINT NULL,
                granted_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                revoked_at BIGINT NULL,
                revoked_by TEXT NULL,
                revoke_reason TEXT NULL);
            CREATE INDEX ix_hub_grants_lookup ON hub_grants(consumer, resource, revoked_at, expires_at);
            CREATE TABLE hub_disputes (
                id TEXT PRIMARY KEY,
                request_id TEXT NOT NULL UNIQUE REFERENCES hub_requests(id),
                filed_by TEXT NOT NULL,
                reason TEXT NOT NULL,
                status TEXT NOT NULL,
                filed_at BIGINT NOT NULL,
                decided_at BIGINT NULL,
                decided_by TEXT NULL,
                decision_reason TEXT NULL);
            """),
    ];
}

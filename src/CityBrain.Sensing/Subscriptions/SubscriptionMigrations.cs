using CityBrain.Kernel.Storage;

namespace CityBrain.Sensing.Subscriptions;

internal sealed class SubscriptionMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("sensing", 2, "subscriptions and the notification outbox",
            """
            CREATE TABLE sensing_subscriptions (
                tenant TEXT NOT NULL,
                id TEXT NOT NULL,
                doc TEXT NOT NULL,
                times_sent BIGINT NOT NULL DEFAULT 0,
                times_failed BIGINT NOT NULL DEFAULT 0,
                last_notification BIGINT,
                last_success BIGINT,
                last_failure BIGINT,
                PRIMARY KEY (tenant, id)
            );
            CREATE TABLE sensing_notifications (
                id TEXT PRIMARY KEY,
                tenant TEXT NOT NULL,
                subscription_id TEXT NOT NULL,
                data TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL
            );
            CREATE INDEX sensing_notifications_due ON sensing_notifications (next_attempt_at);
            """),
    ];
}

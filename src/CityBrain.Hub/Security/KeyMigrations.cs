using CityBrain.Kernel.Storage;

namespace CityBrain.Hub.Security;

internal sealed class KeyMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("hub.keys", 1, "hub_keys", "CREATE TABLE hub_keys (name TEXT PRIMARY KEY, value TEXT NOT NULL)"),
    ];
}

using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Kernel.Storage;
using Dapper;

namespace CityBrain.Sensing.Ingest;

/// <summary>A payload refused by ingest, kept so that the device's owner sees why (clause: a device's own errors reported, not dropped).</summary>
internal sealed record DeadLetter(string Id, string? DeviceId, string Topic, long ReceivedAt, string Payload, string Reason);

/// <summary>Registers devices for MQTT ingest from inside the platform (the demo city's sensors, a simulator).</summary>
public interface IDeviceRegistry
{
    /// <summary>Adds or replaces a device of the default tenant; <paramref name="mapping"/> is the body of PUT /api/sensing/devices/{id}.</summary>
    Task RegisterAsync(string deviceId, JsonElement mapping, CancellationToken cancellationToken);

    /// <summary>The topic a device publishes its readings on (a JSON object of its mapped fields).</summary>
    static string TopicOf(string deviceId) => $"{DeviceMapping.TopicPrefix}{deviceId}/attrs";
}

/// <summary>The device registry (in memory, written through to the store) and the dead letters of ingest.</summary>
internal sealed class DeviceRegistry(IOperationalStore store, TimeProvider time) : IDeviceRegistry
{
    public Task RegisterAsync(string deviceId, JsonElement mapping, CancellationToken cancellationToken) =>
        SaveAsync(DeviceMapping.Parse(Entities.EntityRepository.DefaultTenant, deviceId, mapping), cancellationToken);

    private const int MaxStoredPayload = 4096;
    private readonly ConcurrentDictionary<string, DeviceMapping> _devices = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile bool _loaded;

    public DeviceMapping? Find(string deviceId) => _devices.TryGetValue(deviceId, out var device) ? device : null;

    public async Task SaveAsync(DeviceMapping device, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var doc = new JsonObject { ["tenant"] = device.Tenant, ["owner"] = device.Owner, ["mapping"] = device.ToJson() }.ToJsonString();
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sensing_devices (device_id, tenant, doc) VALUES (@DeviceId, @Tenant, @doc) ON CONFLICT (device_id) DO UPDATE SET tenant = excluded.tenant, doc = excluded.doc",
            new { device.DeviceId, device.Tenant, doc }, cancellationToken: cancellationToken));
        _devices[device.DeviceId] = device;
    }

    public async Task AddDeadLettersAsync(IReadOnlyList<(string? DeviceId, string Topic, byte[] Payload, string Reason)> letters, CancellationToken cancellationToken)
    {
        if (letters.Count == 0)
        {
            return;
        }
        var now = time.GetUtcNow();
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO sensing_dead_letters (id, device_id, topic, received_at, payload, reason) VALUES (@id, @device, @topic, @at, @payload, @reason)",
            letters.Select(l => new
            {
                id = Guid.CreateVersion7(now).ToString("N"),
                device = l.DeviceId,
                topic = l.Topic,
                at = now.ToUnixTimeMilliseconds(),
                // Kept short: a device sending megabytes of garbage must not fill the store.
                payload = Encoding.UTF8.GetString(l.Payload.AsSpan(0, Math.Min(l.Payload.Length, MaxStoredPayload))),
                reason = l.Reason,
            }), cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<DeadLetter>> DeadLettersAsync(string? deviceId, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var sql = "SELECT id, device_id, topic, received_at, payload, reason FROM sensing_dead_letters" +
            (deviceId is null ? "" : " WHERE device_id = @deviceId") + " ORDER BY id DESC LIMIT @limit";
        var rows = await connection.QueryAsync<(string, string?, string, long, string, string)>(new CommandDefinition(sql, new { deviceId, limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r => new DeadLetter(r.Item1, r.Item2, r.Item3, r.Item4, r.Item5, r.Item6))];
    }

    public async ValueTask EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }
        await _loadLock.WaitAsync(cancellationToken);
        try
        {
            if (_loaded)
            {
                return;
            }
            await using var connection = await store.OpenConnectionAsync(cancellationToken);
            foreach (var (deviceId, tenant, doc) in await connection.QueryAsync<(string, string, string)>(new CommandDefinition("SELECT device_id, tenant, doc FROM sensing_devices", cancellationToken: cancellationToken)))
            {
                var stored = JsonNode.Parse(doc)!;
                _devices[deviceId] = DeviceMapping.Parse(tenant, deviceId, JsonSerializer.SerializeToElement(stored["mapping"]!)) with
                {
                    Owner = stored["owner"]?.GetValue<string>(),
                };
            }
            _loaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }
}

using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Kernel.Storage;
using CityBrain.Sensing.Api;
using CityBrain.Sensing.Ld;
using Dapper;

namespace CityBrain.Sensing.Subscriptions;

/// <summary>Delivery figures of one subscription (clause 5.2.15 NotificationParams' status members).</summary>
internal sealed record SubscriptionStatus(long TimesSent, long TimesFailed, long? LastNotification, long? LastSuccess, long? LastFailure);

/// <summary>Subscriptions, kept in memory for matching every write and written through to the operational store.</summary>
internal sealed class SubscriptionStore(IOperationalStore store, ContextResolver resolver)
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), Subscription> _subscriptions = new();
    private readonly ConcurrentDictionary<(string Tenant, string Id), SubscriptionStatus> _status = new();
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile bool _loaded;

    public async ValueTask<IReadOnlyList<Subscription>> AllAsync(string tenant, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return [.. _subscriptions.Values.Where(s => s.Tenant == tenant).OrderBy(s => s.Id, StringComparer.Ordinal)];
    }

    /// <summary>Every tenant's subscriptions (the periodic sender's view).</summary>
    public async ValueTask<IReadOnlyList<Subscription>> EveryAsync(CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return [.. _subscriptions.Values];
    }

    /// <summary>Matching runs inside entity writes: the subscriptions must already be loaded (the API loads them on first use).</summary>
    public IEnumerable<Subscription> Loaded(string tenant) => _subscriptions.Values.Where(s => s.Tenant == tenant);

    public async ValueTask<Subscription?> GetAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return _subscriptions.TryGetValue((tenant, id), out var subscription) ? subscription : null;
    }

    public SubscriptionStatus StatusOf(Subscription subscription) =>
        _status.TryGetValue((subscription.Tenant, subscription.Id), out var status) ? status : new SubscriptionStatus(0, 0, null, null, null);

    public async Task SaveAsync(Subscription subscription, bool isNew, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var doc = new JsonObject { ["document"] = subscription.Document.DeepClone(), ["context"] = JsonSerializer.SerializeToNode(subscription.Context.UserContexts) }.ToJsonString();
        if (isNew)
        {
            if (_subscriptions.ContainsKey((subscription.Tenant, subscription.Id)))
            {
                throw new NgsiLdException(NgsiLdError.AlreadyExists, $"Subscription '{subscription.Id}' already exists.");
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sensing_subscriptions (tenant, id, doc) VALUES (@Tenant, @Id, @doc)",
                new { subscription.Tenant, subscription.Id, doc }, cancellationToken: cancellationToken));
        }
        else
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sensing_subscriptions SET doc = @doc WHERE tenant = @Tenant AND id = @Id",
                new { subscription.Tenant, subscription.Id, doc }, cancellationToken: cancellationToken));
        }
        _subscriptions[(subscription.Tenant, subscription.Id)] = subscription;
    }

    public async Task<bool> DeleteAsync(string tenant, string id, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sensing_subscriptions WHERE tenant = @tenant AND id = @id", new { tenant, id }, transaction, cancellationToken: cancellationToken));
        // Pending notifications of a deleted subscription have nowhere to go.
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM sensing_notifications WHERE tenant = @tenant AND subscription_id = @id", new { tenant, id }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        _subscriptions.TryRemove((tenant, id), out _);
        _status.TryRemove((tenant, id), out _);
        return deleted > 0;
    }

    /// <summary>Records a delivery attempt's outcome, in memory and in the store.</summary>
    public async Task RecordAsync(string tenant, string id, bool success, long at, CancellationToken cancellationToken)
    {
        var status = _status.AddOrUpdate((tenant, id),
            _ => success ? new SubscriptionStatus(1, 0, at, at, null) : new SubscriptionStatus(0, 1, at, null, at),
            (_, s) => success ? s with { TimesSent = s.TimesSent + 1, LastNotification = at, LastSuccess = at } : s with { TimesFailed = s.TimesFailed + 1, LastNotification = at, LastFailure = at });
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sensing_subscriptions SET times_sent = @TimesSent, times_failed = @TimesFailed, last_notification = @LastNotification, last_success = @LastSuccess, last_failure = @LastFailure WHERE tenant = @tenant AND id = @id",
            new { status.TimesSent, status.TimesFailed, status.LastNotification, status.LastSuccess, status.LastFailure, tenant, id }, cancellationToken: cancellationToken));
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
            var rows = await connection.QueryAsync<(string Tenant, string Id, string Doc, long TimesSent, long TimesFailed, long? LastNotification, long? LastSuccess, long? LastFailure)>(
                new CommandDefinition("SELECT tenant, id, doc, times_sent, times_failed, last_notification, last_success, last_failure FROM sensing_subscriptions", cancellationToken: cancellationToken));
            foreach (var row in rows)
            {
                var stored = JsonNode.Parse(row.Doc)!.AsObject();
                var contexts = JsonSerializer.SerializeToElement(stored["context"]);
                var context = contexts.GetArrayLength() == 0 ? LdContext.Core : await resolver.ResolveAsync(contexts, cancellationToken);
                _subscriptions[(row.Tenant, row.Id)] = Subscription.Parse(row.Tenant, row.Id, stored["document"]!.AsObject(), context);
                _status[(row.Tenant, row.Id)] = new SubscriptionStatus(row.TimesSent, row.TimesFailed, row.LastNotification, row.LastSuccess, row.LastFailure);
            }
            _loaded = true;
        }
        finally
        {
            _loadLock.Release();
        }
    }
}

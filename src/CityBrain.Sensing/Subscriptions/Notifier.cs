using System.Collections.Concurrent;
using System.Data.Common;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Kernel.Storage;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;
using CityBrain.Sensing.Queries;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CityBrain.Sensing.Subscriptions;

/// <summary>Delivers one notification body to a subscription's endpoint; one per URI scheme family.</summary>
internal interface INotificationChannel
{
    bool Handles(Uri endpoint);

    /// <summary>Throws when the endpoint did not take the notification; the sender retries.</summary>
    Task SendAsync(Subscription subscription, string body, CancellationToken cancellationToken);
}

/// <summary>
/// Notifications with a durable outbox: a write that concerns a subscription adds the notification to the outbox in the
/// write's own transaction, so it is as durable as the change. A background loop delivers the outbox in order per
/// subscription, retrying with backoff while an endpoint is down; the subscription's status counts the attempts.
/// </summary>
internal sealed partial class Notifier(
    IOperationalStore store,
    SubscriptionStore subscriptions,
    IEnumerable<INotificationChannel> channels,
    IServiceProvider services,
    TimeProvider time,
    ILogger<Notifier> logger) : BackgroundService, IEntityChangeListener
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly ConcurrentDictionary<(string, string), DateTimeOffset> _lastQueued = new();
    private readonly INotificationChannel[] _channels = [.. channels];

    public async Task OnWritingAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<EntityChanged> changes, CancellationToken cancellationToken)
    {
        await subscriptions.EnsureLoadedAsync(cancellationToken);
        var now = time.GetUtcNow();
        var rows = new List<object>();
        foreach (var group in changes.GroupBy(c => c.Tenant))
        {
            foreach (var subscription in subscriptions.Loaded(group.Key))
            {
                if (!subscription.IsLive(now) || subscription.TimeInterval is not null)
                {
                    continue;
                }
                var concerned = group.Where(subscription.Concerns).ToList();
                if (concerned.Count == 0)
                {
                    continue;
                }
                var key = (subscription.Tenant, subscription.Id);
                // Throttling: notifications closer together than the period are dropped, as the spec allows.
                if (subscription.Throttling > TimeSpan.Zero && _lastQueued.TryGetValue(key, out var last) && now - last < subscription.Throttling)
                {
                    continue;
                }
                _lastQueued[key] = now;
                var data = new JsonArray([.. concerned.Select(c => (JsonNode)Render(subscription, c, now))]);
                rows.Add(new
                {
                    id = Guid.CreateVersion7(now).ToString("N"),
                    tenant = subscription.Tenant,
                    subscription_id = subscription.Id,
                    data = data.ToJsonString(),
                    next = now.ToUnixTimeMilliseconds(),
                });
            }
        }
        if (rows.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sensing_notifications (id, tenant, subscription_id, data, attempts, next_attempt_at, created_at) VALUES (@id, @tenant, @subscription_id, @data, 0, @next, @next)",
                rows, transaction, cancellationToken: cancellationToken));
        }
    }

    public void OnCommitted(IReadOnlyList<EntityChanged> changes) => Wake();

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already woken.
            }
        }
    }

    private static JsonObject Render(Subscription subscription, EntityChanged change, DateTimeOffset now)
    {
        var entity = change.After ?? change.Before!;
        var pick = subscription.Attributes is null ? null : new HashSet<string>([.. subscription.Attributes, "id", "type"], StringComparer.Ordinal);
        var rendered = EntityRenderer.Render(entity, new RenderOptions(subscription.Context, subscription.Format, subscription.SysAttrs, pick, null));
        if (change.After is null)
        {
            rendered["deletedAt"] = Timestamps.Format(now);
        }
        return rendered;
    }

    /// <summary>The notification as sent (clause 5.3.1): id, type, subscriptionId, notifiedAt, data.</summary>
    public static string Envelope(Subscription subscription, string data, DateTimeOffset notifiedAt)
    {
        var notification = new JsonObject
        {
            ["id"] = $"urn:ngsi-ld:Notification:{Guid.NewGuid()}",
            ["type"] = "Notification",
            ["subscriptionId"] = subscription.Id,
            ["notifiedAt"] = Timestamps.Format(notifiedAt),
            ["data"] = JsonNode.Parse(data),
        };
        if (subscription.EndpointAccept == "application/ld+json")
        {
            notification["@context"] = subscription.Context.IsCoreOnly
                ? CoreContext.Url
                : new JsonArray([.. subscription.Context.UserContexts.Select(c => JsonNode.Parse(c.GetRawText())), (JsonNode)CoreContext.Url]);
        }
        return notification.ToJsonString();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                await QueuePeriodicAsync(stoppingToken);
                wait = await DeliverDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogLoopFailed(logger, e);
                wait = TimeSpan.FromSeconds(1);
            }
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            timeout.CancelAfter(wait);
            try
            {
                await _wake.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // Time for the next due notification.
            }
        }
    }

    /// <summary>Sends what is due; answers how long to sleep before the next due one (at most a second).</summary>
    private async Task<TimeSpan> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        List<(string Id, string Tenant, string SubscriptionId, string Data, int Attempts)> due;
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            // A notification waits while an earlier one of its subscription waits for its retry: they arrive in order.
            due = [.. await connection.QueryAsync<(string, string, string, string, int)>(new CommandDefinition(
                "SELECT n.id, n.tenant, n.subscription_id, n.data, n.attempts FROM sensing_notifications n WHERE n.next_attempt_at <= @now " +
                "AND NOT EXISTS (SELECT 1 FROM sensing_notifications e WHERE e.tenant = n.tenant AND e.subscription_id = n.subscription_id AND e.id < n.id AND e.next_attempt_at > @now) " +
                "ORDER BY n.id LIMIT 500",
                new { now }, cancellationToken: cancellationToken))];
        }
        // A subscription whose endpoint failed waits for its retry: later notifications do not overtake the earlier one.
        var blocked = new HashSet<(string, string)>();
        foreach (var (id, tenant, subscriptionId, data, attempts) in due)
        {
            if (blocked.Contains((tenant, subscriptionId)))
            {
                continue;
            }
            var subscription = await subscriptions.GetAsync(tenant, subscriptionId, cancellationToken);
            await using var connection = await store.OpenConnectionAsync(cancellationToken);
            if (subscription is null)
            {
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sensing_notifications WHERE id = @id", new { id }, cancellationToken: cancellationToken));
                continue;
            }
            var sentAt = time.GetUtcNow();
            var delivered = await TrySendAsync(subscription, Notifier.Envelope(subscription, data, sentAt), cancellationToken);
            await subscriptions.RecordAsync(tenant, subscriptionId, delivered, sentAt.ToUnixTimeMilliseconds(), cancellationToken);
            if (delivered)
            {
                await connection.ExecuteAsync(new CommandDefinition("DELETE FROM sensing_notifications WHERE id = @id", new { id }, cancellationToken: cancellationToken));
            }
            else
            {
                blocked.Add((tenant, subscriptionId));
                var backoff = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(attempts, 16))));
                await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE sensing_notifications SET attempts = attempts + 1, next_attempt_at = @next WHERE id = @id",
                    new { id, next = (sentAt + backoff).ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
            }
        }
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            var next = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("SELECT MIN(next_attempt_at) FROM sensing_notifications", cancellationToken: cancellationToken));
            if (next is null)
            {
                return TimeSpan.FromSeconds(1);
            }
            var until = TimeSpan.FromMilliseconds(next.Value - time.GetUtcNow().ToUnixTimeMilliseconds());
            return until < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : until > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : until;
        }
    }

    private async Task<bool> TrySendAsync(Subscription subscription, string body, CancellationToken cancellationToken)
    {
        var channel = _channels.FirstOrDefault(c => c.Handles(subscription.Endpoint));
        if (channel is null)
        {
            return false;
        }
        try
        {
            await channel.SendAsync(subscription, body, cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogDeliveryFailed(logger, subscription.Id, subscription.Endpoint.Scheme, e.Message);
            return false;
        }
    }

    /// <summary>Periodic subscriptions (timeInterval): every interval, the matching entities, whether they changed or not.</summary>
    private async Task QueuePeriodicAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var periodic = (await subscriptions.EveryAsync(cancellationToken)).Where(s => s.TimeInterval is not null && s.IsLive(now)).ToList();
        if (periodic.Count == 0)
        {
            return;
        }
        var repository = services.GetRequiredService<EntityRepository>();
        foreach (var subscription in periodic)
        {
            var key = (subscription.Tenant, subscription.Id);
            if (_lastQueued.TryGetValue(key, out var last) && now - last < subscription.TimeInterval!.Value)
            {
                continue;
            }
            _lastQueued[key] = now;
            // The geoQ against stored entities: in PostGIS where the store has it, through the repository's query.
            var candidates = subscription.Geo is { } geo
                ? await repository.MatchingAsync(subscription.Tenant, new EntityQuery(null, null, null, null, geo, null), cancellationToken)
                : await repository.AllAsync(subscription.Tenant, cancellationToken);
            var matching = candidates
                .Where(e => (subscription.Entities.Count == 0 || subscription.Entities.Any(s => s.Matches(e))) && (subscription.Q?.Matches(e) ?? true))
                .Select(e => (JsonNode)Render(subscription, new EntityChanged(subscription.Tenant, null, e, []), now)).ToList();
            if (matching.Count == 0)
            {
                continue;
            }
            await using var connection = await store.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sensing_notifications (id, tenant, subscription_id, data, attempts, next_attempt_at, created_at) VALUES (@id, @tenant, @subscription, @data, 0, @next, @next)",
                new { id = Guid.CreateVersion7(now).ToString("N"), tenant = subscription.Tenant, subscription = subscription.Id, data = new JsonArray([.. matching]).ToJsonString(), next = now.ToUnixTimeMilliseconds() },
                cancellationToken: cancellationToken));
        }
    }

    [LoggerMessage(EventId = 801, Level = LogLevel.Warning, Message = "Notification of subscription {Subscription} over {Scheme} failed, will retry: {Reason}")]
    private static partial void LogDeliveryFailed(ILogger logger, string subscription, string scheme, string reason);

    [LoggerMessage(EventId = 802, Level = LogLevel.Error, Message = "The notification loop failed; it starts again in a second")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}

/// <summary>HTTP(S) endpoints: a POST of the notification; any 2xx is a delivery.</summary>
internal sealed class HttpNotificationChannel(IHttpClientFactory httpClients) : INotificationChannel
{
    public const string HttpClientName = "ngsi-ld-notifications";

    public bool Handles(Uri endpoint) => endpoint.Scheme is "http" or "https";

    public async Task SendAsync(Subscription subscription, string body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, subscription.Endpoint)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue(subscription.EndpointAccept)),
        };
        if (subscription.EndpointAccept == "application/json")
        {
            var link = subscription.Context.UserContexts is [{ ValueKind: System.Text.Json.JsonValueKind.String } single] ? single.GetString() : CoreContext.Url;
            request.Headers.TryAddWithoutValidation("Link", $"<{link}>; rel=\"http://www.w3.org/ns/json-ld#context\"; type=\"application/ld+json\"");
        }
        if (subscription.Tenant.Length > 0)
        {
            request.Headers.Add("NGSILD-Tenant", subscription.Tenant);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
        response.EnsureSuccessStatusCode();
    }
}

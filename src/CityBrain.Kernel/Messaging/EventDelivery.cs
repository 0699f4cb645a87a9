using CityBrain.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Kernel.Messaging;

/// <summary>
/// Delivers the outbox's due deliveries to their subscribers, one at a time, in the order they became due. Woken by
/// a publish on this node, else it looks every <see cref="EventBusOptions.PollInterval"/> (or sooner, when a retry
/// falls due). A delivery is leased before it is handed over, so two nodes never deliver it at once; a failure is
/// logged and retried after a doubling delay; success is recorded. See docs/events.md.
/// </summary>
internal sealed partial class EventDelivery(
    IOperationalStore store,
    IEnumerable<Subscription> subscriptions,
    IServiceScopeFactory scopes,
    EventSignal signal,
    IOptions<EventBusOptions> options,
    TimeProvider time,
    ILogger<EventDelivery> logger) : BackgroundService
{
    private const int Batch = 100;
    private const int MaxErrorLength = 2000;

    private readonly Dictionary<string, Subscription> _subscriptions = subscriptions.GroupBy(s => s.Subscriber, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
    private readonly EventBusOptions _options = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_subscriptions.Count == 0)
        {
            return;
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = _options.PollInterval;
            try
            {
                while (await DeliverDueAsync(stoppingToken) == Batch)
                {
                }
                if (await NextDueAsync(stoppingToken) is { } next)
                {
                    var untilNext = next - time.GetUtcNow();
                    wait = untilNext < TimeSpan.Zero ? TimeSpan.Zero : untilNext < wait ? untilNext : wait;
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is unreachable: nothing is lost, the outbox is read again after the poll interval.
                LogOutboxUnreadable(e);
            }
            try
            {
                await signal.WaitAsync(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Delivers up to one batch of due deliveries; answers how many were due.</summary>
    private async Task<int> DeliverDueAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var due = new List<(string EventId, string Subscriber, int Attempts, string Name, string Payload)>();
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = $"""
                SELECT d.event_id, d.subscriber, d.attempts, e.name, e.payload
                FROM kernel_event_deliveries d JOIN kernel_events e ON e.id = d.event_id
                WHERE d.delivered_at IS NULL AND d.due_at <= @now AND (d.lease_until IS NULL OR d.lease_until < @now) AND {SubscriberFilter(command, "d.subscriber")}
                ORDER BY d.due_at, d.event_id
                LIMIT {Batch}
                """;
            OutboxEventBus.Add(command, ("now", now));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                due.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), reader.GetString(4)));
            }
        }
        foreach (var delivery in due)
        {
            if (await ClaimAsync(delivery.EventId, delivery.Subscriber, cancellationToken))
            {
                await DeliverAsync(delivery.EventId, delivery.Subscriber, delivery.Attempts, delivery.Name, delivery.Payload, cancellationToken);
            }
        }
        return due.Count;
    }

    private async Task DeliverAsync(string eventId, string subscriber, int attempts, string name, string payload, CancellationToken cancellationToken)
    {
        try
        {
            await using (var scope = scopes.CreateAsyncScope())
            {
                await _subscriptions[subscriber].Deliver(scope.ServiceProvider, payload, cancellationToken);
            }
            await UpdateAsync("UPDATE kernel_event_deliveries SET attempts = @attempts, delivered_at = @at, lease_until = NULL, last_error = NULL WHERE event_id = @id AND subscriber = @subscriber",
                CancellationToken.None, ("attempts", attempts + 1), ("at", time.GetUtcNow().ToUnixTimeMilliseconds()), ("id", eventId), ("subscriber", subscriber));
            LogDelivered(name, eventId, subscriber, attempts + 1);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping mid-delivery: released for the next start (or another node) to deliver again.
            await UpdateAsync("UPDATE kernel_event_deliveries SET lease_until = NULL WHERE event_id = @id AND subscriber = @subscriber",
                CancellationToken.None, ("id", eventId), ("subscriber", subscriber));
            throw;
        }
        catch (Exception e)
        {
            var delay = RetryDelay(attempts + 1);
            LogFailed(e, name, eventId, subscriber, attempts + 1, delay);
            var error = $"{e.GetType().Name}: {e.Message}";
            await UpdateAsync("UPDATE kernel_event_deliveries SET attempts = @attempts, due_at = @due, lease_until = NULL, last_error = @error WHERE event_id = @id AND subscriber = @subscriber",
                CancellationToken.None, ("attempts", attempts + 1), ("due", (time.GetUtcNow() + delay).ToUnixTimeMilliseconds()),
                ("error", error.Length > MaxErrorLength ? error[..MaxErrorLength] : error), ("id", eventId), ("subscriber", subscriber));
        }
    }

    /// <summary>RetryDelay, doubled per failure after the first, at most MaxRetryDelay.</summary>
    internal TimeSpan RetryDelay(int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 30));
        return TimeSpan.FromTicks((long)Math.Min(_options.RetryDelay.Ticks * factor, _options.MaxRetryDelay.Ticks));
    }

    private async Task<bool> ClaimAsync(string eventId, string subscriber, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        return await UpdateAsync("""
            UPDATE kernel_event_deliveries SET lease_until = @until
            WHERE event_id = @id AND subscriber = @subscriber AND delivered_at IS NULL AND (lease_until IS NULL OR lease_until < @now)
            """, cancellationToken, ("until", (now + _options.Lease).ToUnixTimeMilliseconds()), ("id", eventId), ("subscriber", subscriber), ("now", now.ToUnixTimeMilliseconds())) == 1;
    }

    private async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT MIN(COALESCE(lease_until, due_at)) FROM kernel_event_deliveries WHERE delivered_at IS NULL AND {SubscriberFilter(command, "subscriber")}";
        var next = await command.ExecuteScalarAsync(cancellationToken);
        return next is null or DBNull ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(next, System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<int> UpdateAsync(string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var changed = await OutboxEventBus.ExecuteAsync(transaction, sql, cancellationToken, parameters);
        await transaction.CommitAsync(cancellationToken);
        return changed;
    }

    /// <summary>Only this node's subscribers: deliveries owed to a handler no longer registered wait for it, untouched.</summary>
    private string SubscriberFilter(System.Data.Common.DbCommand command, string column)
    {
        var names = _subscriptions.Keys.Select((subscriber, i) => ($"s{i}", (object?)subscriber)).ToArray();
        OutboxEventBus.Add(command, names);
        return $"{column} IN ({string.Join(", ", names.Select(n => "@" + n.Item1))})";
    }

    [LoggerMessage(EventId = 1201, Level = LogLevel.Debug, Message = "Delivered {EventName} {EventId} to {Subscriber} (attempt {Attempt})")]
    private partial void LogDelivered(string eventName, string eventId, string subscriber, int attempt);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Delivering {EventName} {EventId} to {Subscriber} failed (attempt {Attempt}); retried in {Delay}")]
    private partial void LogFailed(Exception exception, string eventName, string eventId, string subscriber, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Error, Message = "The event outbox could not be read; trying again later")]
    private partial void LogOutboxUnreadable(Exception exception);
}

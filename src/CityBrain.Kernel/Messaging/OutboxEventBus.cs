using System.Data.Common;
using System.Text.Json;
using System.Threading.Channels;
using CityBrain.Kernel.Storage;

namespace CityBrain.Kernel.Messaging;

/// <summary>
/// Publishing: the event and one delivery per current subscriber are written in one transaction of the operational
/// store (the outbox), then the delivery loop is woken. Nothing acknowledged is lost: a node that stops before
/// delivering leaves the rows for the next one.
/// </summary>
internal sealed class OutboxEventBus(IOperationalStore store, IEnumerable<Subscription> subscriptions, EventSignal signal, TimeProvider time) : IEventPublisher
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly ILookup<string, string> _subscribers = subscriptions.ToLookup(s => s.EventName, s => s.Subscriber, StringComparer.Ordinal);

    public async Task PublishAsync<TEvent>(TEvent @event, CancellationToken cancellationToken) where TEvent : IIntegrationEvent
    {
        var now = time.GetUtcNow();
        var id = "evt_" + Guid.CreateVersion7(now).ToString("N");
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            await ExecuteAsync(transaction, "INSERT INTO kernel_events (id, name, payload, published_at) VALUES (@id, @name, @payload, @at)", cancellationToken,
                ("id", id), ("name", TEvent.Name), ("payload", JsonSerializer.Serialize(@event, Json)), ("at", now.ToUnixTimeMilliseconds()));
            foreach (var subscriber in _subscribers[TEvent.Name].Distinct(StringComparer.Ordinal))
            {
                await ExecuteAsync(transaction, "INSERT INTO kernel_event_deliveries (event_id, subscriber, attempts, due_at) VALUES (@id, @subscriber, 0, @at)", cancellationToken,
                    ("id", id), ("subscriber", subscriber), ("at", now.ToUnixTimeMilliseconds()));
            }
            await transaction.CommitAsync(cancellationToken);
        }
        signal.Raise();
    }

    internal static async Task<int> ExecuteAsync(DbTransaction transaction, string sql, CancellationToken cancellationToken, params (string Name, object? Value)[] parameters)
    {
        await using var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        Add(command, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static void Add(DbCommand command, params (string Name, object? Value)[] parameters)
    {
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
    }
}

/// <summary>Wakes the delivery loop when an event is published on this node (a channel of one: many wake-ups fold into one).</summary>
internal sealed class EventSignal
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public void Raise() => _channel.Writer.TryWrite(true);

    /// <summary>Waits for a wake-up or the timeout, whichever comes first; throws only when <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            await _channel.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // Timed out: look at the outbox anyway.
        }
    }
}

namespace CityBrain.Kernel.Messaging;

/// <summary>
/// A fact that one module publishes and others react to (ARCHITECTURE.md: facts travel as events on the bus). Its
/// <see cref="Name"/> is its wire name, stored with every published event: choose it once and never rename it.
/// Events carry no personal data in clear: subscribers log them and the outbox keeps them.
/// </summary>
public interface IIntegrationEvent
{
    static abstract string Name { get; }
}

/// <summary>
/// Publishes integration events. <see cref="PublishAsync{TEvent}"/> returns once the event is stored in the
/// operational store's outbox (acknowledged); from then on it is delivered to every subscriber registered at that
/// moment, in the background, and retried until each has handled it, across restarts.
/// </summary>
public interface IEventPublisher
{
    Task PublishAsync<TEvent>(TEvent @event, CancellationToken cancellationToken) where TEvent : IIntegrationEvent;
}

/// <summary>
/// A subscriber, registered with <see cref="EventBusRegistration.AddEventHandler{TEvent, THandler}"/> and resolved in a
/// scope of its own per delivery. Delivery is at least once: a handler that failed, or whose node stopped before its
/// success was recorded, is called again with the same event, so a handler is idempotent. Throwing means "not handled:
/// try again later".
/// </summary>
public interface IEventHandler<in TEvent> where TEvent : IIntegrationEvent
{
    Task HandleAsync(TEvent @event, CancellationToken cancellationToken);
}

using System.Text.Json;
using CityBrain.Kernel.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace CityBrain.Kernel.Messaging;

/// <summary>
/// Registers the in-process bus (outbox in the operational store, delivery on a background channel). A module that
/// publishes calls <see cref="AddEventBus"/>; a module that subscribes calls <see cref="AddEventHandler{TEvent, THandler}"/>.
/// Both may be called any number of times. See docs/events.md.
/// </summary>
public static class EventBusRegistration
{
    public static IServiceCollection AddEventBus(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(OutboxEventBus)))
        {
            return services;
        }
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<EventBusOptions>().BindConfiguration(EventBusOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<EventSignal>();
        services.AddSingleton<OutboxEventBus>();
        services.AddSingleton<IEventPublisher>(sp => sp.GetRequiredService<OutboxEventBus>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IMigrationSet, EventMigrations>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EventDelivery>());
        return services;
    }

    /// <summary>Subscribes <typeparamref name="THandler"/> (resolved in a scope per delivery) to every <typeparamref name="TEvent"/> published from now on.</summary>
    public static IServiceCollection AddEventHandler<TEvent, THandler>(this IServiceCollection services)
        where TEvent : IIntegrationEvent
        where THandler : class, IEventHandler<TEvent>
    {
        services.AddEventBus();
        services.TryAddScoped<THandler>();
        // The subscriber's name is stored with each delivery it owes: renaming the handler class orphans them.
        services.AddSingleton(new Subscription(typeof(THandler).FullName!, TEvent.Name, async (provider, payload, cancellationToken) =>
        {
            var @event = JsonSerializer.Deserialize<TEvent>(payload, OutboxEventBus.Json) ?? throw new JsonException($"the stored {TEvent.Name} event is empty");
            await provider.GetRequiredService<THandler>().HandleAsync(@event, cancellationToken);
        }));
        return services;
    }
}

/// <summary>One subscriber of one event: how to hand it a stored event.</summary>
internal sealed record Subscription(string Subscriber, string EventName, Func<IServiceProvider, string, CancellationToken, Task> Deliver);

/// <summary>The outbox: every published event once, and one delivery row per (event, subscriber) with its attempts.</summary>
internal sealed class EventMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("kernel.events", 1, "event outbox and deliveries",
            """
            CREATE TABLE kernel_events (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                payload TEXT NOT NULL,
                published_at BIGINT NOT NULL);
            CREATE TABLE kernel_event_deliveries (
                event_id TEXT NOT NULL REFERENCES kernel_events(id),
                subscriber TEXT NOT NULL,
                attempts INTEGER NOT NULL,
                due_at BIGINT NOT NULL,
                lease_until BIGINT NULL,
                delivered_at BIGINT NULL,
                last_error TEXT NULL,
                PRIMARY KEY (event_id, subscriber));
            CREATE INDEX ix_kernel_event_deliveries_due ON kernel_event_deliveries(delivered_at, due_at);
            """),
    ];
}

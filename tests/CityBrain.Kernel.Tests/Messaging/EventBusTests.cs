using System.Data.Common;
using System.Threading.Channels;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Storage;
using CityBrain.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CityBrain.Kernel.Tests.Messaging;

/// <summary>The in-process bus on real SQLite and PostgreSQL stores: outbox, delivery to every subscriber, retries, restarts.</summary>
public sealed class EventBusTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static TheoryData<string> Kinds => TestStores.Kinds;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task PublishAsync_TwoSubscribers_EachHandlesEveryEventOnce(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        var inbox = new Inbox();
        await using var node = await StartAsync(store.Store, inbox, start: true);
        var publisher = node.GetRequiredService<IEventPublisher>();

        await publisher.PublishAsync(new ParcelRegistered("p1", 120), Token);
        await publisher.PublishAsync(new ParcelRegistered("p2", 80), Token);
        var received = await inbox.TakeAsync(4);

        Assert.Equal(
            ["registry p1 120", "registry p2 80", "surveyor p1 120", "surveyor p2 80"],
            received.Select(r => $"{r.Handler} {r.Event.ParcelId} {r.Event.Area}").Order(StringComparer.Ordinal));
        await AllDeliveredAsync(store.Store);
        Assert.False(await inbox.AnyMoreAsync());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Delivery_HandlerFailsTwice_RetriedUntilHandledWithoutHoldingBackTheOther(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        var inbox = new Inbox { RegistryFailures = 2 };
        await using var node = await StartAsync(store.Store, inbox, start: true);

        await node.GetRequiredService<IEventPublisher>().PublishAsync(new ParcelRegistered("p1", 120), Token);
        var received = await inbox.TakeAsync(2);

        Assert.Equal(["registry", "surveyor"], received.Select(r => r.Handler).Order(StringComparer.Ordinal));
        Assert.Equal(0, inbox.RegistryFailures);
        await AllDeliveredAsync(store.Store);
        Assert.Equal(["RegistryHandler 3", "SurveyorHandler 1"], await AttemptsAsync(store.Store));
        Assert.False(await inbox.AnyMoreAsync());
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task PublishAsync_NodeStopsBeforeDelivering_TheNextNodeDeliversIt(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        var inbox = new Inbox();
        await using (var stopped = await StartAsync(store.Store, inbox, start: false))
        {
            // Acknowledged: stored in the outbox, though no delivery loop runs on this node.
            await stopped.GetRequiredService<IEventPublisher>().PublishAsync(new ParcelRegistered("p9", 40), Token);
        }
        Assert.Equal(2, await UndeliveredAsync(store.Store));

        await using var next = await StartAsync(store.Store, inbox, start: true);
        var received = await inbox.TakeAsync(2);

        Assert.All(received, r => Assert.Equal("p9", r.Event.ParcelId));
        await AllDeliveredAsync(store.Store);
    }

    /// <summary>A node: the bus registered with two subscribers on the store, its delivery loop started or not.</summary>
    private static async Task<Node> StartAsync(IOperationalStore store, Inbox inbox, bool start)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(store);
        services.AddSingleton(inbox);
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Kernel:Events:PollInterval"] = "00:00:00.200",
            ["Kernel:Events:RetryDelay"] = "00:00:00.020",
        }).Build());
        services.AddEventHandler<ParcelRegistered, RegistryHandler>();
        services.AddEventHandler<ParcelRegistered, SurveyorHandler>();
        var provider = services.BuildServiceProvider();
        await MigrationRunner.ApplyAsync(store, provider.GetServices<IMigrationSet>(), TimeProvider.System, Token);
        var hosted = start ? provider.GetServices<IHostedService>().ToList() : [];
        foreach (var service in hosted)
        {
            await service.StartAsync(Token);
        }
        return new Node(provider, hosted);
    }

    private sealed class Node(ServiceProvider provider, List<IHostedService> hosted) : IAsyncDisposable
    {
        public T GetRequiredService<T>() where T : notnull => provider.GetRequiredService<T>();

        public async ValueTask DisposeAsync()
        {
            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }
            await provider.DisposeAsync();
        }
    }

    /// <summary>Success is recorded just after the handler returns: waits for the outbox to say so.</summary>
    private static async Task AllDeliveredAsync(IOperationalStore store)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (await UndeliveredAsync(store) > 0)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "deliveries still pending in the outbox");
            await Task.Delay(20, Token);
        }
    }

    private static async Task<long> UndeliveredAsync(IOperationalStore store)
    {
        await using var connection = await store.OpenConnectionAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM kernel_event_deliveries WHERE delivered_at IS NULL";
        return Convert.ToInt64(await command.ExecuteScalarAsync(Token), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task<List<string>> AttemptsAsync(IOperationalStore store)
    {
        await using var connection = await store.OpenConnectionAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT subscriber, attempts FROM kernel_event_deliveries WHERE delivered_at IS NOT NULL ORDER BY subscriber";
        await using DbDataReader reader = await command.ExecuteReaderAsync(Token);
        var rows = new List<string>();
        while (await reader.ReadAsync(Token))
        {
            rows.Add($"{reader.GetString(0).Split('+')[^1]} {reader.GetInt32(1)}");
        }
        return rows;
    }

    internal sealed record ParcelRegistered(string ParcelId, int Area) : IIntegrationEvent
    {
        public static string Name => "test.parcel-registered";
    }

    /// <summary>What the handlers received, in order; the registry handler fails its first <see cref="RegistryFailures"/> calls.</summary>
    internal sealed class Inbox
    {
        private readonly Channel<(string Handler, ParcelRegistered Event)> _received = Channel.CreateUnbounded<(string, ParcelRegistered)>();
        private int _registryFailures;

        public int RegistryFailures { get => _registryFailures; init => _registryFailures = value; }

        public bool FailRegistry()
        {
            var left = Volatile.Read(ref _registryFailures);
            return left > 0 && Interlocked.CompareExchange(ref _registryFailures, left - 1, left) == left;
        }

        public void Add(string handler, ParcelRegistered @event) => _received.Writer.TryWrite((handler, @event));

        public async Task<List<(string Handler, ParcelRegistered Event)>> TakeAsync(int count)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
            timeout.CancelAfter(Patience);
            var taken = new List<(string, ParcelRegistered)>();
            while (taken.Count < count)
            {
                taken.Add(await _received.Reader.ReadAsync(timeout.Token));
            }
            return taken;
        }

        /// <summary>Whether anything more arrives within a few poll intervals (a duplicate delivery would).</summary>
        public async Task<bool> AnyMoreAsync()
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(Token);
            wait.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                await _received.Reader.WaitToReadAsync(wait.Token);
                return true;
            }
            catch (OperationCanceledException) when (!Token.IsCancellationRequested)
            {
                return false;
            }
        }
    }

    internal sealed class RegistryHandler(Inbox inbox) : IEventHandler<ParcelRegistered>
    {
        public Task HandleAsync(ParcelRegistered @event, CancellationToken cancellationToken)
        {
            if (inbox.FailRegistry())
            {
                throw new InvalidOperationException("the land registry is down");
            }
            inbox.Add("registry", @event);
            return Task.CompletedTask;
        }
    }

    internal sealed class SurveyorHandler(Inbox inbox) : IEventHandler<ParcelRegistered>
    {
        public Task HandleAsync(ParcelRegistered @event, CancellationToken cancellationToken)
        {
            inbox.Add("surveyor", @event);
            return Task.CompletedTask;
        }
    }
}

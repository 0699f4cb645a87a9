using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace CityBrain.Sensing.Ingest;

/// <summary>
/// IoT ingest: an MQTT client of the devices' broker (<see cref="SensingOptions.IngestBroker"/>), subscribed at QoS 1 to
/// citybrain/devices/+/attrs in a persistent session. Messages are mapped by the device registry and applied in batches
/// (one batch upsert, one transaction, per tenant); what does not fit becomes a dead letter. A message is acknowledged
/// to the broker only once applied or dead-lettered, so a node killed mid-batch gets it again from the broker.
/// </summary>
internal sealed partial class MqttIngest(
    IOptions<SensingOptions> options,
    DeviceRegistry devices,
    EntityService entities,
    ILogger<MqttIngest> logger) : BackgroundService
{
    public const string TopicFilter = DeviceMapping.TopicPrefix + "+/attrs";
    private const int MaxBatch = 2000;
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(2);
    private readonly Channel<MqttApplicationMessageReceivedEventArgs> _inbox = Channel.CreateBounded<MqttApplicationMessageReceivedEventArgs>(
        new BoundedChannelOptions(100_000) { SingleReader = true });
    private readonly TaskCompletionSource _subscribed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _applied;

    /// <summary>Messages applied to entities since start (for the benchmark).</summary>
    public long Applied => Interlocked.Read(ref _applied);

    /// <summary>Completes once ingest is subscribed on the broker (tests and the demo sensors wait for it).</summary>
    public Task Subscribed => _subscribed.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.IngestBroker is not { } broker)
        {
            return;
        }
        await devices.EnsureLoadedAsync(stoppingToken);
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += async args =>
        {
            // Acknowledged after the batch is applied; a full inbox slows the broker rather than dropping readings.
            args.AutoAcknowledge = false;
            await _inbox.Writer.WriteAsync(args, stoppingToken);
        };
        var applying = ApplyLoopAsync(stoppingToken);
        var clientOptions = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port > 0 ? broker.Port : 1883)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(options.Value.MqttClientId)
            // A persistent session: what devices publish while this node is down waits at the broker.
            .WithCleanStart(false)
            .WithSessionExpiryInterval(24 * 3600)
            .Build();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!client.IsConnected)
                {
                    await client.ConnectAsync(clientOptions, stoppingToken);
                    await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(TopicFilter, MqttQualityOfServiceLevel.AtLeastOnce).Build(), stoppingToken);
                    LogConnected(logger, broker.Authority);
                    _subscribed.TrySetResult();
                }
                await Task.Delay(ReconnectDelay, stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogConnectFailed(logger, broker.Authority, e.Message);
                await Task.Delay(ReconnectDelay, stoppingToken);
            }
        }
        await applying;
    }

    private async Task ApplyLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<MqttApplicationMessageReceivedEventArgs>(MaxBatch);
        try
        {
            while (await _inbox.Reader.WaitToReadAsync(stoppingToken))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _inbox.Reader.TryRead(out var message))
                {
                    batch.Add(message);
                }
                var messages = batch.Select(m => (m.ApplicationMessage.Topic, m.ApplicationMessage.Payload.ToArray())).ToList();
                try
                {
                    await ApplyAsync(messages, stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogBatchFailed(logger, batch.Count, e);
                    await devices.AddDeadLettersAsync([.. messages.Select(m => ((string?)DeviceMapping.DeviceOf(m.Topic), m.Topic, m.Item2, $"The batch could not be applied: {e.Message}"))], stoppingToken);
                }
                foreach (var message in batch)
                {
                    await message.AcknowledgeAsync(stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: unacknowledged messages are redelivered by the broker to the next session.
        }
    }

    /// <summary>Maps a batch of messages and applies them per tenant as one batch upsert; each refusal becomes a dead letter.</summary>
    internal async Task ApplyAsync(IReadOnlyList<(string Topic, byte[] Payload)> batch, CancellationToken cancellationToken)
    {
        var dead = new List<(string?, string, byte[], string)>();
        // One batch per tenant and owner: each device writes as the system that registered it.
        var byWriter = new Dictionary<(string Tenant, string? Owner), List<(JsonObject Fragment, string Topic, byte[] Payload, string DeviceId)>>();
        foreach (var (topic, payload) in batch)
        {
            var deviceId = DeviceMapping.DeviceOf(topic)!;
            var device = devices.Find(deviceId);
            if (device is null)
            {
                dead.Add((deviceId, topic, payload, $"Device '{deviceId}' is not in the registry."));
                continue;
            }
            var (fragment, error) = device.Map(payload);
            if (fragment is null)
            {
                dead.Add((deviceId, topic, payload, error!));
                continue;
            }
            if (!byWriter.TryGetValue((device.Tenant, device.Owner), out var list))
            {
                byWriter[(device.Tenant, device.Owner)] = list = [];
            }
            list.Add((fragment, topic, payload, deviceId));
        }
        foreach (var ((tenant, owner), items) in byWriter)
        {
            var body = JsonSerializer.SerializeToElement(new JsonArray([.. items.Select(i => (JsonNode)i.Fragment)]));
            var writer = owner is null ? EntityWriter.Platform : new EntityWriter(owner, MayWriteAny: false);
            var result = await entities.BatchAsync(tenant, writer, "upsert", body, LdContext.Core, _ => LdContext.Core, replace: false, noOverwrite: false, cancellationToken);
            var failed = result.Errors.ToDictionary(e => e.EntityId, e => e.Error.Message, StringComparer.Ordinal);
            foreach (var item in items)
            {
                if (failed.TryGetValue(item.Fragment["id"]!.GetValue<string>(), out var reason))
                {
                    dead.Add((item.DeviceId, item.Topic, item.Payload, reason));
                }
            }
            Interlocked.Add(ref _applied, items.Count - failed.Count);
        }
        await devices.AddDeadLettersAsync(dead, cancellationToken);
    }

    [LoggerMessage(EventId = 812, Level = LogLevel.Error, Message = "A batch of {Count} device messages failed; kept as dead letters")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 813, Level = LogLevel.Information, Message = "MQTT ingest subscribed on {Broker}")]
    private static partial void LogConnected(ILogger logger, string broker);

    [LoggerMessage(EventId = 814, Level = LogLevel.Warning, Message = "MQTT ingest cannot reach {Broker}: {Reason}; retrying")]
    private static partial void LogConnectFailed(ILogger logger, string broker, string reason);
}

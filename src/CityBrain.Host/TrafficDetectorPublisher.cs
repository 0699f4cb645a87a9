using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using CityBrain.Scenarios.Traffic.Web.Detectors;
using CityBrain.Sensing;
using CityBrain.Sensing.Ingest;
using Microsoft.Extensions.Options;
using MQTTnet;
using Polly;
using Polly.Retry;

namespace CityBrain.Host;

/// <summary>How the traffic simulator's detector readings wait for the MQTT broker.</summary>
internal sealed class TrafficDetectorPublishingOptions
{
    public const string Section = "Traffic:Detectors";

    /// <summary>
    /// Readings held while the broker is down or slow; past this the oldest are dropped (and counted). Default 20,000: over
    /// four simulated hours of HZ1's 80 detectors, or about two seconds of MQTT publishing at the rate ingest takes.
    /// </summary>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 20_000;
}

/// <summary>
/// The traffic module's <see cref="ITrafficDetectorSink"/>: each detector is a device of the sensing module's registry (a
/// TrafficFlowObserved mapping, registered on its first reading, as the demo city's sensors are), and its readings are
/// published over MQTT to the ingest broker, which applies them to the entities. A bounded queue between the simulation
/// and the broker: offering never waits, a full queue drops its oldest readings (counted), and the broker is reconnected
/// with backoff (Polly) for as long as the node runs; a reading taken from the queue is published before the next.
/// </summary>
internal sealed partial class TrafficDetectorPublisher : BackgroundService, ITrafficDetectorSink
{
    private readonly IDeviceRegistry _registry;
    private readonly Uri? _broker;
    private readonly TimeProvider _time;
    private readonly ILogger<TrafficDetectorPublisher> _logger;
    private readonly Channel<TrafficDetectorReading> _queue;
    private readonly Lock _offering = new();
    private int _droppedByOffer;
    private long _dropped;
    private long _published;

    public TrafficDetectorPublisher(IDeviceRegistry registry, IOptions<SensingOptions> sensing, IOptions<TrafficDetectorPublishingOptions> options,
        TimeProvider time, ILogger<TrafficDetectorPublisher> logger)
    {
        _registry = registry;
        _broker = sensing.Value.IngestBroker;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<TrafficDetectorReading>(
            new BoundedChannelOptions(options.Value.QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
            // Called by the writer whose reading pushed this one out, inside Offer's lock.
            _ => _droppedByOffer++);
    }

    /// <summary>Readings dropped since the node started, all runs together.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Readings handed to the broker since the node started.</summary>
    public long Published => Interlocked.Read(ref _published);

    public int Offer(IReadOnlyList<TrafficDetectorReading> readings)
    {
        if (_broker is null)
        {
            return 0;
        }
        lock (_offering)
        {
            _droppedByOffer = 0;
            foreach (var reading in readings)
            {
                _queue.Writer.TryWrite(reading);
            }
            Interlocked.Add(ref _dropped, _droppedByOffer);
            return _droppedByOffer;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_broker is not { } broker)
        {
            LogNoBroker(_logger);
            return;
        }
        using var client = new MqttClientFactory().CreateMqttClient();
        var clientOptions = new MqttClientOptionsBuilder()
            .WithTcpServer(broker.Host, broker.Port)
            .WithClientId("citybrain-traffic-detectors-" + Guid.NewGuid().ToString("N")[..8])
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        var reconnect = new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(15),
                UseJitter = true,
                OnRetry = retry =>
                {
                    LogBrokerUnreachable(_logger, broker.Authority, retry.AttemptNumber + 1, Dropped, retry.Outcome.Exception?.Message);
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
        var registered = new HashSet<string>(StringComparer.Ordinal);
        TrafficDetectorReading? inHand = null;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await reconnect.ExecuteAsync(async token =>
                {
                    if (!client.IsConnected)
                    {
                        await client.ConnectAsync(clientOptions, token);
                        LogConnected(_logger, broker.Authority);
                    }
                    // A reading taken from the queue stays in hand until it is published: a failed publish retries it first.
                    while ((inHand ??= _queue.Reader.TryRead(out var next) ? next : null) is { } reading)
                    {
                        if (!registered.Contains(reading.DetectorId))
                        {
                            await _registry.RegisterAsync(reading.DetectorId, Mapping(reading), token);
                            registered.Add(reading.DetectorId);
                        }
                        await client.PublishAsync(new MqttApplicationMessageBuilder()
                            .WithTopic(IDeviceRegistry.TopicOf(reading.DetectorId))
                            .WithPayload(Payload(reading))
                            .Build(), token);
                        inHand = null;
                        Interlocked.Increment(ref _published);
                    }
                }, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is not published.
        }
    }

    /// <summary>The detector's device mapping: payload fields to the TrafficFlowObserved attributes of the Smart Data Model.</summary>
    private static JsonElement Mapping(TrafficDetectorReading reading) => JsonSerializer.SerializeToElement(new
    {
        entityId = $"urn:ngsi-ld:TrafficFlowObserved:{reading.DetectorId}",
        entityType = "TrafficFlowObserved",
        observedAtField = "at",
        fields = new Dictionary<string, object>
        {
            ["intensity"] = new { attribute = "intensity", kind = "number" },
            ["speed"] = new { attribute = "averageVehicleSpeed", kind = "number", unitCode = "KMH" },
            ["occupancy"] = new { attribute = "occupancy", kind = "number" },
            ["congested"] = new { attribute = "congested", kind = "boolean" },
            ["dateObserved"] = new { attribute = "dateObserved", kind = "string" },
            ["laneDirection"] = new { attribute = "laneDirection", kind = "string" },
            ["road"] = new { attribute = "refRoadSegment", kind = "string" },
            ["district"] = new { attribute = "district", kind = "string" },
            ["pos"] = new { attribute = "location", kind = "point" },
        },
    });

    /// <summary>One reading as the device publishes it.</summary>
    private static string Payload(TrafficDetectorReading reading)
    {
        var payload = new Dictionary<string, object>
        {
            ["intensity"] = reading.Intensity,
            ["speed"] = reading.AverageSpeed,
            ["occupancy"] = reading.Occupancy,
            ["congested"] = reading.Congested,
            // ISO 8601 interval: the minute observed.
            ["dateObserved"] = $"{Iso(reading.From)}/{Iso(reading.To)}",
            // The detector counts the road's own direction of travel, from its start to its end.
            ["laneDirection"] = "forward",
            ["road"] = reading.Road,
            ["district"] = reading.District,
            ["pos"] = new[] { reading.Longitude, reading.Latitude },
            ["at"] = Iso(reading.To),
        };
        return JsonSerializer.Serialize(payload);
    }

    private static string Iso(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 9021, Level = LogLevel.Information, Message = "Traffic detectors: no MQTT broker configured (Sensing:MqttBroker or Sensing:EmbeddedMqttPort), readings are not published")]
    private static partial void LogNoBroker(ILogger logger);

    [LoggerMessage(EventId = 9022, Level = LogLevel.Information, Message = "Traffic detectors: publishing to {Broker}")]
    private static partial void LogConnected(ILogger logger, string broker);

    [LoggerMessage(EventId = 9023, Level = LogLevel.Warning,
        Message = "Traffic detectors: MQTT broker {Broker} unreachable, retry {Attempt}; {Dropped} readings dropped so far ({Reason})")]
    private static partial void LogBrokerUnreachable(ILogger logger, string broker, int attempt, long dropped, string? reason);
}

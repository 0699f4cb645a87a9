using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Hub.Security;
using CityBrain.Sensing.Ingest;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace CityBrain.Sensing.Tests;

/// <summary>IoT ingest and MQTT notifications against a real Mosquitto.</summary>
public sealed class MqttTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static string CarPark(string entityId) => """
        {"entityId": "ENTITY", "entityType": "OffStreetParking", "observedAtField": "at",
         "fields": {"free": {"attribute": "availableSpotNumber", "kind": "number"},
                    "open": {"attribute": "status", "kind": "string"},
                    "pos": {"attribute": "location", "kind": "point"}}}
        """.Replace("ENTITY", entityId, StringComparison.Ordinal);

    private static async Task<Broker> StartWithIngestAsync(string kind, bool tokens = false) =>
        await Broker.StartAsync(kind, settings: new Dictionary<string, string?>
        {
            ["Sensing:MqttBroker"] = Mosquitto.Instance.Uri.ToString(),
            ["Sensing:MqttClientId"] = "ingest-" + Guid.NewGuid().ToString("N"),
        }, tokens: tokens);

    private static async Task RegisterAsync(Broker broker, string deviceId, string mapping, HttpClient? client = null)
    {
        using var response = await (client ?? broker.Client).PutAsync($"/api/sensing/devices/{deviceId}", Broker.Json(mapping));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        await broker.Services.GetRequiredService<MqttIngest>().Subscribed.WaitAsync(Patience);
    }

    private static async Task PublishAsync(string deviceId, string payload)
    {
        using var device = await Mosquitto.Instance.ConnectAsync();
        await device.PublishAsync(new MqttApplicationMessageBuilder()
            .WithTopic($"citybrain/devices/{deviceId}/attrs").WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await device.DisconnectAsync();
    }

    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            if (await probe() is { } found)
            {
                return found;
            }
            Assert.True(DateTime.UtcNow < deadline, $"not reached in {Patience.TotalSeconds} s: {what}");
            await Task.Delay(50);
        }
    }

    private static Task<JsonNode> EntityWhenAsync(Broker broker, string entityId, Func<JsonNode, bool> condition, HttpClient? client = null) =>
        EventuallyAsync(async () =>
        {
            using var response = await (client ?? broker.Client).GetAsync($"/ngsi-ld/v1/entities/{entityId}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                return null;
            }
            var entity = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            return condition(entity) ? entity : null;
        }, $"entity {entityId}");

    private static Task<JsonArray> DeadLettersAsync(Broker broker, string deviceId, int count, HttpClient? client = null) =>
        EventuallyAsync(async () =>
        {
            var letters = (JsonArray)JsonNode.Parse(await (client ?? broker.Client).GetStringAsync($"/api/sensing/dead-letters?deviceId={deviceId}"))!;
            return letters.Count >= count ? letters : null;
        }, $"{count} dead letters of {deviceId}");

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Ingest_DevicePublishes_EntityChanges(string kind)
    {
        await using var broker = await StartWithIngestAsync(kind);
        var deviceId = "carpark-" + Guid.NewGuid().ToString("N")[..8];
        var entityId = $"urn:ngsi-ld:OffStreetParking:{deviceId}";
        await RegisterAsync(broker, deviceId, CarPark(entityId));

        await PublishAsync(deviceId, """{"free": 42, "open": "open", "pos": [120.16, 30.27], "at": "2026-03-01T08:00:00Z"}""");
        var entity = await EntityWhenAsync(broker, entityId, e => e["availableSpotNumber"] is not null);
        Assert.Equal("OffStreetParking", entity["type"]!.GetValue<string>());
        Assert.Equal(42, entity["availableSpotNumber"]!["value"]!.GetValue<int>());
        Assert.Equal("2026-03-01T08:00:00.000Z", entity["availableSpotNumber"]!["observedAt"]!.GetValue<string>());
        Assert.Equal("Point", entity["location"]!["value"]!["type"]!.GetValue<string>());

        // A later reading changes only what it carries.
        await PublishAsync(deviceId, """{"free": 17, "at": "2026-03-01T08:05:00Z"}""");
        entity = await EntityWhenAsync(broker, entityId, e => e["availableSpotNumber"]!["value"]!.GetValue<int>() == 17);
        Assert.Equal("open", entity["status"]!["value"]!.GetValue<string>());
    }

    [Fact]
    public async Task Ingest_PayloadDoesNotFit_DeadLetterWithReasonAndEntityUntouched()
    {
        await using var broker = await StartWithIngestAsync(TestStores.Sqlite);
        var deviceId = "carpark-" + Guid.NewGuid().ToString("N")[..8];
        var entityId = $"urn:ngsi-ld:OffStreetParking:{deviceId}";
        await RegisterAsync(broker, deviceId, CarPark(entityId));
        await PublishAsync(deviceId, """{"free": 10}""");
        await EntityWhenAsync(broker, entityId, e => e["availableSpotNumber"] is not null);

        // One good field beside one bad one: nothing of the message is applied.
        await PublishAsync(deviceId, """{"free": 11, "open": 3}""");
        await PublishAsync(deviceId, """{"free": 12, "colour": "red"}""");
        await PublishAsync(deviceId, "free=13");
        var letters = await DeadLettersAsync(broker, deviceId, 3);
        var reasons = letters.Select(l => l!["reason"]!.GetValue<string>()).ToList();
        Assert.Contains(reasons, r => r.Contains("'open' must be a string", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("'colour' is not in the device's mapping", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r.Contains("not JSON", StringComparison.Ordinal));
        Assert.Contains(letters, l => l!["payload"]!.GetValue<string>() == "free=13");

        var entity = await broker.GetJsonAsync($"/entities/{entityId}");
        Assert.Equal(10, entity["availableSpotNumber"]!["value"]!.GetValue<int>());
    }

    [Fact]
    public async Task Ingest_UnregisteredDevice_DeadLetter()
    {
        await using var broker = await StartWithIngestAsync(TestStores.Sqlite);
        await broker.Services.GetRequiredService<MqttIngest>().Subscribed.WaitAsync(Patience);
        var deviceId = "ghost-" + Guid.NewGuid().ToString("N")[..8];
        await PublishAsync(deviceId, """{"free": 1}""");
        var letters = await DeadLettersAsync(broker, deviceId, 1);
        Assert.Equal($"Device '{deviceId}' is not in the registry.", letters[0]!["reason"]!.GetValue<string>());
        Assert.Equal($"citybrain/devices/{deviceId}/attrs", letters[0]!["topic"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("""{"entityId": "not a uri", "entityType": "T", "fields": {"a": {"attribute": "a"}}}""", "'entityId' must be a URI", "BadRequestData")]
    [InlineData("""{"entityId": "urn:x:1", "entityType": "T", "fields": {"a": {"attribute": "a", "kind": "colour"}}}""", "Field 'a': kind 'colour' is not one of", "BadRequestData")]
    [InlineData("""{"entityId": "urn:x:1", "entityType": "T"}""", "needs 'fields'", "BadRequestData")]
    [InlineData("""{"entityId": "urn:x:1", """, "not valid JSON", "InvalidRequest")]
    public async Task RegisterDevice_BadMapping_400SaysWhat(string mapping, string expected, string errorType)
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        using var response = await broker.Client.PutAsync("/api/sensing/devices/d1", Broker.Json(mapping));
        var problem = await Broker.AssertErrorAsync(response, 400, errorType);
        Assert.Contains(expected, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        using var missing = await broker.Client.GetAsync("/api/sensing/devices/d1");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Subscription_MqttEndpoint_PublishesNotificationOnTopic()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        var topic = "notify/" + Guid.NewGuid().ToString("N");
        var received = new TaskCompletionSource<MqttApplicationMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = await Mosquitto.Instance.ConnectAsync();
        listener.ApplicationMessageReceivedAsync += args =>
        {
            received.TrySetResult(args.ApplicationMessage);
            return Task.CompletedTask;
        };
        await listener.SubscribeAsync(topic, MqttQualityOfServiceLevel.AtLeastOnce);

        (await broker.PostAsync("/entities", """{"id": "urn:ngsi-ld:TrafficFlowObserved:m1", "type": "TrafficFlowObserved", "intensity": 100}""")).Dispose();
        using var created = await broker.PostAsync("/subscriptions", """
            {"type": "Subscription", "entities": [{"type": "TrafficFlowObserved"}], "watchedAttributes": ["intensity"],
             "notification": {"format": "keyValues", "attributes": ["intensity"],
               "endpoint": {"uri": "ENDPOINT", "accept": "application/json",
                            "notifierInfo": [{"key": "MQTT-QoS", "value": "1"}]}}}
            """.Replace("ENDPOINT", $"mqtt://127.0.0.1:{Mosquitto.Instance.Port}/{topic}", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        using var patch = await broker.Client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:TrafficFlowObserved:m1/attrs", Broker.Json("""{"intensity": 230}"""));
        Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);

        var message = await received.Task.WaitAsync(Patience);
        Assert.Equal(MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
        var notification = JsonNode.Parse(Encoding.UTF8.GetString(message.Payload))!;
        Assert.Equal("Notification", notification["type"]!.GetValue<string>());
        Assert.Equal("""[{"id":"urn:ngsi-ld:TrafficFlowObserved:m1","type":"TrafficFlowObserved","intensity":230}]""", notification["data"]!.ToJsonString());
    }

    [Fact]
    public async Task CreateSubscription_MqttQosOutOfRange_400()
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        using var response = await broker.PostAsync("/subscriptions", """
            {"type": "Subscription", "entities": [{"type": "T"}],
             "notification": {"endpoint": {"uri": "mqtt://127.0.0.1:1883/t", "notifierInfo": [{"key": "MQTT-QoS", "value": "3"}]}}}
            """);
        var problem = await Broker.AssertErrorAsync(response, 400, "BadRequestData");
        Assert.Contains("MQTT-QoS must be 0, 1 or 2", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Ingest_DeviceOfOneSystem_WritesOnlyThatSystemsEntities(string kind)
    {
        await using var broker = await StartWithIngestAsync(kind, tokens: true);
        using var parking = broker.As(new Caller("parking-sys", HubRoles.System, "330100-JT", "parking-1", null));
        using var traffic = broker.As(new Caller("traffic-sys", HubRoles.System, "330100-GA", "traffic-9", null));
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (ownDevice, foreignDevice) = ("own-" + suffix, "foreign-" + suffix);
        var (ownId, foreignId) = ($"urn:ngsi-ld:OffStreetParking:{ownDevice}", $"urn:ngsi-ld:OffStreetParking:{foreignDevice}");
        using (var created = await traffic.PostAsync("/ngsi-ld/v1/entities", Broker.Json(
            $$$"""{"id": "{{{foreignId}}}", "type": "OffStreetParking", "availableSpotNumber": {"type": "Property", "value": 5}}""")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        await RegisterAsync(broker, ownDevice, CarPark(ownId), parking);
        await RegisterAsync(broker, foreignDevice, CarPark(foreignId), parking);

        // Another system may not take the device over.
        using (var takeover = await traffic.PutAsync($"/api/sensing/devices/{ownDevice}", Broker.Json(CarPark(ownId))))
        {
            await Broker.AssertErrorAsync(takeover, 403, "AccessDenied");
        }

        await PublishAsync(ownDevice, """{"free": 42}""");
        await PublishAsync(foreignDevice, """{"free": 0}""");
        await EntityWhenAsync(broker, ownId, e => e["availableSpotNumber"]?["value"]?.GetValue<int>() == 42, parking);
        var letter = (await DeadLettersAsync(broker, foreignDevice, 1, parking))[0]!;
        Assert.Contains($"Entity '{foreignId}' belongs to another system", letter["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(5, (await EntityWhenAsync(broker, foreignId, _ => true, parking))["availableSpotNumber"]!["value"]!.GetValue<int>());

        // The device's entity belongs to the system that registered the device.
        using var refused = await traffic.DeleteAsync($"/ngsi-ld/v1/entities/{ownId}");
        await Broker.AssertErrorAsync(refused, 403, "AccessDenied");
    }
}

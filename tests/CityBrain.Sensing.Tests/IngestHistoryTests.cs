using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Ingest;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Protocol;

namespace CityBrain.Sensing.Tests;

/// <summary>Issue 8: every acknowledged reading reaches the temporal history, also when several of one device share a batch.</summary>
public sealed class IngestHistoryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static string Mapping(string entityId) => """
        {"entityId": "ENTITY", "entityType": "OffStreetParking", "observedAtField": "at",
         "fields": {"free": {"attribute": "availableSpotNumber", "kind": "number"}}}
        """.Replace("ENTITY", entityId, StringComparison.Ordinal);

    /// <summary>Reading <paramref name="minute"/>: <c>free</c> = 100 + minute, observed at 08:mm.</summary>
    private static string Reading(int minute) => $$"""{"free": {{100 + minute}}, "at": "2026-03-01T08:{{minute:00}}:00Z"}""";

    private static string ObservedAt(int minute) => $"2026-03-01T08:{minute:00}:00.000Z";

    private static async Task RegisterAsync(Broker broker, string deviceId, string entityId)
    {
        using var response = await broker.Client.PutAsync($"/api/sensing/devices/{deviceId}", Broker.Json(Mapping(entityId)));
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The entity's readings in the temporal history; none while the entity does not exist yet.</summary>
    private static async Task<JsonArray> HistoryAsync(Broker broker, string entityId)
    {
        using var response = await broker.Client.GetAsync($"/ngsi-ld/v1/temporal/entities/{entityId}?timerel=after&timeAt=2026-03-01T00:00:00Z");
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return [];
        }
        Assert.True(response.IsSuccessStatusCode, $"temporal {entityId}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!["availableSpotNumber"]?.AsArray() ?? [];
    }

    private static void AssertEveryReading(JsonArray history, IEnumerable<int> minutes) =>
        Assert.Equal(
            minutes.Select(m => (100 + m, ObservedAt(m))),
            history.Select(i => (i!["value"]!.GetValue<int>(), i["observedAt"]!.GetValue<string>())).OrderBy(r => r.Item2, StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task ApplyAsync_TenReadingsOfOneDeviceInOneBatch_AllInHistoryLatestCurrent(string kind)
    {
        await using var broker = await Broker.StartAsync(kind);
        var entityId = "urn:ngsi-ld:OffStreetParking:batch-1";
        await RegisterAsync(broker, "batch-1", entityId);

        // One call is one batch: one upsert, one transaction.
        await broker.Services.GetRequiredService<MqttIngest>().ApplyAsync(
            [.. Enumerable.Range(1, 10).Select(m => ("citybrain/devices/batch-1/attrs", Encoding.UTF8.GetBytes(Reading(m))))], CancellationToken.None);

        AssertEveryReading(await HistoryAsync(broker, entityId), Enumerable.Range(1, 10));
        var entity = await broker.GetJsonAsync($"/entities/{entityId}");
        Assert.Equal(110, entity["availableSpotNumber"]!["value"]!.GetValue<int>());
        Assert.Equal(ObservedAt(10), entity["availableSpotNumber"]!["observedAt"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Ingest_TenReadingsQueuedWhileIngestDown_AllInHistoryLatestCurrent(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind);
        var settings = new Dictionary<string, string?>
        {
            ["Sensing:MqttBroker"] = Mosquitto.Instance.Uri.ToString(),
            ["Sensing:MqttClientId"] = "ingest-" + Guid.NewGuid().ToString("N"),
        };
        var deviceId = "queued-" + Guid.NewGuid().ToString("N")[..8];
        var entityId = $"urn:ngsi-ld:OffStreetParking:{deviceId}";
        await using (var first = await Broker.StartAsync(kind, store, settings))
        {
            await RegisterAsync(first, deviceId, entityId);
            await first.Services.GetRequiredService<MqttIngest>().Subscribed.WaitAsync(Patience);
        }

        // Ingest is down: its persistent session keeps the readings at Mosquitto, delivered together on reconnect.
        using (var device = await Mosquitto.Instance.ConnectAsync())
        {
            for (var minute = 1; minute <= 10; minute++)
            {
                await device.PublishAsync(new MqttApplicationMessageBuilder().WithTopic($"citybrain/devices/{deviceId}/attrs")
                    .WithPayload(Reading(minute)).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
            }
            await device.DisconnectAsync();
        }
        await using var second = await Broker.StartAsync(kind, store, settings);

        var deadline = DateTime.UtcNow + Patience;
        var history = await HistoryAsync(second, entityId);
        while (history.Count < 10)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{history.Count} of 10 readings in the history after {Patience.TotalSeconds} s");
            await Task.Delay(50);
            history = await HistoryAsync(second, entityId);
        }
        AssertEveryReading(history, Enumerable.Range(1, 10));
        var entity = await second.GetJsonAsync($"/entities/{entityId}");
        Assert.Equal(110, entity["availableSpotNumber"]!["value"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task BatchUpsert_SameIdTwice_BothInHistoryLastAppliedCurrent(string kind)
    {
        await using var broker = await Broker.StartAsync(kind);
        // Applied in array order as separate upserts; the later element wins even though its reading is older.
        using var response = await broker.PostAsync("/entityOperations/upsert?options=update", """
            [{"id": "urn:ngsi-ld:OffStreetParking:twice", "type": "OffStreetParking",
              "availableSpotNumber": {"type": "Property", "value": 105, "observedAt": "2026-03-01T08:05:00Z"}},
             {"id": "urn:ngsi-ld:OffStreetParking:twice", "type": "OffStreetParking",
              "availableSpotNumber": {"type": "Property", "value": 103, "observedAt": "2026-03-01T08:03:00Z"}}]
            """);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());

        AssertEveryReading(await HistoryAsync(broker, "urn:ngsi-ld:OffStreetParking:twice"), [3, 5]);
        var entity = await broker.GetJsonAsync("/entities/urn:ngsi-ld:OffStreetParking:twice");
        Assert.Equal(103, entity["availableSpotNumber"]!["value"]!.GetValue<int>());
    }
}

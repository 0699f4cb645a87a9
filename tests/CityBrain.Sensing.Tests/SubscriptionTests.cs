using System.Net;
using System.Text.Json.Nodes;
using CityBrain.TestSupport;

namespace CityBrain.Sensing.Tests;

public sealed class SubscriptionTests
{
    private const string Detector = """
        {"id": "urn:ngsi-ld:TrafficFlowObserved:d1", "type": "TrafficFlowObserved", "intensity": 100, "laneId": 1,
         "location": {"type": "Point", "coordinates": [120.16, 30.27]}}
        """;

    private static string SubscriptionFor(string endpoint, string extra = "") => $$"""
        {"type": "Subscription", "entities": [{"type": "TrafficFlowObserved"}], "watchedAttributes": ["intensity"],
         "q": "intensity>150", {{extra}}
         "notification": {"format": "keyValues", "attributes": ["intensity"], "endpoint": {"uri": "{{endpoint}}", "accept": "application/json"} } }
        """;

    private static async Task PatchAsync(Broker broker, string body)
    {
        using var response = await broker.Client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:TrafficFlowObserved:d1/attrs", Broker.Json(body));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task Subscription_WatchedAttributeMatchesQ_NotifiesReceiver(string kind)
    {
        await using var receiver = await Receiver.StartAsync();
        await using var broker = await Broker.StartAsync(kind);
        (await broker.PostAsync("/entities", Detector)).Dispose();
        using var created = await broker.PostAsync("/subscriptions", SubscriptionFor(receiver.Url));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        await PatchAsync(broker, """{"laneId": 2}""");        // not watched
        await PatchAsync(broker, """{"intensity": 120}""");   // watched, but q is false
        await PatchAsync(broker, """{"intensity": 180}""");   // notifies

        var received = await receiver.WaitForAsync(1);
        var notification = received[0];
        Assert.Equal("Notification", notification["type"]!.GetValue<string>());
        Assert.Equal(created.Headers.Location!.ToString().Split('/')[^1], Uri.EscapeDataString(notification["subscriptionId"]!.GetValue<string>()));
        Assert.Equal("""[{"id":"urn:ngsi-ld:TrafficFlowObserved:d1","type":"TrafficFlowObserved","intensity":180}]""", notification["data"]!.ToJsonString());

        // The status counts the delivery (it is recorded just after the receiver answers).
        var status = await WaitForStatusAsync(broker, created.Headers.Location!.ToString(), s => s["notification"]!["timesSent"]!.GetValue<long>() == 1);
        Assert.Equal("ok", status["notification"]!["status"]!.GetValue<string>());
        Assert.Equal("active", status["status"]!.GetValue<string>());
        Assert.Single(receiver.Received);
    }

    [Fact]
    public async Task Subscription_EndpointDown_RetriesAndDeliversInOrder()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        (await broker.PostAsync("/entities", Detector)).Dispose();
        using var created = await broker.PostAsync("/subscriptions", SubscriptionFor(receiver.Url));
        receiver.Down = true;
        await PatchAsync(broker, """{"intensity": 200}""");
        await PatchAsync(broker, """{"intensity": 210}""");

        var failed = await WaitForStatusAsync(broker, created.Headers.Location!.ToString(), s => s["notification"]!["timesFailed"]!.GetValue<long>() >= 2);
        Assert.Equal("failed", failed["notification"]!["status"]!.GetValue<string>());
        Assert.NotNull(failed["notification"]!["lastFailure"]);

        receiver.Down = false;
        var received = await receiver.WaitForAsync(2);
        Assert.Equal(200, received[0]["data"]![0]!["intensity"]!.GetValue<int>());
        Assert.Equal(210, received[1]["data"]![0]!["intensity"]!.GetValue<int>());
        var recovered = await WaitForStatusAsync(broker, created.Headers.Location!.ToString(), s => s["notification"]!["timesSent"]!.GetValue<long>() == 2);
        Assert.Equal("ok", recovered["notification"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Subscription_InactiveOrExpired_DoesNotNotify()
    {
        await using var receiver = await Receiver.StartAsync();
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        (await broker.PostAsync("/entities", Detector)).Dispose();
        using var paused = await broker.PostAsync("/subscriptions", SubscriptionFor(receiver.Url + "?paused", "\"isActive\": false,"));
        using var expired = await broker.PostAsync("/subscriptions", SubscriptionFor(receiver.Url + "?expired", "\"expiresAt\": \"2020-01-01T00:00:00Z\","));
        using var live = await broker.PostAsync("/subscriptions", SubscriptionFor(receiver.Url));
        await PatchAsync(broker, """{"intensity": 300}""");

        // The live subscription's notification was queued in the same write as the others would have been.
        await receiver.WaitForAsync(1);
        var pausedStatus = await broker.GetJsonAsync(paused.Headers.Location!.ToString()["/ngsi-ld/v1".Length..]);
        Assert.Equal("paused", pausedStatus["status"]!.GetValue<string>());
        Assert.Equal(0, pausedStatus["notification"]!["timesSent"]!.GetValue<long>());
        var expiredStatus = await broker.GetJsonAsync(expired.Headers.Location!.ToString()["/ngsi-ld/v1".Length..]);
        Assert.Equal("expired", expiredStatus["status"]!.GetValue<string>());
        Assert.Single(receiver.Received);
    }

    [Theory]
    [InlineData("""{"type": "Subscription", "entities": [{"type": "T"}]}""", "notification")]
    [InlineData("""{"type": "Subscription", "entities": [{"type": "T"}], "q": "a=1", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""", "single '='")]
    [InlineData("""{"type": "Subscription", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""", "entities")]
    [InlineData("""{"type": "Subscription", "entities": [{"type": "T"}], "notification": {"endpoint": {"uri": "ftp://x/y"}}}""", "mqtt")]
    [InlineData("""{"type": "Subscription", "entities": [{"type": "T"}], "throttling": -1, "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""", "throttling")]
    [InlineData("""{"type": "Subscription", "entities": [{"type": "T"}], "colour": "red", "notification": {"endpoint": {"uri": "http://127.0.0.1:9/n"}}}""", "colour")]
    public async Task CreateSubscription_BadInput_Answers400(string body, string expectedInDetail)
    {
        await using var broker = await Broker.StartAsync(TestStores.Sqlite);
        using var response = await broker.PostAsync("/subscriptions", body);
        var problem = await Broker.AssertErrorAsync(response, 400, "BadRequestData");
        Assert.Contains(expectedInDetail, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Subscriptions_CrudAndRestart_KeepTheirDefinition()
    {
        var store = await TestStores.CreateAsync(TestStores.Sqlite);
        string location;
        await using (var broker = await Broker.StartAsync(TestStores.Sqlite, store))
        {
            using var created = await broker.PostAsync("/subscriptions", SubscriptionFor("http://127.0.0.1:9/n"));
            location = created.Headers.Location!.ToString()["/ngsi-ld/v1".Length..];
            using var patch = await broker.Client.PatchAsync("/ngsi-ld/v1" + location, Broker.Json("""{"isActive": false}"""));
            Assert.Equal(HttpStatusCode.NoContent, patch.StatusCode);
        }
        await using (var restarted = await Broker.StartAsync(TestStores.Sqlite, store))
        {
            var subscription = await restarted.GetJsonAsync(location);
            Assert.Equal("paused", subscription["status"]!.GetValue<string>());
            Assert.Equal("intensity>150", subscription["q"]!.GetValue<string>());
            Assert.Single((await restarted.GetJsonAsync("/subscriptions")).AsArray());
            using var delete = await restarted.Client.DeleteAsync("/ngsi-ld/v1" + location);
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            using var gone = await restarted.Client.GetAsync("/ngsi-ld/v1" + location);
            await Broker.AssertErrorAsync(gone, 404, "ResourceNotFound");
        }
        await store.DisposeAsync();
    }

    private static async Task<JsonNode> WaitForStatusAsync(Broker broker, string location, Func<JsonNode, bool> condition)
    {
        var path = location["/ngsi-ld/v1".Length..];
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var subscription = await broker.GetJsonAsync(path);
            if (condition(subscription) || DateTime.UtcNow > deadline)
            {
                Assert.True(condition(subscription), $"status not reached: {subscription.ToJsonString()}");
                return subscription;
            }
            await Task.Delay(50);
        }
    }
}

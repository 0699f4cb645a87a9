using System.Net;
using System.Text.Json.Nodes;
using CityBrain.TestSupport;

namespace CityBrain.Sensing.Tests;

public sealed class TemporalTests
{
    /// <summary>A detector's flow every 20 minutes from 08:00 to 09:40: hour 8 has 100, 200, 300; hour 9 has 400, 500, 600.</summary>
    private static async Task<Broker> DetectorWithHistoryAsync(string kind)
    {
        var broker = await Broker.StartAsync(kind);
        (await broker.PostAsync("/entities", """
            {"id": "urn:ngsi-ld:TrafficFlowObserved:d7", "type": "TrafficFlowObserved",
             "intensity": {"type": "Property", "value": 100, "observedAt": "2026-11-24T08:00:00Z"}}
            """)).Dispose();
        var flows = new[] { 200, 300, 400, 500, 600 };
        for (var i = 0; i < flows.Length; i++)
        {
            var at = new DateTime(2026, 11, 24, 8, 20, 0, DateTimeKind.Utc).AddMinutes(20 * i);
            using var response = await broker.Client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:TrafficFlowObserved:d7/attrs",
                Broker.Json($$"""{"intensity": {"type": "Property", "value": {{flows[i]}}, "observedAt": "{{at:yyyy-MM-ddTHH:mm:ssZ}}"} }"""));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        }
        return broker;
    }

    [Theory]
    [MemberData(nameof(TestStores.Kinds), MemberType = typeof(TestStores))]
    public async Task TemporalEntity_HourlyAverage_AggregatesByPeriod(string kind)
    {
        await using var broker = await DetectorWithHistoryAsync(kind);
        var result = await broker.GetJsonAsync("/temporal/entities/urn:ngsi-ld:TrafficFlowObserved:d7?timerel=between&timeAt=2026-11-24T08:00:00Z&endTimeAt=2026-11-24T10:00:00Z" +
            "&options=aggregatedValues&aggrMethods=avg,min,max,sum,totalCount&aggrPeriodDuration=PT1H");
        var intensity = result["intensity"]!;
        Assert.Equal("""[[200,"2026-11-24T08:00:00.000Z","2026-11-24T09:00:00.000Z"],[500,"2026-11-24T09:00:00.000Z","2026-11-24T10:00:00.000Z"]]""", intensity["avg"]!.ToJsonString());
        Assert.Equal(100, intensity["min"]![0]![0]!.GetValue<double>());
        Assert.Equal(600, intensity["max"]![1]![0]!.GetValue<double>());
        Assert.Equal(1500, intensity["sum"]![1]![0]!.GetValue<double>());
        Assert.Equal(3, intensity["totalCount"]![0]![0]!.GetValue<int>());
    }

    [Fact]
    public async Task TemporalEntity_TimerelAndLastN_SelectInstances()
    {
        await using var broker = await DetectorWithHistoryAsync(TestStores.Sqlite);
        var after = await broker.GetJsonAsync("/temporal/entities/urn:ngsi-ld:TrafficFlowObserved:d7?timerel=after&timeAt=2026-11-24T09:00:00Z");
        Assert.Equal([400, 500, 600], after["intensity"]!.AsArray().Select(i => i!["value"]!.GetValue<int>()));
        var lastTwo = await broker.GetJsonAsync("/temporal/entities/urn:ngsi-ld:TrafficFlowObserved:d7?lastN=2&options=temporalValues");
        Assert.Equal("""[[500,"2026-11-24T09:20:00.000Z"],[600,"2026-11-24T09:40:00.000Z"]]""", lastTwo["intensity"]!["values"]!.ToJsonString());
        var byType = await broker.GetJsonAsync("/temporal/entities?type=TrafficFlowObserved&timerel=before&timeAt=2026-11-24T08:30:00Z");
        Assert.Equal(2, byType[0]!["intensity"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("timerel=between&timeAt=2026-11-24T08:00:00Z", "endTimeAt")]
    [InlineData("timerel=during&timeAt=2026-11-24T08:00:00Z", "timerel")]
    [InlineData("timerel=after&timeAt=tomorrow", "timeAt")]
    [InlineData("lastN=0", "lastN")]
    [InlineData("options=aggregatedValues&aggrMethods=median", "aggrMethods")]
    [InlineData("options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1 hour", "aggrPeriodDuration")]
    public async Task TemporalEntity_BadParameters_Answer400(string query, string expectedInDetail)
    {
        await using var broker = await DetectorWithHistoryAsync(TestStores.Sqlite);
        using var response = await broker.Client.GetAsync("/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:TrafficFlowObserved:d7?" + query);
        var problem = await Broker.AssertErrorAsync(response, 400, "BadRequestData");
        Assert.Contains(expectedInDetail, problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }
}

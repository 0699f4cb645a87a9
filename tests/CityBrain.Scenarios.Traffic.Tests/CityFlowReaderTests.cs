using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Scenarios.Traffic.Network;

namespace CityBrain.Scenarios.Traffic.Tests;

public sealed class CityFlowReaderTests
{
    private static RoadNetwork ReadRoadnet(string json) => CityFlowReader.ReadRoadNetwork(new MemoryStream(Encoding.UTF8.GetBytes(json)), "roadnet.json");

    private static Demand ReadFlow(string json, RoadNetwork network) => CityFlowReader.ReadDemand(new MemoryStream(Encoding.UTF8.GetBytes(json)), network, "flow.json");

    [Fact]
    public void ReadRoadNetwork_GeneratedGrid_BuildsLanesLinksAndPhases()
    {
        var (roadnet, flow) = GridCity.Generate(rows: 2, columns: 2, vehicles: 10);

        var network = ReadRoadnet(roadnet);
        var demand = ReadFlow(flow, network);

        // 2x2 signals: 8 edge entrances and 8 exits, 8 roads between signals; 3 lanes each; 12 road links x 3 lane links per signal.
        Assert.Equal(24, network.RoadCount);
        Assert.Equal(72, network.LaneCount);
        Assert.Equal(4 * 12 * 3, network.LinkCount);
        Assert.Equal(10, demand.FlowCount);
        // A 300 m road cut back by the 15 m of its signalised end: 285 m.
        var entrance = network.RoadIndex("road_0_1_0");
        Assert.Equal(285, network.LaneLength[network.RoadFirstLane[entrance]], 6);
        Assert.True(network.Crossings.Count > 0);
    }

    [Fact]
    public void ReadRoadNetwork_RoadLinkToMissingRoad_NamesTheItem()
    {
        var roadnet = JsonNode.Parse(GridCity.Generate(1, 1, 0).Roadnet)!;
        var signal = roadnet["intersections"]!.AsArray().First(i => !(bool)i!["virtual"]!)!;
        signal["roadLinks"]![4]!["endRoad"] = "road_9_9_9";

        var error = Assert.Throws<TrafficDataException>(() => ReadRoadnet(roadnet.ToJsonString()));

        Assert.Contains("intersections[", error.Message, StringComparison.Ordinal);
        Assert.Contains("'intersection_1_1'.roadLinks[4]", error.Message, StringComparison.Ordinal);
        Assert.Contains("'road_9_9_9', which does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRoadNetwork_RoadFromMissingIntersection_NamesTheRoad()
    {
        var roadnet = JsonNode.Parse(GridCity.Generate(1, 1, 0).Roadnet)!;
        roadnet["roads"]![2]!["startIntersection"] = "nowhere";

        var error = Assert.Throws<TrafficDataException>(() => ReadRoadnet(roadnet.ToJsonString()));

        Assert.Equal($"roadnet.json: roads[2] '{roadnet["roads"]![2]!["id"]}': startIntersection 'nowhere' does not exist", error.Message);
    }

    [Theory]
    [InlineData("[]", "roadnet.json: a roadnet is a JSON object with 'intersections' and 'roads'; found array")]
    [InlineData("{\"intersections\":[]}", "roadnet.json: 'roads' is missing")]
    [InlineData("{\"intersections\":{}, \"roads\":[]}", "roadnet.json: 'intersections' must be an array, found object")]
    [InlineData("{\"intersections\":[], \"roads\":[", "roadnet.json: not valid JSON")]
    public void ReadRoadNetwork_WrongShape_SaysWhatIsWrong(string json, string expected)
    {
        var error = Assert.Throws<TrafficDataException>(() => ReadRoadnet(json));

        Assert.StartsWith(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadDemand_RouteThroughMissingRoad_NamesFlowAndRoad()
    {
        var (roadnet, flow) = GridCity.Generate(1, 1, 3);
        var flows = JsonNode.Parse(flow)!.AsArray();
        flows[1]!["route"]![1] = "road_missing";

        var error = Assert.Throws<TrafficDataException>(() => ReadFlow(flows.ToJsonString(), ReadRoadnet(roadnet)));

        Assert.Equal("flow.json: flow[1]: route[1] refers to road 'road_missing', which does not exist", error.Message);
    }

    [Fact]
    public void ReadDemand_ImpossibleRoute_NamesBothRoads()
    {
        var (roadnet, flow) = GridCity.Generate(1, 1, 1);
        var flows = JsonNode.Parse(flow)!.AsArray();
        // From the west entrance straight back out of the west side: no road link makes a U-turn.
        flows[0]!["route"] = new JsonArray("road_0_1_0", "road_1_1_2");

        var error = Assert.Throws<TrafficDataException>(() => ReadFlow(flows.ToJsonString(), ReadRoadnet(roadnet)));

        Assert.Equal("flow.json: flow[0]: the route is impossible: no lane leads from 'road_0_1_0' (route[0]) to 'road_1_1_2' (route[1])", error.Message);
    }

    [Fact]
    public void ReadDemand_NegativeInterval_IsRefused()
    {
        var (roadnet, flow) = GridCity.Generate(1, 1, 2);
        var flows = JsonNode.Parse(flow)!.AsArray();
        flows[1]!["interval"] = -5;

        var error = Assert.Throws<TrafficDataException>(() => ReadFlow(flows.ToJsonString(), ReadRoadnet(roadnet)));

        Assert.Equal("flow.json: flow[1]: interval -5 is negative", error.Message);
    }

    [Fact]
    public void ReadDemand_VehicleWithoutLength_NamesTheField()
    {
        var (roadnet, flow) = GridCity.Generate(1, 1, 1);
        var flows = JsonNode.Parse(flow)!.AsArray();
        flows[0]!["vehicle"]!.AsObject().Remove("length");

        var error = Assert.Throws<TrafficDataException>(() => ReadFlow(flows.ToJsonString(), ReadRoadnet(roadnet)));

        Assert.Equal("flow.json: flow[0].vehicle: 'length' is missing", error.Message);
    }

    [Fact]
    public void ReadDemand_ObjectInsteadOfArray_SaysSo()
    {
        var network = ReadRoadnet(GridCity.Generate(1, 1, 0).Roadnet);

        var error = Assert.Throws<TrafficDataException>(() => ReadFlow("{\"flows\":[]}", network));

        Assert.Equal("flow.json: a flow file is a JSON array of flows; found object", error.Message);
    }

    [Fact]
    public void Releases_FlowWithInterval_ReleasesAsCityFlowDoes()
    {
        var (roadnet, _) = GridCity.Generate(1, 1, 0);
        var network = ReadRoadnet(roadnet);
        var flow = """
            [{"vehicle":{"length":5,"width":2,"maxPosAcc":2,"maxNegAcc":4.5,"usualPosAcc":2,"usualNegAcc":4.5,"minGap":2.5,"maxSpeed":11.111,"headwayTime":2},
              "route":["road_0_1_0","road_1_1_0"],"interval":2.5,"startTime":10,"endTime":20}]
            """;

        var releases = ReadFlow(flow, network).Releases(3600);

        // One at startTime, then whenever 2.5 s have built up: 10, 13, 15, 18, 20.
        Assert.Equal([10, 13, 15, 18, 20], releases.Select(r => r.Time));
    }
}

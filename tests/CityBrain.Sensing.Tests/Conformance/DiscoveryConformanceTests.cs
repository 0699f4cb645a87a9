using System.Net;
using System.Text.Json.Nodes;

namespace CityBrain.Sensing.Tests.Conformance;

/// <summary>ETSI NGSI-LD test suite, ContextInformation/Consumption/Discovery (GS CIM 009 clauses 5.7.5 and 5.7.8), ported.</summary>
public sealed class DiscoveryConformanceTests
{
    private static async Task<EtsiSuite> BuildingAndVehicleAsync()
    {
        var suite = await EtsiSuite.StartAsync();
        await suite.CreateAsync(EtsiSuite.BuildingWithProperties(EtsiSuite.NewId("Building")));
        await suite.CreateAsync(EtsiSuite.Vehicle(EtsiSuite.NewId("Vehicle")));
        return suite;
    }

    // Without a @context the broker answers the expanded names; with the suite's context, the short ones.
    [Theory]
    [Trait("etsi", "022_01")]
    [InlineData("022_01_01", false)]
    [InlineData("022_01_02", true)]
    public async Task Etsi022_01_RetrieveTypes_TwoTypesStored_AnswersEntityTypeList(string etsiCase, bool withContext)
    {
        await using var suite = await BuildingAndVehicleAsync();
        var list = await suite.GetJsonAsync("/types", "application/json", withContext);
        Assert.Equal("EntityTypeList", list["type"]!.GetValue<string>());
        Assert.StartsWith("urn:ngsi-ld:EntityTypeList:", list["id"]!.GetValue<string>());
        var prefix = withContext ? "" : EtsiSuite.Vocabulary;
        Assert.True(JsonNode.DeepEquals(new JsonArray(prefix + "Building", prefix + "Vehicle"), list["typeList"]), $"{etsiCase}: {list["typeList"]?.ToJsonString()}");
    }

    [Theory]
    [Trait("etsi", "025_01")]
    [InlineData("025_01_01", false)]
    [InlineData("025_01_02", true)]
    public async Task Etsi025_01_RetrieveAttributes_OneEntityStored_AnswersAttributeList(string etsiCase, bool withContext)
    {
        await using var suite = await EtsiSuite.StartAsync();
        await suite.CreateAsync(EtsiSuite.BuildingWithProperties(EtsiSuite.NewId("Building")));
        var list = await suite.GetJsonAsync("/attributes", "application/json", withContext);
        Assert.Equal("AttributeList", list["type"]!.GetValue<string>());
        Assert.StartsWith("urn:ngsi-ld:AttributeList:", list["id"]!.GetValue<string>());
        var prefix = withContext ? "" : EtsiSuite.Vocabulary;
        var expected = new[] { "airQualityLevel", "almostFull", "subCategory" }.Select(a => prefix + a).Order();
        Assert.True(expected.SequenceEqual(list["attributeList"]!.AsArray().Select(a => a!.GetValue<string>()).Order()), $"{etsiCase}: {list["attributeList"]?.ToJsonString()}");
    }

    // The entities' type is the suite's Building; asked for without a @context, "Building" expands to the core
    // default vocabulary, which names no stored type.
    [Fact]
    [Trait("etsi", "024_01_01")]
    public async Task Etsi024_01_01_RetrieveType_ShortNameWithoutContext_AnswersResourceNotFound()
    {
        await using var suite = await EtsiSuite.StartAsync();
        await suite.CreateAsync(EtsiSuite.BuildingWithProperties(EtsiSuite.NewId("Building")));
        await suite.CreateAsync(EtsiSuite.BuildingWithProperties(EtsiSuite.NewId("Building")));
        using var response = await suite.GetAsync("/types/Building", "application/json", withContext: false);
        await EtsiSuite.AssertProblemAsync(response, 404, "ResourceNotFound");
    }
}

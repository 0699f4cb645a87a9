using System.Net;

namespace CityBrain.Sensing.Tests.Conformance;

/// <summary>
/// ETSI NGSI-LD test suite, Temporal (GS CIM 009 clauses 5.6.11 and 5.7.4), ported. Every temporal case of the suite
/// sets its history up through POST /temporal/entities (create a temporal representation), which this broker does not
/// offer yet (its history is written by the entity API), so those cases are skipped and counted as failing.
/// </summary>
public sealed class TemporalConformanceTests
{
    private const string NoTemporalCreate = "POST /temporal/entities (create a temporal representation, clause 5.6.11) is not implemented; the suite's setup needs it";

    [Theory(Skip = NoTemporalCreate)]
    [Trait("etsi", "021_01")]
    [InlineData("021_01_01", "after")]
    [InlineData("021_01_02", "before")]
    [InlineData("021_01_03", "between")]
    public async Task Etsi021_01_QueryTemporal_Timerel_AnswersInstancesInRange(string etsiCase, string timerel)
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var created = await suite.SendAsync(HttpMethod.Post, "/temporal/entities", suite.AsLd(EtsiSuite.Vehicle(EtsiSuite.NewId("Vehicle"))), EtsiSuite.LdJson);
        Assert.True(created.StatusCode == HttpStatusCode.Created, $"{etsiCase} ({timerel}): {(int)created.StatusCode}");
    }

    [Fact(Skip = NoTemporalCreate)]
    [Trait("etsi", "048_01_06")]
    public async Task Etsi048_01_06_CreateTemporal_ContentTypeXml_Answers415()
    {
        await using var suite = await EtsiSuite.StartAsync();
        var body = suite.AsLd(EtsiSuite.Vehicle(EtsiSuite.NewId("Vehicle")));
        using var response = await suite.SendAsync(HttpMethod.Post, "/temporal/entities", body, "application/xml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
    }

    [Fact]
    [Trait("etsi", "049_01_05")]
    public async Task Etsi049_01_05_QueryTemporal_AcceptXml_Answers406()
    {
        await using var suite = await EtsiSuite.StartAsync();
        using var response = await suite.GetAsync("/temporal/entities?type=Vehicle&timerel=after&timeAt=2020-08-01T12:05:00Z", "application/xml");
        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }
}

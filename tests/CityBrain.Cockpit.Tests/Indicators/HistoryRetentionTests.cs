using CityBrain.Cockpit.Indicators;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CityBrain.Cockpit.Tests.Indicators;

/// <summary>Value history is kept for the configured days, so that a node left running does not fill its disk.</summary>
public sealed class HistoryRetentionTests
{
    public static TheoryData<string> Stores => TestStores.Kinds;

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task DeleteOld_ValuesOlderThanTheKeptDays_GoneNewerStillInTheTrend(string kind)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cockpit = await CockpitServices.CreateAsync(kind, services => services.AddCockpit(),
            new Dictionary<string, string?> { ["Cockpit:Indicators:HistoryDays"] = "2" });
        var history = cockpit.Get<IndicatorHistory>();
        var definition = new IndicatorDefinition
        {
            Code = "test.crowd", Name = "客流", OwningUnit = "gaj", Source = IndicatorSource.Metric, Query = "test.crowd", Measure = "人",
        };
        var now = cockpit.Time.GetUtcNow();
        foreach (var (daysAgo, value) in new[] { (5.0, 50.0), (2.5, 25.0), (1.5, 15.0), (0.0, 1.0) })
        {
            await history.AppendAsync(definition, new IndicatorReading(value, new Dictionary<string, double> { ["330106"] = value / 2 }),
                now - TimeSpan.FromDays(daysAgo), [], ct);
        }
        var retention = cockpit.Get<IEnumerable<IHostedService>>().OfType<IndicatorHistoryRetention>().Single();

        await retention.DeleteOldAsync(ct);

        Assert.Equal([15.0, 1.0], (await history.ReadAsync("test.crowd", IndicatorHistory.City, 100, ct)).Select(p => p.Value));
        Assert.Equal([7.5, 0.5], (await history.ReadAsync("test.crowd", "330106", 100, ct)).Select(p => p.Value));
    }
}

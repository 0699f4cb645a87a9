using CityBrain.Kernel.Errors;
using CityBrain.Scenarios.Traffic.Web;
using Microsoft.Extensions.Options;

namespace CityBrain.Scenarios.Traffic.Tests;

public sealed class ControllerResultsTests
{
    private static ControllerResults Results() =>
        new(new TrafficDatasets(Options.Create(new TrafficOptions { DatasetsPath = FidelityTests.SharedDatasets() })));

    [Fact]
    public async Task ForAsync_HZ1_EveryControllerInOrderAndKeptForTheNextViewer()
    {
        var results = Results();

        var first = await results.ForAsync("HZ1", TestContext.Current.CancellationToken);
        var again = await results.ForAsync("HZ1", TestContext.Current.CancellationToken);

        Assert.Equal(TrafficRun.Controllers, first.Select(r => r.Controller));
        Assert.Same(first, again);
        // The roadnet's plan row is CityFlow's (docs/traffic.md): the table shows the simulator's figures, not placeholders.
        Assert.Equal(2508, first[0].Throughput);
        Assert.True(first[^1].PaperTravelTime < first[0].PaperTravelTime, "our controller beats the roadnet's plan");
    }

    [Fact]
    public async Task ForAsync_UnknownDataset_NamesTheDatasets()
    {
        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => Results().ForAsync("HZ9", TestContext.Current.CancellationToken));

        Assert.Contains("'HZ9' is not a dataset: HZ1, JN1", error.Message, StringComparison.Ordinal);
    }
}

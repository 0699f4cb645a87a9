using CityBrain.Cockpit.Live;
using Microsoft.Extensions.Logging.Abstractions;

namespace CityBrain.Cockpit.Tests.Live;

public sealed class LiveMapLayersTests
{
    [Fact]
    public async Task RefreshAsync_PointsUnchangedThenChanged_AnnouncesOnlyTheChange()
    {
        var source = new Points { Current = [Park(50)] };
        var layers = new LiveMapLayers([source], TimeProvider.System, NullLogger<LiveMapLayers>.Instance);
        var announced = 0;
        layers.Changed += () => announced++;

        await layers.RefreshAsync(TestContext.Current.CancellationToken);
        await layers.RefreshAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, announced);

        source.Current = [Park(97)];
        await layers.RefreshAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, announced);
        Assert.Equal(97, Assert.Single(layers.Points).Value);
    }

    [Fact]
    public async Task RefreshAsync_OneSourceFails_OthersStayOnMap()
    {
        var layers = new LiveMapLayers([new Broken(), new Points { Current = [Park(10)] }], TimeProvider.System, NullLogger<LiveMapLayers>.Instance);

        await layers.RefreshAsync(TestContext.Current.CancellationToken);

        Assert.Equal("p1", Assert.Single(layers.Points).Id);
    }

    private static LiveMapPoint Park(double occupancy) =>
        new("p1", "停车场 Car parks", 120.1, 30.2, occupancy, occupancy >= 95 ? MapPointStatus.Alarm : MapPointStatus.Normal, $"p1 · {occupancy}%");

    private sealed class Points : ILiveMapLayerSource
    {
        public IReadOnlyList<LiveMapPoint> Current { get; set; } = [];

        public ValueTask<IReadOnlyList<LiveMapPoint>> ReadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(Current);
    }

    private sealed class Broken : ILiveMapLayerSource
    {
        public ValueTask<IReadOnlyList<LiveMapPoint>> ReadAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("store down");
    }
}

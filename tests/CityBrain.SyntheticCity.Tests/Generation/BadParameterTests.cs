using CityBrain.Kernel.Errors;
using CityBrain.SyntheticCity.Generation;

namespace CityBrain.SyntheticCity.Tests.Generation;

public sealed class BadParameterTests : IDisposable
{
    private readonly string _folder = TempFolder.Create();

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(20_000_001)]
    public async Task GenerateAsync_ImpossibleResidentCount_RefusedNamingTheLimit(int residents)
    {
        var error = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = residents, OutputDirectory = _folder }, null, TestContext.Current.CancellationToken));

        Assert.Contains("between 1 and 20,000,000", error.Errors!["residents"][0], StringComparison.Ordinal);
        Assert.False(Directory.Exists(_folder), "nothing is written");
    }

    [Fact]
    public async Task GenerateAsync_OutputFolderNotEmpty_RefusedAndLeftAlone()
    {
        Directory.CreateDirectory(_folder);
        var earlier = Path.Combine(_folder, "earlier-city.json");
        await File.WriteAllTextAsync(earlier, "{}", TestContext.Current.CancellationToken);

        var error = await Assert.ThrowsAsync<ValidationFailedException>(() =>
            CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = 100, OutputDirectory = _folder }, null, TestContext.Current.CancellationToken));

        Assert.Contains("is not empty", error.Errors!["out"][0], StringComparison.Ordinal);
        Assert.Equal([earlier], Directory.GetFileSystemEntries(_folder));
    }

    [Fact]
    public async Task GenerateAsync_SeveralBadOptions_EveryOneNamed()
    {
        var options = new CityGenerationOptions { Residents = 100, OutputDirectory = "", ActivityDays = 0, MovedOutShare = 1.5, MovedOutLag = -0.1 };
        options.Dirt.Duplicate = 0.9;

        var error = await Assert.ThrowsAsync<ValidationFailedException>(() => CityGenerator.GenerateAsync(options, null, TestContext.Current.CancellationToken));

        Assert.Equal(["activityDays", "dirt.duplicate", "movedOutLag", "movedOutShare", "out"], error.Errors!.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("got 1.5", error.Errors["movedOutShare"][0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateAsync_Cancelled_LeavesNoPartialCity()
    {
        using var cancellation = new CancellationTokenSource();
        var progress = new CancelOnFirstReport(cancellation);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = 200_000, OutputDirectory = _folder }, progress, cancellation.Token));

        Assert.False(Directory.Exists(_folder), "the half-written city is removed");
    }

    private sealed class CancelOnFirstReport(CancellationTokenSource cancellation) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value)
        {
            if (value.Stage == "Residents and activity")
            {
                cancellation.Cancel();
            }
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}

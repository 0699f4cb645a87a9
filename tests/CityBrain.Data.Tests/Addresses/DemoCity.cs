using CityBrain.Data.Addresses;
using CityBrain.SyntheticCity.Generation;

namespace CityBrain.Data.Tests.Addresses;

/// <summary>A generated city of 20,000 residents shared by a test class, with its register loaded into an address base.</summary>
public sealed class DemoCity : IAsyncLifetime
{
    public const int Residents = 20_000;
    public const long Seed = 20_211_001;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "citybrain-address-" + Guid.NewGuid().ToString("N"));

    public AddressBase AddressBase { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = Residents, Seed = Seed, OutputDirectory = Directory }, null, TestContext.Current.CancellationToken);
        using var register = new StreamReader(DemoCityAddressCorpus.RegisterPath(Directory));
        AddressBase = AddressBase.Hangzhou(register);
    }

    public ValueTask DisposeAsync()
    {
        System.IO.Directory.Delete(Directory, recursive: true);
        return ValueTask.CompletedTask;
    }
}

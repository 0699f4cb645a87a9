using System.Security.Cryptography;
using CityBrain.SyntheticCity.Generation;

namespace CityBrain.SyntheticCity.Tests.Generation;

public sealed class DeterminismTests : IDisposable
{
    private readonly List<string> _folders = [];

    private async Task<string> GenerateAsync(long seed, int parallelism)
    {
        var folder = TempFolder.Create();
        _folders.Add(folder);
        await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = 5_000, Seed = seed, OutputDirectory = folder, Parallelism = parallelism },
            null, TestContext.Current.CancellationToken);
        return folder;
    }

    private static SortedDictionary<string, string> Hashes(string folder) =>
        new(System.IO.Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f), f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f)))), StringComparer.Ordinal);

    [Fact]
    public async Task GenerateAsync_SameSeedTwice_EveryFileByteIdentical()
    {
        // Different thread counts on purpose: the output must not depend on scheduling.
        var first = Hashes(await GenerateAsync(42, parallelism: 1));
        var second = Hashes(await GenerateAsync(42, parallelism: 4));

        Assert.Equal(34, first.Count); // 33 CSV files and city.json
        Assert.Equal(first, second);
    }

    [Fact]
    public async Task GenerateAsync_DifferentSeed_DifferentPeople()
    {
        var first = Hashes(await GenerateAsync(42, parallelism: 2));
        var second = Hashes(await GenerateAsync(43, parallelism: 2));

        Assert.NotEqual(first[Path.Combine("truth", "residents.csv")], second[Path.Combine("truth", "residents.csv")]);
        Assert.NotEqual(first[Path.Combine("departments", "gaj", "rk.csv")], second[Path.Combine("departments", "gaj", "rk.csv")]);
        // Geography below street level is drawn from the seed too; the real divisions are not.
        Assert.NotEqual(first[Path.Combine("truth", "communities.csv")], second[Path.Combine("truth", "communities.csv")]);
        Assert.Equal(first[Path.Combine("truth", "divisions.csv")], second[Path.Combine("truth", "divisions.csv")]);
    }

    [Fact]
    public async Task GenerateAsync_Manifest_NamesEveryFileWithItsHashAndRows()
    {
        var folder = await GenerateAsync(42, parallelism: 2);
        using var manifest = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "city.json")));
        var files = manifest.RootElement.GetProperty("files");

        Assert.Equal(5_000, manifest.RootElement.GetProperty("residents").GetInt32());
        foreach (var file in files.EnumerateObject())
        {
            var path = Path.Combine(folder, file.Name);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))), file.Value.GetProperty("sha256").GetString());
            Assert.Equal(File.ReadLines(path).Count() - 1, file.Value.GetProperty("rows").GetInt64());
        }
        var bytes = File.ReadAllBytes(Path.Combine(folder, "truth", "residents.csv"));
        Assert.False(bytes.AsSpan().StartsWith("\uFEFF"u8), "no byte-order mark");
        Assert.DoesNotContain((byte)'\r', bytes);
    }

    public void Dispose()
    {
        foreach (var folder in _folders.Where(System.IO.Directory.Exists))
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }
}

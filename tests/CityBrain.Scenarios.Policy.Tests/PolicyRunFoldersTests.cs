using CityBrain.Host;
using CityBrain.Scenarios.Policy.Grants;
using Microsoft.Data.Sqlite;

namespace CityBrain.Scenarios.Policy.Tests;

/// <summary>Where a run keeps its reads of the lake, and how the leftovers of dead runs are found and removed.</summary>
public sealed class PolicyRunFoldersTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "citybrain-policy-folders-" + Guid.NewGuid().ToString("N")[..10]);

    [Fact]
    public void Create_InTheDataFolder_OwnerOnlyAndDeletedWithItsReadsOnDispose()
    {
        var folders = new PolicyRunFolders(_data, TimeProvider.System);

        string path;
        using (var run = folders.Create())
        {
            path = run.Path;
            File.WriteAllText(Path.Combine(path, "gaj.rk.parquet"), "reads");
            Assert.StartsWith(Path.Combine(Path.GetFullPath(_data), "policy-runs") + Path.DirectorySeparatorChar, path, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                const UnixFileMode ownerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
                Assert.Equal(ownerOnly, File.GetUnixFileMode(folders.Root));
                Assert.Equal(ownerOnly, File.GetUnixFileMode(path));
            }
        }

        Assert.False(Directory.Exists(path));
    }

    [Fact]
    public void RemoveLeftovers_ADeadRunsFolderBesideALiveOne_RemovesOnlyTheDeadOnes()
    {
        var folders = new PolicyRunFolders(_data, TimeProvider.System);
        using var live = folders.Create();
        File.WriteAllText(Path.Combine(live.Path, "gaj.rk.parquet"), "reads");
        // What a killed run leaves: its folder, its reads and its lock file, which no process holds any more.
        var dead = Path.Combine(folders.Root, "dead-run");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, "owner.lock"), "");
        File.WriteAllText(Path.Combine(dead, "gaj.rk.parquet"), "reads");

        // Another node object over the same data folder, as a second process would have.
        var removed = new PolicyRunFolders(_data, TimeProvider.System).RemoveLeftovers();

        Assert.Equal(1, removed);
        Assert.False(Directory.Exists(dead));
        Assert.True(File.Exists(Path.Combine(live.Path, "gaj.rk.parquet")));
    }

    [Fact]
    public void Create_WithADeadRunsFolderLeft_RemovesItFirst()
    {
        var folders = new PolicyRunFolders(_data, TimeProvider.System);
        var dead = Path.Combine(folders.Root, "dead-run");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, "owner.lock"), "");
        File.WriteAllText(Path.Combine(dead, "mzj.disability.parquet"), "reads");

        using var run = folders.Create();

        Assert.Equal([run.Path], Directory.GetDirectories(folders.Root));
    }

    [Fact]
    public async Task HostStart_ADeadRunsFolderLeft_RemovedBeforeServing()
    {
        var ct = TestContext.Current.CancellationToken;
        var dead = Path.Combine(new PolicyRunFolders(_data, TimeProvider.System).Root, "dead-run");
        Directory.CreateDirectory(dead);
        File.WriteAllText(Path.Combine(dead, "owner.lock"), "");
        File.WriteAllText(Path.Combine(dead, "gaj.rk.parquet"), "reads");

        await using (var app = CityBrainHost.Create(new HostSettings(_data, "sqlite:" + Path.Combine(_data, "citybrain.db"), "http://127.0.0.1:0")))
        {
            await CityBrainHost.PrepareAsync(app, ct);
            await app.StartAsync(ct);

            Assert.False(Directory.Exists(dead));
            await app.StopAsync(ct);
        }
        SqliteConnection.ClearAllPools();
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }
}

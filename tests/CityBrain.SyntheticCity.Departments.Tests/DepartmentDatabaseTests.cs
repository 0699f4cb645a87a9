using static CityBrain.SyntheticCity.Departments.Tests.FixtureCity;

namespace CityBrain.SyntheticCity.Departments.Tests;

/// <summary>Each department's database is loaded whole or not at all, and reused by later starts.</summary>
public sealed class DepartmentDatabaseTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "citybrain-deptdb-" + Guid.NewGuid().ToString("N")[..10]);

    private string City => Path.Combine(_root, "city");

    private string Data => Path.Combine(_root, "data");

    public ValueTask InitializeAsync()
    {
        Write(City);
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task StartAsync_SecondStart_ReusesDatabasesAndCredentialsWithoutReadingTheFiles()
    {
        string firstCredential;
        await using (var first = await DepartmentCluster.StartAsync(City, Data, CancellationToken.None))
        {
            firstCredential = first.Registry.Systems.Single(s => s.Unit == "gaj").Credentials!.Value!;
        }
        Assert.All(DepartmentCluster.Codes, code => Assert.True(File.Exists(Path.Combine(Data, "departments", code + ".db")), code));
        Directory.Delete(Path.Combine(City, "departments"), recursive: true);

        var loaded = new List<string>();
        await using var second = await DepartmentCluster.StartAsync(City, Data, new SynchronousProgress(loaded), CancellationToken.None);
        using var client = ClientFor(second, "gaj");
        var person = await client.GetStringAsync($"/api/v1/rk/{ResidentId(1)}");

        Assert.DoesNotContain(loaded, line => line.Contains("loaded", StringComparison.Ordinal));
        Assert.Equal(8, loaded.Count(line => line.Contains("answers on", StringComparison.Ordinal)));
        Assert.Equal(firstCredential, second.Registry.Systems.Single(s => s.Unit == "gaj").Credentials!.Value);
        Assert.Contains(Name(1), person, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_CityGeneratedAgain_ReloadsOnlyTheChangedDepartment()
    {
        await (await DepartmentCluster.StartAsync(City, Data, CancellationToken.None)).DisposeAsync();
        var rk = Path.Combine(City, "departments", "gaj", "rk.csv");
        await File.WriteAllTextAsync(rk, (await File.ReadAllTextAsync(rk)).Replace(Name(1), "钱多多", StringComparison.Ordinal));
        File.SetLastWriteTimeUtc(rk, DateTime.UtcNow.AddMinutes(1));

        var loaded = new List<string>();
        await using var second = await DepartmentCluster.StartAsync(City, Data, new SynchronousProgress(loaded), CancellationToken.None);
        using var client = ClientFor(second, "gaj");
        var person = await client.GetStringAsync($"/api/v1/rk/{ResidentId(1)}");

        Assert.Equal(["gaj: rk.csv loaded, 31 rows"], loaded.Where(line => line.Contains("loaded", StringComparison.Ordinal)));
        Assert.Contains("钱多多", person, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_FileWithABrokenRecord_FailsNamingFileAndLineAndLeavesNoDatabase()
    {
        // mzj loads dibao and disability first, then fails in deaths: nothing of mzj may be left usable.
        var deaths = Path.Combine(City, "departments", "mzj", "deaths.csv");
        var good = await File.ReadAllTextAsync(deaths);
        await File.AppendAllTextAsync(deaths, "330106199001011234,only-two-fields\n");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => DepartmentCluster.StartAsync(City, Data, CancellationToken.None));

        Assert.Contains("deaths.csv line 5", error.Message, StringComparison.Ordinal);
        Assert.Contains("2 fields where the header has 4", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Data, "departments", "mzj.db")));
        Assert.False(File.Exists(Path.Combine(Data, "departments", "mzj.db.loading")));

        await File.WriteAllTextAsync(deaths, good);
        await using var cluster = await DepartmentCluster.StartAsync(City, Data, CancellationToken.None);
        using var client = ClientFor(cluster, "mzj");
        Assert.Contains(ResidentId(20), await client.GetStringAsync("/api/v1/deaths"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_CancelledWhileLoading_LeavesNoHalfLoadedDatabaseAndTheNextStartLoads()
    {
        using var cancellation = new CancellationTokenSource();
        var cancelOnFirstFile = new CallbackProgress(_ => cancellation.Cancel());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DepartmentCluster.StartAsync(City, Data, cancelOnFirstFile, cancellation.Token));

        Assert.Empty(Directory.GetFiles(Path.Combine(Data, "departments"), "*.loading"));
        await using var cluster = await DepartmentCluster.StartAsync(City, Data, CancellationToken.None);
        using var client = ClientFor(cluster, "ybj");
        Assert.Contains(SettlementId(Settlements - 1), await client.GetStringAsync($"/ybj/api/setl?size=500"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_HeaderNotAsContracted_FailsQuotingTheContract()
    {
        var qy = Path.Combine(City, "departments", "scjgj", "qy.csv");
        var lines = await File.ReadAllLinesAsync(qy);
        lines[0] = lines[0].Replace("entname", "ENTNAME", StringComparison.Ordinal);
        await File.WriteAllLinesAsync(qy, lines);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => DepartmentCluster.StartAsync(City, Data, CancellationToken.None));

        Assert.Contains("qy.csv", error.Message, StringComparison.Ordinal);
        Assert.Contains("uniscid,entname,industryco", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Data, "departments", "scjgj.db")));
    }

    [Fact]
    public async Task StartAsync_DepartmentFileMissing_FailsNamingIt()
    {
        File.Delete(Path.Combine(City, "departments", "ybj", "setl.csv"));

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => DepartmentCluster.StartAsync(City, Data, CancellationToken.None));

        Assert.Contains("setl.csv", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Data, "departments", "ybj.db")));
    }

    private static HttpClient ClientFor(DepartmentCluster cluster, string department)
    {
        var client = new HttpClient { BaseAddress = cluster.BaseUrls[department] };
        var credentials = cluster.Registry.Systems.Single(s => s.Unit == department).Credentials!;
        client.DefaultRequestHeaders.TryAddWithoutValidation(credentials.Header!, credentials.Value);
        return client;
    }

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
        return ValueTask.CompletedTask;
    }

    private sealed class CallbackProgress(Action<string> report) : IProgress<string>
    {
        public void Report(string value) => report(value);
    }

    /// <summary>Progress<T> posts to the thread pool; the test wants every report before StartAsync returns.</summary>
    private sealed class SynchronousProgress(List<string> lines) : IProgress<string>
    {
        public void Report(string value)
        {
            lock (lines)
            {
                lines.Add(value);
            }
        }
    }
}

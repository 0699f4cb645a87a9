using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using CityBrain.Kernel.Identifiers;
using CityBrain.SyntheticCity.Departments.Gaj;
using CityBrain.SyntheticCity.Departments.Hosting;
using Microsoft.AspNetCore.Builder;

namespace CityBrain.Benchmarks.Departments;

/// <summary>
/// The police department system at city scale: loading its population file into its database (first start), and a
/// person lookup over HTTP as the hub makes it. See docs/benchmarks.md.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class DepartmentBenchmarks
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "citybrain-bench-dept-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    private readonly PublicSecurityBureau _gaj = new();
    private WebApplication _app = null!;
    private HttpClient _client = null!;
    private string[] _ids = [];
    private int _next;

    [Params(100_000)]
    public int Residents { get; set; }

    private string Source => Path.Combine(_root, "city", "departments", "gaj");

    private string Database => Path.Combine(_root, "data", "gaj.db");

    [GlobalSetup]
    public async Task SetupAsync()
    {
        Directory.CreateDirectory(Source);
        Directory.CreateDirectory(Path.GetDirectoryName(Database)!);
        _ids = new string[Residents];
        var csv = new StringBuilder("SFZH,XM,XB,CSRQ,MZ,HH,YHZGX,HKXZ,HJQH,JZDZ,LXDH,SWBZ,SWRQ,QCRQ,QWQH\n");
        for (var i = 0; i < Residents; i++)
        {
            var first17 = string.Create(CultureInfo.InvariantCulture, $"330106{1940 + i % 80:D4}{1 + i % 12:D2}{1 + i % 28:D2}{i % 1000:D3}");
            _ids[i] = first17 + ResidentId.ComputeCheckCharacter(first17);
            csv.Append(CultureInfo.InvariantCulture, $"{_ids[i]},张{i % 97},{1 + i % 2},{1940 + i % 80:D4}-{1 + i % 12:D2}-{1 + i % 28:D2},汉族,H{i / 3:D8},户主,local,330106,浙江省杭州市西湖区文新街道文一西路{i % 500}号,138{i:D8},0,,,\n");
        }
        await File.WriteAllTextAsync(Path.Combine(Source, "rk.csv"), csv.ToString());

        var database = await DepartmentDatabase.OpenOrLoadAsync(Source, Database, _gaj.Tables, null, CancellationToken.None);
        var credential = new DepartmentCredential("X-Api-Key", "benchmark");
        (_app, var baseUrl) = await DepartmentServer.StartAsync(_gaj, database, credential, CancellationToken.None);
        _client = new HttpClient { BaseAddress = baseUrl };
        _client.DefaultRequestHeaders.Add(credential.Header, credential.Value);
    }

    /// <summary>First start: the whole population file into a fresh database (temporary file, one transaction, rename).</summary>
    [Benchmark]
    public async Task LoadPopulation()
    {
        var path = Path.Combine(_root, "data", "load.db");
        File.Delete(path);
        await DepartmentDatabase.OpenOrLoadAsync(Source, path, _gaj.Tables, null, CancellationToken.None);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>One person by resident ID over loopback HTTP, credentials checked, as the hub's gateway asks it.</summary>
    [Benchmark(OperationsPerInvoke = 100)]
    public async Task PersonLookup()
    {
        for (var i = 0; i < 100; i++)
        {
            var id = _ids[_next++ % _ids.Length];
            using var response = await _client.GetAsync("/api/v1/rk/" + id);
            response.EnsureSuccessStatusCode();
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }
}

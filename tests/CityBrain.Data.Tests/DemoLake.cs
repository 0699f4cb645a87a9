using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityBrain.Host;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.SyntheticCity.Departments;
using CityBrain.SyntheticCity.Generation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data.Tests;

/// <summary>
/// A generated 3,000-resident city, its eight department systems, and the real host (hub + lake) on loopback with
/// SQLite; the departments' registry applied and every dataset ingested through the hub once.
/// </summary>
public sealed class DemoLake : IAsyncLifetime
{
    public const int Residents = 3_000;

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "citybrain-lake-" + Guid.NewGuid().ToString("N")[..10]);

    public string CityDirectory => Path.Combine(Root, "city");

    public string DataDirectory => Path.Combine(Root, "data");

    public DepartmentCluster Departments { get; private set; } = null!;

    public WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public IngestionSummary Ingested { get; private set; } = null!;

    public JsonObject CityJson { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = Residents, Seed = 11, OutputDirectory = CityDirectory }, null, CancellationToken.None);
        CityJson = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(CityDirectory, "city.json")))!.AsObject();
        Departments = await DepartmentCluster.StartAsync(CityDirectory, DataDirectory, null, CancellationToken.None);
        App = CityBrainHost.Create(new HostSettings(DataDirectory, "sqlite:" + Path.Combine(DataDirectory, "citybrain.db"), "http://127.0.0.1:0"));
        await CityBrainHost.PrepareAsync(App, CancellationToken.None);
        await App.StartAsync();
        BaseAddress = new Uri(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        await Registry.ApplyAsync(Departments.Registry, Admin, CancellationToken.None);
        Ingested = await DataBootstrap.IngestDemoCityAsync(App.Services, BaseAddress, incremental: false, progress: null, CancellationToken.None);
    }

    public static Caller Admin { get; } = new("admin", HubRoles.Admin, "dsj", null, null);

    public IRegistryAdmin Registry => App.Services.GetRequiredService<IRegistryAdmin>();

    /// <summary>Records in a department file, as the generator counted them.</summary>
    public long FileRows(string dataset)
    {
        var (department, file) = (dataset.Split('.')[0], dataset.Split('.')[1]);
        return (long)CityJson["files"]![$"departments/{department}/{file}.csv"]!["rows"]!;
    }

    public HttpClient Client(Caller? caller)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (caller is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", App.Services.GetRequiredService<TokenService>().Issue(caller, TimeSpan.FromHours(1)));
        }
        return client;
    }

    /// <summary>Registers a consumer system and gives it a grant on a dataset, decided by the owning unit: clear and masked fields.</summary>
    public async Task<HttpClient> ConsumerWithGrantAsync(string system, string purpose, params (string Dataset, string[] Clear, string[] Masked)[] grants)
    {
        await Registry.ApplyAsync(new RegistryManifest { Systems = [new SystemSpec { Code = system, Unit = "dsj", Name = system, BaseUrl = "http://127.0.0.1:9" }] }, Admin, CancellationToken.None);
        using var dsj = Client(new Caller("operator@dsj", HubRoles.UnitOperator, "dsj", null, null));
        foreach (var (dataset, clear, masked) in grants)
        {
            using var filed = await dsj.PostAsJsonAsync("/api/hub/requests", new
            {
                consumer = system, resource = "dataset:" + dataset, fields = clear.Concat(masked).ToArray(), purpose, legalBasis = "《浙江省公共数据条例》", days = 30,
            });
            var request = (await filed.Content.ReadFromJsonAsync<JsonObject>())!;
            Assert.True(filed.IsSuccessStatusCode, request.ToJsonString());
            if ((string)request["status"]! == "granted")
            {
                continue;
            }
            var owner = dataset.Split('.')[0];
            using var bureau = Client(new Caller($"operator@{owner}", HubRoles.UnitOperator, owner, null, null));
            using var decided = await bureau.PostAsJsonAsync($"/api/hub/requests/{request["id"]}/decision", new { approve = true, fields = clear, maskedFields = masked, days = 30, reason = "test" });
            Assert.True(decided.IsSuccessStatusCode, await decided.Content.ReadAsStringAsync());
        }
        var consumer = Client(new Caller(system, HubRoles.System, "dsj", system, null));
        consumer.DefaultRequestHeaders.Add("X-Purpose", purpose);
        return consumer;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Departments.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleaner.
        }
    }
}

[CollectionDefinition(Name)]
public sealed class DemoLakeCollection : ICollectionFixture<DemoLake>
{
    public const string Name = "demo lake";
}

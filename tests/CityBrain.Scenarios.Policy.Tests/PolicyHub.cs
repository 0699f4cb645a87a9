using System.Net.Http.Headers;
using System.Text.Json;
using CityBrain.Host;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Grants;
using CityBrain.Scenarios.Policy.Matching;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Scenarios.Policy.Tests;

/// <summary>One audit record as the chain holds it.</summary>
internal sealed record AuditRow(string Action, string Actor, string? Resource, string? Purpose, IReadOnlyDictionary<string, string?> Detail);

/// <summary>
/// The real host (hub and lake) started on loopback over a test store, with the departments' datasets in the hub's catalog
/// and in the lake, so that a policy's grants are filed and approved through the hub's sharing API exactly as `serve` does
/// for the demo city, and a run reads the lake under them.
/// </summary>
internal sealed class PolicyHub : IAsyncDisposable
{
    /// <summary>The department units that own the datasets a run reads, and kjj (the issuer of tech-rd-subsidy), which has no data of its own.</summary>
    private static readonly string[] Units = ["gaj", "mzj", "rsj", "scjgj", "swj", "wjw", "ybj", "kjj"];

    private PolicyHub(WebApplication app, Uri baseAddress)
    {
        App = app;
        BaseAddress = baseAddress;
    }

    public WebApplication App { get; }

    public Uri BaseAddress { get; }

    public IOperationalStore Store => App.Services.GetRequiredService<IOperationalStore>();

    /// <summary>What a run needs to reach the hub: the grants it must hold and the audit chain it writes to.</summary>
    public PolicyAccess Access => AccessOf(App.Services);

    /// <summary>
    /// Starts the host on <paramref name="store"/> (a store connection as `--store` takes it) with the catalog in place and,
    /// unless <paramref name="ingested"/> is false, the city's department datasets in the lake; no grants yet.
    /// <paramref name="bank"/>: the bank the node checks accounts with and pays confirmations through.
    /// </summary>
    public static async Task<PolicyHub> StartAsync(string dataDirectory, string store, CancellationToken cancellationToken, Uri? bank = null, bool ingested = true)
    {
        var app = CityBrainHost.Create(new HostSettings(dataDirectory, store, "http://127.0.0.1:0"), builder =>
        {
            if (bank is not null)
            {
                builder.Configuration["Policy:BankUrl"] = bank.ToString();
            }
        });
        await CityBrainHost.PrepareAsync(app, cancellationToken);
        await app.StartAsync(cancellationToken);
        var hub = new PolicyHub(app, new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()));
        var city = Path.Combine(dataDirectory, "city");
        await CatalogAsync(app.Services, city, cancellationToken);
        if (ingested)
        {
            await IngestAsync(app.Services, hub.BaseAddress, city, cancellationToken);
        }
        return hub;
    }

    /// <summary>The departments' units and the datasets a run reads, registered in the hub's catalog with the fields of their files.</summary>
    public static Task CatalogAsync(IServiceProvider services, string cityDirectory, CancellationToken cancellationToken) =>
        services.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest
        {
            Units = [.. Units.Select(u => new UnitSpec { Code = u, Name = u, DivisionCode = "330100" })],
            Datasets = [.. ProfileBuilder.Datasets.Select(d => new DatasetSpec
            {
                Code = d, Unit = d.Split('.')[0], Name = d, UpdateFrequency = "daily", Sharing = "conditional",
                Fields = [.. File.ReadLines(DepartmentFile(cityDirectory, d)).First().Split(',').Select(f => new FieldSpec { Name = f, Level = "personal" })],
            })],
        }, new Caller("admin", HubRoles.Admin, "dsj", null, null), cancellationToken);

    /// <summary>
    /// Each department uploads its file of the city into the lake (POST /api/data/uploads/{code}, as the owning unit's
    /// operator): the lake then holds what the departments' systems hold, as `serve` pulls it through the hub.
    /// </summary>
    public static async Task IngestAsync(IServiceProvider services, Uri baseAddress, string cityDirectory, CancellationToken cancellationToken)
    {
        var tokens = services.GetRequiredService<TokenService>();
        foreach (var dataset in ProfileBuilder.Datasets)
        {
            var unit = dataset.Split('.')[0];
            using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(2) };
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
                tokens.Issue(new Caller($"operator@{unit}", HubRoles.UnitOperator, unit, null, null), TimeSpan.FromMinutes(10)));
            await using var file = File.OpenRead(DepartmentFile(cityDirectory, dataset));
            using var uploaded = await client.PostAsync($"/api/data/uploads/{dataset}?format=csv", new StreamContent(file), cancellationToken);
            if (!uploaded.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"uploading {dataset} failed: {await uploaded.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
    }

    private static string DepartmentFile(string cityDirectory, string dataset) =>
        Path.Combine(cityDirectory, "departments", dataset.Split('.')[0], dataset.Split('.')[1] + ".csv");

    /// <summary>The run's way to the hub in <paramref name="services"/>: the grants it must hold and the lake's governed reads.</summary>
    public static PolicyAccess AccessOf(IServiceProvider services) =>
        new(services.GetRequiredService<IGrantLookup>(), services.GetRequiredService<IDatasetExtracts>(), services.GetRequiredService<PolicyRunFolders>(), TimeProvider.System);

    /// <summary>Every shipped policy's requests filed and approved by the owning units, as `serve` does; answers the grants made.</summary>
    public Task<int> GrantAllAsync(CancellationToken cancellationToken) => PolicyGrants.RequestDemoGrantsAsync(App.Services, BaseAddress, cancellationToken);

    /// <summary>A client of this host holding a token for <paramref name="caller"/>.</summary>
    public HttpClient Client(Caller caller)
    {
        var client = new HttpClient { BaseAddress = BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            App.Services.GetRequiredService<TokenService>().Issue(caller, TimeSpan.FromHours(1)));
        return client;
    }

    /// <summary>The audit chain's records, oldest first.</summary>
    public async Task<IReadOnlyList<AuditRow>> AuditAsync(CancellationToken cancellationToken)
    {
        await using var connection = await Store.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT action, actor, resource, purpose, detail FROM hub_audit ORDER BY seq";
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<AuditRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var detail = reader.IsDBNull(4) ? new Dictionary<string, string?>() : JsonSerializer.Deserialize<Dictionary<string, string?>>(reader.GetString(4))!;
            rows.Add(new AuditRow(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), detail));
        }
        return rows;
    }

    /// <summary>What `citybrain audit verify` checks: the whole chain and its signed checkpoints.</summary>
    public Task<AuditVerification> VerifyAuditAsync(CancellationToken cancellationToken) =>
        AuditVerifier.VerifyAsync(Store, App.Services.GetRequiredService<HubKeyring>(), null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

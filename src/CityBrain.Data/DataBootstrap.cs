using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using CityBrain.Data.Ingestion;
using CityBrain.Data.Quality;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Hub.Sharing;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data;

/// <summary>What the demo ingestion did, dataset by dataset.</summary>
public sealed record IngestionSummary(IReadOnlyList<DatasetIngestion> Datasets);

/// <summary>One dataset's pull: the version made and its row count.</summary>
public sealed record DatasetIngestion(string Dataset, long Version, long RowCount, long AddedRows, string Mode);

/// <summary>
/// The data bureau's lake as a consumer of the hub: it registers its system (<see cref="LakeSystem"/>), files sharing
/// requests for every mapped interface, and pulls through <c>/hub/call</c> like any other system.
/// </summary>
public static class DataBootstrap
{
    public const string LakeSystem = "dsj-lake";
    public const string Purpose = "data-lake-ingestion";
    private const string LegalBasis = "《浙江省公共数据条例》第十七条 公共数据归集";

    /// <summary>
    /// For the demo city, after the departments' registry is applied: registers the lake system, has each owning unit
    /// approve its requests (as that unit's operator, through the hub's sharing API), then pulls every dataset.
    /// </summary>
    public static async Task<IngestionSummary> IngestDemoCityAsync(IServiceProvider services, Uri hubAddress, bool incremental,
        IProgress<DatasetIngestion>? progress, CancellationToken cancellationToken)
    {
        var access = await ConnectAsync(services, hubAddress, cancellationToken);
        await RequestGrantsAsync(services, hubAddress, approveAsOwners: true, cancellationToken);
        var ingestion = services.GetRequiredService<HubIngestion>();
        var results = new List<DatasetIngestion>();
        foreach (var mapping in ingestion.Mappings)
        {
            var pulled = await ingestion.PullAsync(access, mapping, incremental, null, cancellationToken);
            var landed = new DatasetIngestion(pulled.Dataset, pulled.Version, pulled.RowCount, pulled.AddedRows, pulled.Mode);
            results.Add(landed);
            progress?.Report(landed);
        }
        return new IngestionSummary(results);
    }

    /// <summary>
    /// One quality run over every dataset in the lake, as the data bureau would start it: the catalog then shows each
    /// dataset's score, and each problem found goes to its owning unit as a rectification task.
    /// </summary>
    public static Task<QualityRun> RunQualityAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<QualityService>().RunAsync(null, null, cancellationToken);

    /// <summary>Registers the lake's system (once) and returns a client that calls the gateway as that system.</summary>
    internal static async Task<HubSourceAccess> ConnectAsync(IServiceProvider services, Uri hubAddress, CancellationToken cancellationToken)
    {
        var registry = services.GetRequiredService<IRegistryReader>();
        if (await registry.FindSystemAsync(LakeSystem, cancellationToken) is null)
        {
            await services.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest
            {
                Systems = [new SystemSpec { Code = LakeSystem, Unit = "dsj", Name = "数据资源管理局 数据湖 (归集)", BaseUrl = hubAddress.ToString() }],
            }, new Caller("data-lake", HubRoles.Admin, "dsj", null, null), cancellationToken);
        }
        // The lake runs in the hub's node: it is issued its system token directly instead of logging in with a stored secret.
        var token = services.GetRequiredService<TokenService>().Issue(new Caller(LakeSystem, HubRoles.System, "dsj", LakeSystem, null), TimeSpan.FromHours(12));
        var client = new HttpClient { BaseAddress = hubAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        client.DefaultRequestHeaders.Add("X-Purpose", Purpose);
        var access = new HubSourceAccess(client, LakeSystem, Purpose);
        services.GetRequiredService<HubIngestion>().Access = access;
        return access;
    }

    /// <summary>Files a request for every mapped interface the lake has no grant for; optionally approves as the owning unit.</summary>
    internal static async Task RequestGrantsAsync(IServiceProvider services, Uri hubAddress, bool approveAsOwners, CancellationToken cancellationToken)
    {
        var registry = services.GetRequiredService<IRegistryReader>();
        var grants = services.GetRequiredService<IGrantLookup>();
        var tokens = services.GetRequiredService<TokenService>();
        var time = services.GetRequiredService<TimeProvider>();
        using var dsj = Client(hubAddress, tokens, new Caller("operator@dsj", HubRoles.UnitOperator, "dsj", null, null));
        foreach (var mapping in services.GetRequiredService<HubIngestion>().Mappings)
        {
            if (await grants.FindActiveAsync(LakeSystem, mapping.Resource, time.GetUtcNow(), cancellationToken) is not null)
            {
                continue;
            }
            var api = await registry.FindInterfaceAsync(mapping.System, mapping.Interface, cancellationToken)
                ?? throw new InvalidOperationException($"interface {mapping.Resource} is not registered; apply the departments' registry first");
            using var filed = await dsj.PostAsJsonAsync("/api/hub/requests", new
            {
                consumer = LakeSystem,
                resource = mapping.Resource,
                fields = api.Fields.Select(f => f.Name).ToArray(),
                purpose = Purpose,
                legalBasis = LegalBasis,
                days = 365,
            }, cancellationToken);
            var request = await filed.Content.ReadFromJsonAsync<JsonObject>(cancellationToken);
            if (!filed.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"filing a request for {mapping.Resource} failed: {request?.ToJsonString()}");
            }
            if ((string?)request!["status"] == "granted" || !approveAsOwners)
            {
                continue;
            }
            var owner = (await registry.FindSystemAsync(mapping.System, cancellationToken))!.Unit;
            using var bureau = Client(hubAddress, tokens, new Caller($"operator@{owner}", HubRoles.UnitOperator, owner, null, null));
            using var decided = await bureau.PostAsJsonAsync($"/api/hub/requests/{request["id"]}/decision", new
            {
                approve = true,
                fields = api.Fields.Select(f => f.Name).ToArray(),
                days = 365,
                reason = "公共数据归集 (data lake)",
            }, cancellationToken);
            if (!decided.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"approving {mapping.Resource} failed: {await decided.Content.ReadAsStringAsync(cancellationToken)}");
            }
        }
    }

    private static HttpClient Client(Uri hubAddress, TokenService tokens, Caller caller)
    {
        var client = new HttpClient { BaseAddress = hubAddress, Timeout = TimeSpan.FromMinutes(1) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens.Issue(caller, TimeSpan.FromMinutes(30)));
        return client;
    }
}

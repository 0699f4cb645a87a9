using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Hub.Sharing;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Rules;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Scenarios.Policy.Grants;

/// <summary>One dataset a policy needs, and where its sharing request stands: granted, requested (the request's id), or why not requested.</summary>
internal sealed record NeedState(string Dataset, string Resource, bool Granted, string? RequestId, string? RequestStatus, string? Problem);

/// <summary>
/// Policy direct-reach as an ordinary hub consumer: the issuing unit's policy system (<c>&lt;issuer&gt;-policy</c>) files a
/// sharing request for every dataset a policy needs (<see cref="PolicyDefinition.Needs"/>), through the hub's sharing API
/// like any consumer, for the purpose <see cref="Purpose"/>; the owning units decide them as they decide any request.
/// </summary>
public static class PolicyGrants
{
    public const string Purpose = "policy-direct-reach";
    private const int Days = 365;

    internal static string SystemOf(PolicyDefinition policy) => policy.Issuer + "-policy";

    /// <summary>
    /// The demo city, after the departments' datasets are in the catalog: every shipped policy's requests filed, and each
    /// approved by its owning unit's operator through the hub's sharing API. Answers the number of grants made.
    /// </summary>
    public static async Task<int> RequestDemoGrantsAsync(IServiceProvider services, Uri hubAddress, CancellationToken cancellationToken)
    {
        var tokens = services.GetRequiredService<TokenService>();
        var approved = 0;
        foreach (var policy in PolicyLoader.Shipped())
        {
            var issuer = new Caller($"operator@{policy.Issuer}", HubRoles.UnitOperator, policy.Issuer, null, null);
            foreach (var need in await RequestAsync(services, hubAddress, tokens.Issue(issuer, TimeSpan.FromMinutes(30)), policy, cancellationToken))
            {
                if (need is not { Granted: false, RequestId: { } requestId })
                {
                    continue;
                }
                var dataset = (await services.GetRequiredService<IRegistryReader>().FindDatasetAsync(need.Dataset, cancellationToken))!;
                using var owner = Client(hubAddress, tokens.Issue(new Caller($"operator@{dataset.Unit}", HubRoles.UnitOperator, dataset.Unit, null, null), TimeSpan.FromMinutes(30)));
                using var decided = await owner.PostAsJsonAsync($"/api/hub/requests/{requestId}/decision",
                    new { approve = true, days = Days, reason = $"政策直达 {policy.Name}" }, cancellationToken);
                approved += decided.IsSuccessStatusCode ? 1 : 0;
            }
        }
        return approved;
    }

    /// <summary>
    /// Files a request for every need of <paramref name="policy"/> that has no active grant and no open request, with the
    /// bearer token of the caller (the issuing unit's operator or the data bureau); registers the policy system first.
    /// </summary>
    internal static async Task<IReadOnlyList<NeedState>> RequestAsync(IServiceProvider services, Uri hubAddress, string bearerToken, PolicyDefinition policy,
        CancellationToken cancellationToken)
    {
        var registry = services.GetRequiredService<IRegistryReader>();
        var system = SystemOf(policy);
        if (await registry.FindUnitAsync(policy.Issuer, cancellationToken) is null)
        {
            var unregistered = $"the issuing unit '{policy.Issuer}' is not registered in the hub: the data bureau registers it first";
            return [.. (await StateAsync(services, policy, cancellationToken)).Select(s => s.Granted ? s : s with { Problem = unregistered })];
        }
        if (await registry.FindSystemAsync(system, cancellationToken) is null)
        {
            // The scenario runs in the hub's node: it registers its own consumer system, as the data lake does.
            await services.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest
            {
                Systems = [new SystemSpec { Code = system, Unit = policy.Issuer, Name = "政策直达 (policy direct-reach)", BaseUrl = hubAddress.ToString() }],
            }, new Caller("policy-direct-reach", HubRoles.Admin, "dsj", null, null), cancellationToken);
        }
        using var client = Client(hubAddress, bearerToken);
        var open = (await client.GetFromJsonAsync<List<SharingRequest>>("/api/hub/requests", Json, cancellationToken))!
            .Where(r => r.Consumer == system && r.Status is RequestStatus.Pending or RequestStatus.Escalated)
            .ToDictionary(r => r.Resource, StringComparer.Ordinal);
        var states = new List<NeedState>();
        foreach (var state in await StateAsync(services, policy, cancellationToken))
        {
            if (state.Granted)
            {
                states.Add(state);
                continue;
            }
            if (open.TryGetValue(state.Resource, out var pending))
            {
                states.Add(state with { RequestId = pending.Id, RequestStatus = pending.Status });
                continue;
            }
            var dataset = await registry.FindDatasetAsync(state.Dataset, cancellationToken);
            if (dataset is null)
            {
                states.Add(state with { Problem = $"{state.Dataset} is not in the catalog yet: the data bureau ingests it first" });
                continue;
            }
            var undeclared = ProfileBuilder.Fields[state.Dataset].Where(f => !dataset.Fields.Any(d => d.Name == f)).ToList();
            if (undeclared.Count > 0)
            {
                states.Add(state with { Problem = $"{state.Dataset} in the catalog has no field {string.Join(", ", undeclared)}, which the profiles read" });
                continue;
            }
            using var filed = await client.PostAsJsonAsync("/api/hub/requests", new
            {
                consumer = system,
                resource = state.Resource,
                // The fields the profiles read from it, no more (data minimisation): the owner grants them in clear or refuses.
                fields = ProfileBuilder.Fields[state.Dataset].ToArray(),
                purpose = Purpose,
                legalBasis = policy.Basis ?? policy.Name,
                days = Days,
            }, cancellationToken);
            if (!filed.IsSuccessStatusCode)
            {
                states.Add(state with { Problem = $"the hub refused the request: {await filed.Content.ReadAsStringAsync(cancellationToken)}" });
                continue;
            }
            var request = (await filed.Content.ReadFromJsonAsync<SharingRequest>(Json, cancellationToken))!;
            states.Add(state with { Granted = request.Status == RequestStatus.Granted, RequestId = request.Id, RequestStatus = request.Status });
        }
        return states;
    }

    /// <summary>Each need of the policy and whether the policy system holds an active grant for it now.</summary>
    internal static async Task<IReadOnlyList<NeedState>> StateAsync(IServiceProvider services, PolicyDefinition policy, CancellationToken cancellationToken)
    {
        var found = await FindGrantsAsync(services.GetRequiredService<IGrantLookup>(), services.GetRequiredService<TimeProvider>().GetUtcNow(), policy, cancellationToken);
        return [.. found.Select(f => new NeedState(f.Dataset, "dataset:" + f.Dataset, f.Grant is not null, f.Grant?.RequestId, f.Grant is null ? null : RequestStatus.Granted, null))];
    }

    /// <summary>Each need of the policy and the policy system's grant in force for it now, if any: what the list shows and what a run requires.</summary>
    internal static async Task<IReadOnlyList<(string Dataset, Grant? Grant)>> FindGrantsAsync(IGrantLookup grants, DateTimeOffset now, PolicyDefinition policy,
        CancellationToken cancellationToken)
    {
        var found = new List<(string Dataset, Grant? Grant)>();
        foreach (var dataset in policy.Needs)
        {
            found.Add((dataset, await grants.FindActiveAsync(SystemOf(policy), "dataset:" + dataset, now, cancellationToken)));
        }
        return found;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private static HttpClient Client(Uri hubAddress, string bearerToken)
    {
        var client = new HttpClient { BaseAddress = hubAddress, Timeout = TimeSpan.FromMinutes(1) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        return client;
    }
}

using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Messaging.Contracts;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Appeals;
using CityBrain.Scenarios.Policy.Citizen;
using CityBrain.Scenarios.Policy.Enterprise;
using CityBrain.Scenarios.Policy.Grants;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;
using DuckDB.NET.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Scenarios.Policy;

/// <summary>Registers policy direct-reach in the host: its tables and its endpoints (docs/policy.md).</summary>
public static class PolicyModule
{
    /// <summary>The scenario's code on the cockpit's evaluation page; each citizen's explanation reports a use under it.</summary>
    public const string ScenarioCode = "policy";

    /// <param name="cityDirectory">The city whose departments' datasets the profiles are built from (DATA/city for the demo).</param>
    /// <param name="dataDirectory">The node's data folder: a run keeps its reads of the lake in DATA/policy-runs while it matches.</param>
    public static IServiceCollection AddPolicy(this IServiceCollection services, string cityDirectory, string dataDirectory)
    {
        services.AddSingleton(sp => new PolicyRunFolders(dataDirectory, sp.GetRequiredService<TimeProvider>()));
        services.AddHostedService<PolicyRunLeftoversSweep>(); // what runs killed since the last start left behind
        services.AddSingleton<IMigrationSet, PolicyMigrations>();
        services.AddSingleton(new PolicyProfiles(cityDirectory));
        services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.Section);
        services.AddSingleton<PolicyBank>();
        services.AddSingleton<CitizenPolicies>();
        services.AddSingleton<EnterprisePolicies>();
        services.AddSingleton<Hub.Audit.IDataUseRecords, PolicyDataUses>(); // the citizen's data tracker lists the decisions about him or her
        services.AddEventBus(); // a disputed field of an appeal is published as PolicyDataDisputed
        return services;
    }

    /// <summary>Maps <c>/api/policy</c> (staff) and <c>/api/my/policies</c> (the citizen portal's "why I get it / why not" and appeals).</summary>
    public static RouteGroupBuilder MapPolicy(this IEndpointRouteBuilder routes)
    {
        var policy = routes.MapGroup("/api/policy").RequireAuthorization().WithTags("Policy direct-reach");
        policy.MapGet("/policies", List).WithSummary("The policies in force: target, period, budget, the data each needs and whether it is granted, paid so far");
        policy.MapPost("/policies/{id}/requests", RequestGrants)
            .WithSummary("The issuing unit files a hub sharing request for every dataset the policy needs and is not granted yet");
        routes.MapGet("/api/my/policies/{id}", Why).RequireAuthorization().WithTags("Citizen")
            .WithSummary("Why the calling citizen gets a policy's money for a period, or why not: each condition with the values used");
        AppealsApi.Map(routes, policy);
        CitizenApi.Map(routes);
        EnterpriseApi.Map(routes);
        return policy;
    }

    /// <summary>The citizen portal's page and its menu link, for the host to hand to the cockpit shell.</summary>
    public static IReadOnlyList<(string Href, string Title)> CitizenPageLinks { get; } = [("/portal/policies", "我的政策 My policies")];

    /// <summary>The enterprise's page (亲清在线) and its menu link, for the host to hand to the cockpit shell.</summary>
    public static IReadOnlyList<(string Href, string Title)> EnterprisePageLinks { get; } = [("/portal/enterprise", "企业政策 Enterprise policies")];

    internal sealed record PolicyView(string Id, string Name, string Issuer, string Targets, string Period, DateOnly EffectiveFrom, DateOnly EffectiveTo,
        decimal Budget, decimal Paid, IReadOnlyList<string> Needs, IReadOnlyList<NeedState> Grants, bool Granted, IReadOnlyList<string> Eligible, string Amount);

    private static async Task<Ok<List<PolicyView>>> List(HttpContext context, IOperationalStore store, CancellationToken cancellationToken)
    {
        if (Caller.From(context.User).Role is HubRoles.Citizen or HubRoles.System or HubRoles.Enterprise)
        {
            throw new ForbiddenException("the policy list is for staff; citizens use /api/my/policies/{id}");
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var views = new List<PolicyView>();
        foreach (var p in PolicyLoader.Shipped())
        {
            var paid = await Db.ScalarAsync(connection, null, "SELECT SUM(amount_cents) FROM policy_payouts WHERE policy = @policy AND status = 'paid'", cancellationToken, ("policy", p.Id));
            var grants = await PolicyGrants.StateAsync(context.RequestServices, p, cancellationToken);
            views.Add(new PolicyView(p.Id, p.Name, p.Issuer, p.Target.ToString().ToLowerInvariant(), p.Period.ToString().ToLowerInvariant(), p.EffectiveFrom, p.EffectiveTo,
                p.Budget, paid / 100m, p.Needs, grants, grants.All(g => g.Granted), p.Eligible.Select(c => c.Text).ToList(), p.AmountText));
        }
        return TypedResults.Ok(views);
    }

    private static async Task<Ok<IReadOnlyList<NeedState>>> RequestGrants(string id, HttpContext context, TokenService tokens, CancellationToken cancellationToken)
    {
        var policy = PolicyCli.Find(id);
        var caller = Caller.From(context.User);
        if (!caller.IsAdmin && !(caller.Role == HubRoles.UnitOperator && caller.Unit == policy.Issuer))
        {
            throw new ForbiddenException($"the requests of policy {id} are filed by its issuing unit ({policy.Issuer}) or the data bureau");
        }
        // The hub is this node: the requests go through its sharing API as the caller, as any consumer's do.
        var hub = new Uri($"{context.Request.Scheme}://{context.Request.Host}");
        return TypedResults.Ok(await PolicyGrants.RequestAsync(context.RequestServices, hub, tokens.Issue(caller, TimeSpan.FromMinutes(5)), policy, cancellationToken));
    }

    private static async Task<Ok<Explanation>> Why(string id, string? period, HttpContext context, PolicyProfiles profiles, IEventPublisher events, HubKeyring keyring, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        if (caller.Role != HubRoles.Citizen || caller.ResidentId is null)
        {
            throw new ForbiddenException("this answers a citizen about his or her own entitlement; sign in as a citizen");
        }
        var policy = PolicyCli.Find(id);
        if (policy.Target != Target.Residents)
        {
            throw new ValidationFailedException("id", $"policy {id} is for enterprises, not residents");
        }
        if (string.IsNullOrWhiteSpace(period))
        {
            throw new ValidationFailedException("period", "name the period: yyyy-MM for monthly policies, yyyy for yearly ones, once for one-off ones");
        }
        var judgedOn = policy.ReferenceDate(period);
        var explanation = await profiles.UseAsync(judgedOn, connection => PolicyMatcher.ExplainAsync(connection, policy, caller.ResidentId, judgedOn, cancellationToken), cancellationToken)
            ?? throw new NotFoundException("the city's records hold no resident with your ID");
        await events.PublishAsync(new ScenarioUsed(ScenarioCode, keyring.UserKey(caller), time.GetUtcNow()), cancellationToken); // the cockpit counts the citizen's use
        return TypedResults.Ok(explanation);
    }
}

/// <summary>
/// The profile tables for explanations, built once per judging day and kept (a few days at most): building them reads
/// the whole city, an explanation then reads one row. One DuckDB connection is used by one request at a time.
/// </summary>
internal sealed class PolicyProfiles(string cityDirectory) : IAsyncDisposable
{
    private const int Kept = 4;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<DateOnly, DuckDBConnection> _built = [];

    public async Task<T> UseAsync<T>(DateOnly judgedOn, Func<DuckDBConnection, Task<T>> use, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(cityDirectory, "city.json")))
        {
            throw new NotFoundException("there is no city data to judge by (no city folder in the data folder)");
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_built.TryGetValue(judgedOn, out var connection))
            {
                if (_built.Count >= Kept)
                {
                    var oldest = _built.Keys.Min();
                    await _built[oldest].DisposeAsync();
                    _built.Remove(oldest);
                }
                connection = await ProfileBuilder.OpenCityAsync(cityDirectory, cancellationToken);
                await ProfileBuilder.BuildAsync(connection, judgedOn, cancellationToken);
                _built[judgedOn] = connection;
            }
            return await use(connection);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _built.Values)
        {
            await connection.DisposeAsync();
        }
        _gate.Dispose();
    }
}

using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Hub.Sharing;

/// <summary>
/// The hub's figures, city-wide and per owning unit. satisfactionRate = requests granted / requests filed;
/// answeredInTimeRate = requests answered by their deadline / requests answered or past their deadline.
/// A rate is null while its denominator is zero.
/// </summary>
public sealed record HubFigures(
    long Interfaces,
    long Calls,
    long CallErrors,
    long RequestsFiled,
    long RequestsSatisfied,
    double? SatisfactionRate,
    double? AnsweredInTimeRate,
    IReadOnlyList<UnitFigures> Units);

public sealed record UnitFigures(
    string Unit,
    long Interfaces,
    long Calls,
    long RequestsFiled,
    long RequestsSatisfied,
    double? SatisfactionRate,
    double? AnsweredInTimeRate);

public interface IHubMetrics
{
    Task<HubFigures> GetAsync(CancellationToken cancellationToken);
}

internal sealed class SharingMetrics(IOperationalStore store, RegistryStore registry, ICallStatistics calls, TimeProvider time) : IHubMetrics
{
    public async Task<HubFigures> GetAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        List<(string Unit, long Filed, long Satisfied, long Due, long InTime)> requests;
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            requests = (await connection.QueryAsync<(string, long, long, long, long)>(new CommandDefinition(
                """
                SELECT owner_unit,
                       COUNT(*),
                       SUM(CASE WHEN status = 'granted' THEN 1 ELSE 0 END),
                       SUM(CASE WHEN answered_at IS NOT NULL OR deadline_at < @now THEN 1 ELSE 0 END),
                       SUM(CASE WHEN answered_at IS NOT NULL AND answered_at <= deadline_at THEN 1 ELSE 0 END)
                FROM hub_requests GROUP BY owner_unit
                """, new { now }, cancellationToken: cancellationToken))).ToList();
        }
        var systems = (await registry.ListSystemsAsync(cancellationToken)).ToDictionary(s => s.Code, s => s.Unit, StringComparer.Ordinal);
        var interfacesByUnit = (await registry.ListInterfacesAsync(null, cancellationToken))
            .GroupBy(i => systems.GetValueOrDefault(i.System) ?? "", StringComparer.Ordinal).ToDictionary(g => g.Key, g => (long)g.Count(), StringComparer.Ordinal);
        var callTotals = await calls.GetTotalsAsync(cancellationToken);
        var callsByUnit = callTotals.GroupBy(c => systems.GetValueOrDefault(c.System) ?? "", StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(c => c.Calls), StringComparer.Ordinal);

        var units = (await registry.ListUnitsAsync(cancellationToken)).Select(u =>
        {
            var r = requests.FirstOrDefault(x => x.Unit == u.Code);
            return new UnitFigures(u.Code, interfacesByUnit.GetValueOrDefault(u.Code), callsByUnit.GetValueOrDefault(u.Code),
                r.Filed, r.Satisfied, Rate(r.Satisfied, r.Filed), Rate(r.InTime, r.Due));
        }).ToList();

        return new HubFigures(
            interfacesByUnit.Values.Sum(),
            callTotals.Sum(c => c.Calls),
            callTotals.Sum(c => c.Errors),
            requests.Sum(r => r.Filed),
            requests.Sum(r => r.Satisfied),
            Rate(requests.Sum(r => r.Satisfied), requests.Sum(r => r.Filed)),
            Rate(requests.Sum(r => r.InTime), requests.Sum(r => r.Due)),
            units);
    }

    private static double? Rate(long part, long whole) => whole == 0 ? null : Math.Round((double)part / whole, 4);

    public static void MapMetricsApi(IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/hub/metrics", Get).WithTags("Metrics").RequireAuthorization()
            .WithSummary("Interfaces, calls, demand satisfaction rate and share answered in time, city-wide and per unit");

    private static async Task<Ok<HubFigures>> Get(HttpContext context, IHubMetrics metrics, CancellationToken cancellationToken)
    {
        if (Caller.From(context.User).Role is not (HubRoles.Admin or HubRoles.Auditor or HubRoles.UnitOperator))
        {
            throw new ForbiddenException("the hub's figures are for staff");
        }
        return TypedResults.Ok(await metrics.GetAsync(cancellationToken));
    }
}

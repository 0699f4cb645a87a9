using System.Security.Claims;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Appeals;
using CityBrain.Scenarios.Policy.Rules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Scenarios.Policy.Enterprise;

/// <summary>
/// 亲清在线, the enterprise side of policy direct-reach: <c>GET /api/enterprises/{uscc}/policies</c> and
/// <c>POST /api/enterprises/{uscc}/policies/{id}/appeals</c>. Only the enterprise itself (an enterprise caller with that
/// credit code) is answered; anyone else gets 403.
/// </summary>
internal static class EnterpriseApi
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var enterprise = routes.MapGroup("/api/enterprises/{uscc}").RequireAuthorization().WithTags("Enterprise");
        enterprise.MapGet("/policies", Policies)
            .WithSummary("The enterprise policies in force: whether the calling enterprise gets each this period and why, its payouts, and what was paid through it for employees (masked)");
        enterprise.MapPost("/policies/{id}/appeals", File)
            .WithSummary("The calling enterprise appeals a policy decision: answered at once with the explanation; a disputed field becomes a task for the data's owning unit");
    }

    /// <summary>The credit code the caller acts for, when it is the one asked about; everyone else is refused.</summary>
    internal static string Itself(ClaimsPrincipal user, string uscc)
    {
        var caller = Caller.From(user);
        if (caller.Role != HubRoles.Enterprise || caller.Uscc is null)
        {
            throw new ForbiddenException("this answers an enterprise about its own policies; sign in as the enterprise");
        }
        if (!string.Equals(caller.Uscc, uscc, StringComparison.OrdinalIgnoreCase))
        {
            throw new ForbiddenException($"an enterprise sees and appeals only for itself; you are signed in for {caller.Uscc}, not {uscc}");
        }
        return caller.Uscc;
    }

    private static async Task<Ok<EnterpriseOverview>> Policies(string uscc, HttpContext context, EnterprisePolicies enterprises, CancellationToken cancellationToken) =>
        TypedResults.Ok(await enterprises.OverviewAsync(Itself(context.User, uscc), cancellationToken));

    private static async Task<Created<AppealView>> File(string uscc, string id, AppealRequest body, HttpContext context, PolicyProfiles profiles, IOperationalStore store,
        IEventPublisher events, TimeProvider time, CancellationToken cancellationToken)
    {
        var self = Itself(context.User, uscc);
        var appeal = await AppealsApi.FileAsync(self, Target.Enterprises, id, body, profiles, store, events, time, cancellationToken);
        return TypedResults.Created($"/api/enterprises/{self}/policies/{appeal.Policy}/appeals/{appeal.Id}", appeal);
    }
}

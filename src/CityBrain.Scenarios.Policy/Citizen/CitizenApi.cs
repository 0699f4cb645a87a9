using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Scenarios.Policy.Citizen;

/// <summary>The citizen's policy endpoints beside <c>/api/my/policies/{id}</c>: the overview, the account confirmation, the notifications.</summary>
internal static class CitizenApi
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var my = routes.MapGroup("/api/my").RequireAuthorization().WithTags("Citizen");
        my.MapGet("/policies", Policies).WithSummary("Every resident policy in force: whether the calling citizen gets it this period and why, and the payouts received");
        my.MapGet("/policies/payouts/account", Account)
            .WithSummary("The calling citizen's bank account on file at the bank, and the one confirmed for payouts (masked)");
        my.MapPost("/policies/payouts/confirm-account", ConfirmAccount)
            .WithSummary("The calling citizen confirms the account on file or another account the bank verifies as his or hers; payouts waiting for it are paid at once");
        my.MapGet("/notifications", Notifications).WithSummary("The calling citizen's payout notifications, newest first");
        my.MapPost("/notifications/read", MarkRead).WithSummary("Marks the calling citizen's notifications read; answers how many were unread");
    }

    /// <summary>The signed-in citizen's resident ID; staff and systems are refused, since these answers are about oneself.</summary>
    internal static string ResidentOf(HttpContext context) => ResidentOf(context.User);

    internal static string ResidentOf(System.Security.Claims.ClaimsPrincipal user) =>
        Caller.From(user) is { Role: HubRoles.Citizen, ResidentId: { } residentId } ? residentId
            : throw new ForbiddenException("this answers a citizen about his or her own policies; sign in as a citizen");

    private static async Task<Ok<IReadOnlyList<MyPolicy>>> Policies(HttpContext context, CitizenPolicies citizen, CancellationToken cancellationToken) =>
        TypedResults.Ok(await citizen.PoliciesAsync(ResidentOf(context), cancellationToken));

    private static async Task<Ok<MyAccount>> Account(HttpContext context, CitizenPolicies citizen, CancellationToken cancellationToken) =>
        TypedResults.Ok(await citizen.AccountAsync(ResidentOf(context), cancellationToken));

    private static async Task<Ok<AccountConfirmation>> ConfirmAccount(AccountChoice choice, HttpContext context, CitizenPolicies citizen, CancellationToken cancellationToken) =>
        TypedResults.Ok(await citizen.ConfirmAccountAsync(ResidentOf(context), choice, cancellationToken));

    private static async Task<Ok<IReadOnlyList<MyNotification>>> Notifications(HttpContext context, CitizenPolicies citizen, CancellationToken cancellationToken) =>
        TypedResults.Ok(await citizen.NotificationsAsync(ResidentOf(context), cancellationToken));

    private static async Task<Ok<int>> MarkRead(HttpContext context, CitizenPolicies citizen, CancellationToken cancellationToken) =>
        TypedResults.Ok(await citizen.MarkReadAsync(ResidentOf(context), cancellationToken));
}

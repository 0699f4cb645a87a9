using CityBrain.Hub.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Hub.Sharing;

/// <summary>Sharing on demand under /api/hub: requests, decisions, grants, disputes.</summary>
internal static class SharingApi
{
    public sealed record FiledView(string Id, string Status, string? GrantId, DateTimeOffset DeadlineAt);

    public sealed record DecidedView(string Status, string? GrantId, Grant? Grant);

    public sealed record DisputeDecidedView(string Status, string? GrantId);

    public sealed record DisputeBody(string? Reason);

    public static void MapSharingApi(this IEndpointRouteBuilder routes)
    {
        var hub = routes.MapGroup("/api/hub").WithTags("Sharing").RequireAuthorization();
        hub.MapPost("/requests", File).WithSummary("File a sharing request; an unconditional resource is granted at once");
        hub.MapGet("/requests", ListRequests).WithSummary("Requests the caller may see (its unit's, as owner or consumer)");
        hub.MapGet("/requests/{id}", GetRequest).WithSummary("One request");
        hub.MapPost("/requests/{id}/decision", Decide).WithSummary("The owning unit approves (possibly fewer fields, masked fields, fewer days) or rejects with a reason");
        hub.MapPost("/requests/{id}/disputes", OpenDispute).WithSummary("The consumer disputes a rejection (数据纠纷)");
        hub.MapGet("/disputes", ListDisputes).WithSummary("Disputes the caller may see");
        hub.MapPost("/disputes/{id}/decision", DecideDispute).WithSummary("The data bureau decides a dispute; its decision binds");
        hub.MapGet("/grants", ListGrants).WithSummary("Grants the caller may see");
        hub.MapDelete("/grants/{id}", Revoke).WithSummary("Revoke a grant at once");
    }

    private static async Task<Created<FiledView>> File(FileRequest body, HttpContext context, SharingService sharing, CancellationToken cancellationToken)
    {
        var request = await sharing.FileAsync(body, Caller.From(context.User), cancellationToken);
        return TypedResults.Created($"/api/hub/requests/{request.Id}", new FiledView(request.Id, request.Status, request.GrantId, request.DeadlineAt));
    }

    private static async Task<Ok<IReadOnlyList<SharingRequest>>> ListRequests(string? status, HttpContext context, SharingService sharing, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sharing.ListRequestsAsync(status, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<SharingRequest>> GetRequest(string id, HttpContext context, SharingService sharing, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sharing.GetRequestAsync(id, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<DecidedView>> Decide(string id, Decision decision, HttpContext context, SharingService sharing, CancellationToken cancellationToken)
    {
        var (request, grant) = await sharing.DecideAsync(id, decision, Caller.From(context.User), cancellationToken);
        return TypedResults.Ok(new DecidedView(request.Status, grant?.Id, grant));
    }

    private static async Task<Created<Dispute>> OpenDispute(string id, DisputeBody body, HttpContext context, SharingService sharing, CancellationToken cancellationToken)
    {
        var dispute = await sharing.OpenDisputeAsync(id, body.Reason, Caller.From(context.User), cancellationToken);
        return TypedResults.Created($"/api/hub/disputes/{dispute.Id}", dispute);
    }

    private static async Task<Ok<IReadOnlyList<Dispute>>> ListDisputes(string? status, HttpContext context, SharingService sharing, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sharing.ListDisputesAsync(status, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<DisputeDecidedView>> DecideDispute(string id, DisputeDecision decision, HttpContext context, SharingService sharing, CancellationToken cancellationToken)
    {
        var (dispute, grant) = await sharing.DecideDisputeAsync(id, decision, Caller.From(context.User), cancellationToken);
        return TypedResults.Ok(new DisputeDecidedView(dispute.Status, grant?.Id));
    }

    private static async Task<Ok<IReadOnlyList<Grant>>> ListGrants(bool? active, HttpContext context, SharingService sharing, CancellationToken cancellationToken) =>
        TypedResults.Ok(await sharing.ListGrantsAsync(active ?? false, Caller.From(context.User), cancellationToken));

    private static async Task<NoContent> Revoke(string id, string? reason, HttpContext context, SharingService sharing, CancellationToken cancellationToken)
    {
        await sharing.RevokeAsync(id, reason, Caller.From(context.User), cancellationToken);
        return TypedResults.NoContent();
    }
}

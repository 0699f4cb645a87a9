using CityBrain.Cockpit.Tasks;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Supervision;

/// <summary>Supervision under /api/cockpit: the board, the published rules, the leaderboard. For leaders, the bureau and auditors.</summary>
internal static class SupervisionApi
{
    public static IServiceCollection AddSupervision(this IServiceCollection services)
    {
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<TaskOptions>>().Value.SupervisionRulesFile is { } file
            ? SupervisionRules.Parse(RulesFile.Read(file), file)
            : SupervisionRules.Embedded());
        services.AddSingleton<SupervisionService>();
        services.AddSingleton<ILeaderboardMetric, OnTimeRateMetric>();
        services.AddSingleton<ILeaderboardMetric, AverageClosureDaysMetric>();
        services.AddSingleton<LeaderboardService>();
        return services;
    }

    public static RouteGroupBuilder MapSupervisionApi(this IEndpointRouteBuilder routes)
    {
        var cockpit = routes.MapGroup("/api/cockpit").WithTags("Cockpit supervision").RequireAuthorization();
        cockpit.MapGet("/supervision", Board).WithSummary("Tasks by unit, status, age and overdue; on-time closure rate; red, yellow and black lists");
        cockpit.MapGet("/supervision/rules", Rules).WithSummary("The published rules of the red, yellow and black lists");
        cockpit.MapGet("/leaderboard", Rank).WithSummary("The leaderboard (赛马榜): ?by=unit|district&metric=on-time-rate|average-closure-days|...");
        return cockpit;
    }

    private static async Task<Ok<SupervisionBoard>> Board(HttpContext context, SupervisionService supervision, CancellationToken cancellationToken)
    {
        MaySupervise(context);
        return TypedResults.Ok(await supervision.BoardAsync(cancellationToken));
    }

    private static Ok<SupervisionRules> Rules(HttpContext context, SupervisionService supervision)
    {
        MaySupervise(context);
        return TypedResults.Ok(supervision.Rules);
    }

    private static async Task<Ok<Leaderboard>> Rank(string? by, string? metric, HttpContext context, LeaderboardService leaderboard, CancellationToken cancellationToken)
    {
        MaySupervise(context);
        return TypedResults.Ok(await leaderboard.RankAsync(by, metric, cancellationToken));
    }

    private static void MaySupervise(HttpContext context)
    {
        var caller = Caller.From(context.User);
        if (caller.Role is not (HubRoles.Leader or HubRoles.Admin or HubRoles.Auditor))
        {
            throw new ForbiddenException($"supervision is for leaders, the data bureau and auditors; the caller is '{caller.Role}'");
        }
    }
}

using CityBrain.Cockpit.Tasks;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Evaluation;

/// <summary>Scenario evaluation under /api/cockpit/scenarios: register, report use, rate, and the one page of all scenarios.</summary>
internal static class EvaluationApi
{
    public sealed record UseBody(string? UserId);

    public sealed record RatingBody(int? Score);

    public static IServiceCollection AddEvaluation(this IServiceCollection services)
    {
        services.AddSingleton<Kernel.Storage.IMigrationSet, EvaluationMigrations>();
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<TaskOptions>>().Value.LifecycleRulesFile is { } file
            ? LifecycleRules.Parse(RulesFile.Read(file), file)
            : LifecycleRules.Embedded());
        services.AddSingleton<ScenarioService>();
        services.AddSingleton<IScenarioUsage>(sp => sp.GetRequiredService<ScenarioService>());
        services.AddHostedService<LifecycleService>();
        return services;
    }

    public static RouteGroupBuilder MapEvaluationApi(this IEndpointRouteBuilder routes)
    {
        var scenarios = routes.MapGroup("/api/cockpit/scenarios").WithTags("Cockpit scenario evaluation").RequireAuthorization();
        scenarios.MapGet("/", List).WithSummary("Every scenario on one page: state, daily active users, usage rate, satisfaction, the last 30 days, lifecycle history");
        scenarios.MapGet("/rules", Rules).WithSummary("The published lifecycle rules");
        scenarios.MapPost("/", Register).WithSummary("A leader or the data bureau registers a scenario; it starts on trial");
        scenarios.MapPost("/{code}/usage", Use).WithSummary("The scenario's system reports a use by a user (stored as a keyed hash)");
        scenarios.MapPost("/{code}/ratings", Rate).WithSummary("A citizen rates the scenario 1-5, once a day");
        return scenarios;
    }

    private static async Task<Ok<IReadOnlyList<ScenarioEvaluation>>> List(HttpContext context, ScenarioService scenarios, CancellationToken cancellationToken)
    {
        MayRead(context);
        return TypedResults.Ok(await scenarios.ListAsync(null, cancellationToken));
    }

    private static Ok<LifecycleRules> Rules(HttpContext context, ScenarioService scenarios)
    {
        MayRead(context);
        return TypedResults.Ok(scenarios.Rules);
    }

    private static async Task<Created<ScenarioEvaluation>> Register(ScenarioRegistration body, HttpContext context, ScenarioService scenarios, CancellationToken cancellationToken)
    {
        var scenario = await scenarios.RegisterAsync(body, Caller.From(context.User), cancellationToken);
        return TypedResults.Created($"/api/cockpit/scenarios/{scenario.Code}", scenario);
    }

    private static async Task<NoContent> Use(string code, UseBody body, HttpContext context, ScenarioService scenarios, CancellationToken cancellationToken)
    {
        await scenarios.RecordUseAsync(code, body.UserId, Caller.From(context.User), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<NoContent> Rate(string code, RatingBody body, HttpContext context, ScenarioService scenarios, CancellationToken cancellationToken)
    {
        await scenarios.RateAsync(code, body.Score, Caller.From(context.User), cancellationToken);
        return TypedResults.NoContent();
    }

    private static void MayRead(HttpContext context)
    {
        var caller = Caller.From(context.User);
        if (caller.Role is not (HubRoles.Leader or HubRoles.Admin or HubRoles.Auditor or HubRoles.UnitOperator))
        {
            throw new ForbiddenException($"the evaluation page is for leaders, the data bureau, auditors and units; the caller is '{caller.Role}'");
        }
    }
}

/// <summary>Evaluates the lifecycle rules on a timer. Hourly is safe: the rules look only at ended days, so a day's second run changes nothing.</summary>
internal sealed partial class LifecycleService(ScenarioService scenarios, TimeProvider time, ILogger<LifecycleService> logger) : RecurringWork(time)
{
    protected override TimeSpan Interval { get; } = TimeSpan.FromHours(1);

    protected override async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        foreach (var (scenario, transition) in await scenarios.EvaluateAsync(cancellationToken))
        {
            LogMoved(logger, scenario, transition.From, transition.To);
        }
    }

    protected override void OnFailed(Exception exception) => LogFailed(logger, exception);

    [LoggerMessage(EventId = 5201, Level = LogLevel.Information, Message = "Scenario {Scenario} moved from {From} to {To}")]
    private static partial void LogMoved(ILogger logger, string scenario, string from, string to);

    [LoggerMessage(EventId = 5202, Level = LogLevel.Warning, Message = "Evaluating scenario lifecycles failed; will retry")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

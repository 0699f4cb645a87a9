using CityBrain.Data.Classification;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Data.Quality;

/// <summary>Registers data quality (数据质量) and classification (分类分级), and maps their staff API under /api/data.</summary>
public static class QualityModule
{
    public const int MaxPageSize = 1000;

    /// <summary>Quality and classification services over the lake (AddData registers it); options from <see cref="QualityOptions.Section"/>, rule files checked at start.</summary>
    public static IServiceCollection AddQuality(this IServiceCollection services)
    {
        services.AddOptions<QualityOptions>().BindConfiguration(QualityOptions.Section)
            .Validate(o => o.RuleFiles.All(File.Exists), "every file in Data:Quality:RuleFiles exists")
            .ValidateOnStart();
        services.AddEventBus(); // each problem found is published as QualityProblemFound
        services.AddSingleton<QualityService>();
        return services;
    }

    /// <summary>Maps <c>/api/data/quality</c> and <c>/api/data/classification</c> (staff only); answers the /api/data group.</summary>
    public static RouteGroupBuilder MapQuality(this IEndpointRouteBuilder routes)
    {
        var data = routes.MapGroup("/api/data").RequireAuthorization();
        var quality = data.MapGroup("/quality").WithTags("Data quality");
        quality.MapPost("/runs", Run).WithSummary("Run the quality rules over the lake's datasets now (data bureau)");
        quality.MapGet("/runs/latest", LatestRun).WithSummary("The latest run: scorecards per dataset and per unit, rectification tasks");
        quality.MapGet("/runs/{runId}", GetRun).WithSummary("One run");
        quality.MapGet("/runs/{runId}/findings", Findings).WithSummary("Failing records of a run (dataset, key, field, rule, value), filtered and paged");
        quality.MapGet("/tasks", Tasks).WithSummary("Rectification tasks of the latest run, for the owning units");

        var classification = data.MapGroup("/classification").WithTags("Data classification");
        classification.MapPost("/{dataset}/proposals", Propose).WithSummary("Sample a dataset and propose each column's category, levels and mask (owner or data bureau)");
        classification.MapGet("/{dataset}", Classifications).WithSummary("A dataset's column classifications, proposed and confirmed");
        classification.MapPost("/{dataset}/columns/{column}/confirm", Confirm).WithSummary("The owner confirms (or corrects) a column's classification");
        return data;
    }

    /// <summary>A run's parameters: the as-of date (default today, city time) and when each dataset's current version was loaded.</summary>
    public sealed record RunRequest(DateOnly? AsOf = null, Dictionary<string, DateTimeOffset>? LastUpdated = null);

    private static Caller Staff(HttpContext context)
    {
        var caller = Caller.From(context.User);
        return caller.Role is HubRoles.Admin or HubRoles.Auditor or HubRoles.UnitOperator
            ? caller
            : throw new ForbiddenException("data quality and classification are for the data bureau and unit staff");
    }

    /// <summary>A unit's staff see their own unit's findings and tasks; the data bureau and auditors see every unit's.</summary>
    private static string? UnitScope(Caller caller, string? requested)
    {
        if (caller.SeesEverything)
        {
            return requested;
        }
        if (requested is not null && requested != caller.Unit)
        {
            throw new ForbiddenException($"unit staff see their own unit's findings ('{caller.Unit}'), not '{requested}'");
        }
        return caller.Unit;
    }

    private static async Task<Created<QualityRun>> Run(RunRequest? request, HttpContext context, QualityService service, CancellationToken cancellationToken)
    {
        if (!Staff(context).IsAdmin)
        {
            throw new ForbiddenException("only the data bureau starts a quality run");
        }
        var run = await service.RunAsync(request?.AsOf, request?.LastUpdated, cancellationToken);
        return TypedResults.Created($"/api/data/quality/runs/{run.RunId}", run);
    }

    private static async Task<Ok<QualityRun>> LatestRun(HttpContext context, QualityService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(ScopeTasks(await service.GetRunAsync(null, cancellationToken) ?? throw new NotFoundException("no quality run yet"), Staff(context)));

    private static async Task<Ok<QualityRun>> GetRun(string runId, HttpContext context, QualityService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(ScopeTasks(await service.GetRunAsync(runId, cancellationToken) ?? throw new NotFoundException($"no quality run '{runId}'"), Staff(context)));

    private static QualityRun ScopeTasks(QualityRun run, Caller caller) =>
        caller.SeesEverything ? run : run with { Tasks = [.. run.Tasks.Where(t => t.Unit == caller.Unit)] };

    private static async Task<Ok<IReadOnlyList<QualityFinding>>> Findings(
        string runId, string? dataset, string? rule, string? unit, int? offset, int? limit, HttpContext context, QualityService service, CancellationToken cancellationToken)
    {
        var scope = UnitScope(Staff(context), unit);
        var errors = new Dictionary<string, string[]>();
        if (offset is < 0)
        {
            errors["offset"] = ["must be 0 or more"];
        }
        if (limit is < 1 or > MaxPageSize)
        {
            errors["limit"] = [$"must be between 1 and {MaxPageSize}"];
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
        _ = await service.GetRunAsync(runId, cancellationToken) ?? throw new NotFoundException($"no quality run '{runId}'");
        return TypedResults.Ok(await service.FindingsAsync(runId, scope, dataset, rule, offset ?? 0, limit ?? 100, cancellationToken));
    }

    private static async Task<Ok<IReadOnlyList<RectificationTask>>> Tasks(string? unit, HttpContext context, QualityService service, CancellationToken cancellationToken)
    {
        var scope = UnitScope(Staff(context), unit);
        var run = await service.GetRunAsync(null, cancellationToken) ?? throw new NotFoundException("no quality run yet");
        return TypedResults.Ok<IReadOnlyList<RectificationTask>>([.. run.Tasks.Where(t => scope is null || t.Unit == scope)]);
    }

    private static Caller Owner(HttpContext context, QualityService service, string dataset)
    {
        var caller = Staff(context);
        return caller.IsAdmin || (caller.Role == HubRoles.UnitOperator && caller.Unit == service.UnitOf(dataset))
            ? caller
            : throw new ForbiddenException($"dataset '{dataset}' is classified by its owning unit ('{service.UnitOf(dataset)}') or the data bureau");
    }

    private static async Task<Ok<IReadOnlyList<ColumnClassification>>> Propose(string dataset, HttpContext context, QualityService service, CancellationToken cancellationToken)
    {
        Owner(context, service, dataset);
        return TypedResults.Ok(await service.ProposeAsync(dataset, cancellationToken));
    }

    private static async Task<Ok<IReadOnlyList<ColumnClassification>>> Classifications(string dataset, HttpContext context, QualityService service, CancellationToken cancellationToken)
    {
        Staff(context);
        return TypedResults.Ok(await service.ClassificationsAsync(dataset, cancellationToken));
    }

    private static async Task<Ok<ColumnClassification>> Confirm(
        string dataset, string column, ClassificationConfirmation confirmation, HttpContext context, QualityService service, CancellationToken cancellationToken)
    {
        var owner = Owner(context, service, dataset);
        return TypedResults.Ok(await service.ConfirmAsync(dataset, column, confirmation, owner, cancellationToken));
    }
}

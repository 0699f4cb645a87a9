using System.Text.Json;
using CityBrain.Cockpit.Live;
using CityBrain.Cockpit.Warnings;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Cockpit.Indicators;

/// <summary>/api/cockpit: indicators (list, define), their history by level, refresh on demand, warnings.</summary>
internal static class IndicatorsApi
{
    public sealed record IndicatorView(IndicatorDefinition Definition, string Status, double? Value, DateTimeOffset? At, string? Message);

    public sealed record HistoryView(string Indicator, string Level, string Code, IReadOnlyList<HistoryPoint> Points);

    public static void MapIndicatorsApi(this IEndpointRouteBuilder routes)
    {
        var api = routes.MapGroup("/api/cockpit").WithTags("Cockpit").RequireAuthorization();
        api.MapGet("/indicators", List).WithSummary("Every indicator with its latest value and status");
        api.MapPost("/indicators", Define).WithSummary("Define or replace an indicator (admin, or an operator for his or her own unit)");
        api.MapGet("/indicators/{code}/history", History)
            .WithSummary("Stored values of an indicator: level=city (code 330100), district (6-digit code) or street (9-digit code)");
        api.MapPost("/indicators/{code}/refresh", Refresh).WithSummary("Evaluate an indicator now (admin, or the owning unit's operator)");
        api.MapGet("/warnings", (CockpitFeed feed) => TypedResults.Ok(feed.Warnings())).WithSummary("The latest warnings, newest first");
    }

    private static Ok<IndicatorView[]> List(IndicatorCatalog catalog, CockpitFeed feed) =>
        TypedResults.Ok(feed.Snapshots(catalog.All).Select(s => new IndicatorView(s.Definition, s.Status.ToString(), s.Value, s.At, s.Message)).ToArray());

    private static async Task<Created<IndicatorDefinition>> Define(HttpContext context, IndicatorCatalog catalog, CancellationToken cancellationToken)
    {
        IndicatorDefinition? definition;
        try
        {
            definition = await JsonSerializer.DeserializeAsync<IndicatorDefinition>(context.Request.Body, IndicatorCatalog.Json, cancellationToken);
        }
        catch (JsonException e)
        {
            throw new ValidationFailedException(e.Path ?? "body", e.Message);
        }
        if (definition is null)
        {
            throw new ValidationFailedException("body", "an indicator definition is required");
        }
        var caller = Caller.From(context.User);
        if (!caller.IsAdmin && !(caller.Role == HubRoles.UnitOperator && caller.Unit == definition.OwningUnit))
        {
            throw new ForbiddenException("only the data bureau admin, or an operator of the owning unit, defines indicators");
        }
        var saved = await catalog.SaveAsync(definition, caller.AuditName, cancellationToken);
        return TypedResults.Created($"/api/cockpit/indicators/{saved.Code}", saved);
    }

    private static async Task<Ok<HistoryView>> History(string code, string? level, string? areaCode, IndicatorCatalog catalog, IndicatorHistory history,
        HttpContext context, CancellationToken cancellationToken)
    {
        if (catalog.Find(code) is null)
        {
            throw new NotFoundException($"no indicator '{code}'");
        }
        // 'code' names the indicator in the path; the area's code comes as ?code= too (the documented form) or ?areaCode=.
        var area = context.Request.Query["code"].FirstOrDefault() ?? areaCode;
        level ??= "city";
        area = level switch
        {
            "city" => area is null or IndicatorHistory.City ? IndicatorHistory.City : throw new ValidationFailedException("code", "the city's code is 330100"),
            "district" when area is { Length: 6 } && area.All(char.IsAsciiDigit) => area,
            "district" => throw new ValidationFailedException("code", "a district code has 6 digits (e.g. 330106)"),
            "street" when area is { Length: 9 } && area.All(char.IsAsciiDigit) => area,
            "street" => throw new ValidationFailedException("code", "a street code has 9 digits (e.g. 330106001)"),
            _ => throw new ValidationFailedException("level", "must be city, district or street"),
        };
        return TypedResults.Ok(new HistoryView(code, level, area, await history.ReadAsync(code, area, 500, cancellationToken)));
    }

    private static async Task<Ok<IndicatorView>> Refresh(string code, HttpContext context, IndicatorCatalog catalog, IndicatorRefresher refresher, CancellationToken cancellationToken)
    {
        var definition = catalog.Find(code) ?? throw new NotFoundException($"no indicator '{code}'");
        var caller = Caller.From(context.User);
        if (!caller.IsAdmin && !(caller.Role == HubRoles.UnitOperator && caller.Unit == definition.OwningUnit))
        {
            throw new ForbiddenException("only the data bureau admin, or an operator of the owning unit, refreshes an indicator on demand");
        }
        var s = await refresher.RefreshAsync(code, cancellationToken);
        return TypedResults.Ok(new IndicatorView(s.Definition, s.Status.ToString(), s.Value, s.At, s.Message));
    }
}

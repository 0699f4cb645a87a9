using System.Security.Claims;
using System.Text;
using CityBrain.Data.Catalog;
using CityBrain.Data.Ingestion;
using CityBrain.Data.Query;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Data;

/// <summary>The data module's endpoints: catalog (目录), open data (数据开放), uploads, governed queries, profiles.</summary>
internal static class DataApi
{
    public static RouteGroupBuilder MapDataApi(this IEndpointRouteBuilder routes)
    {
        var data = routes.MapGroup("/api/data").WithTags("Data").RequireAuthorization();
        data.MapGet("/catalog", Catalog).WithSummary("Searchable catalog: fields, classification, owner, update frequency, freshness, quality score; filter by score, sort by code, quality or freshness");
        data.MapGet("/catalog/{code}", CatalogDetailOf).WithSummary("One dataset with its lineage and a masked sample");
        data.MapGet("/dcat", Dcat).WithSummary("The catalog in DCAT (JSON-LD)").AllowAnonymous();
        data.MapGet("/open/{code}", OpenDownload).WithSummary("Download an open dataset as CSV, without login").AllowAnonymous();
        data.MapPost("/uploads/{code}", Upload).WithSummary("Upload a CSV (UTF-8 or GBK), JSON or Parquet file as a new version").DisableAntiforgery();
        data.MapPost("/query", RunQuery).WithSummary("Governed query: fields released per grant, masked per level, audited");
        data.MapGet("/profiles/person/{residentId}", PersonProfile).WithSummary("一人一档: a person's records from every granted dataset, with sources");
        data.MapGet("/profiles/me", OwnProfile).WithSummary("一人一档 for the person it is about: a signed-in resident's own records from every department, in clear, with sources");
        data.MapGet("/profiles/enterprise/{uscc}", EnterpriseProfile).WithSummary("一企一档: an enterprise's records from every granted dataset, with sources");
        return data;
    }

    private static async Task<Ok<List<CatalogEntry>>> Catalog(string? q, double? minScore, double? maxScore, string? sort, DataCatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(await catalog.SearchAsync(new CatalogSearch(q, minScore, maxScore, sort), cancellationToken));

    private static async Task<Ok<CatalogDetail>> CatalogDetailOf(string code, DataCatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(await catalog.DetailAsync(code, cancellationToken));

    private static async Task<ContentHttpResult> Dcat(HttpRequest request, DataCatalog catalog, CancellationToken cancellationToken)
    {
        var baseUrl = $"{request.Scheme}://{request.Host}";
        var document = await catalog.DcatAsync(baseUrl, cancellationToken);
        return TypedResults.Content(document.ToJsonString(), "application/ld+json", Encoding.UTF8);
    }

    private static async Task<FileContentHttpResult> OpenDownload(string code, DataCatalog catalog, CancellationToken cancellationToken)
    {
        var csv = await catalog.OpenCsvAsync(code, cancellationToken);
        return TypedResults.File(csv, "text/csv; charset=utf-8", code + ".csv");
    }

    private static async Task<Ok<UploadResult>> Upload(string code, string? format, string? fileName, HttpRequest request, ClaimsPrincipal user,
        IRegistryReader registry, FileIngestion files, Lake.Lake lake, CancellationToken cancellationToken)
    {
        var caller = Caller.From(user);
        var dataset = await registry.FindDatasetAsync(code, cancellationToken) ?? throw new NotFoundException($"dataset '{code}' is not in the registry");
        if (!caller.IsAdmin && !(caller.Role == HubRoles.UnitOperator && caller.Unit == dataset.Unit))
        {
            throw new ForbiddenException($"only the data bureau or unit '{dataset.Unit}' may load {code}");
        }
        var name = fileName ?? code + "." + (format ?? "csv");
        var kind = (format ?? Path.GetExtension(name).TrimStart('.')).ToLowerInvariant();
        if (kind is not ("csv" or "json" or "parquet"))
        {
            throw new ValidationFailedException("format", $"'{kind}' is not a format the lake reads: csv, json or parquet");
        }
        var uploads = Path.Combine(Path.GetDirectoryName(lake.FilePath)!, "uploads");
        Directory.CreateDirectory(uploads);
        var path = Path.Combine(uploads, Guid.NewGuid().ToString("N") + "." + kind);
        try
        {
            await using (var file = File.Create(path))
            {
                await request.Body.CopyToAsync(file, cancellationToken);
            }
            return TypedResults.Ok(await files.LoadAsync(code, path, name, kind, [.. dataset.Fields.Select(f => f.Name)], caller.AuditName, cancellationToken));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<Ok<QueryResult>> RunQuery(QueryRequest query, ClaimsPrincipal user, GovernedQuery queries, CancellationToken cancellationToken) =>
        TypedResults.Ok(await queries.QueryAsync(query, Caller.From(user), cancellationToken));

    private static async Task<Ok<Profile>> PersonProfile(string residentId, HttpRequest request, ClaimsPrincipal user, GovernedQuery queries, CancellationToken cancellationToken) =>
        TypedResults.Ok(await queries.ProfileAsync("person", residentId, Caller.From(user), Purpose(request), cancellationToken));

    private static async Task<Ok<Profile>> OwnProfile(ClaimsPrincipal user, GovernedQuery queries, CancellationToken cancellationToken) =>
        TypedResults.Ok(await queries.OwnProfileAsync(Caller.From(user), cancellationToken));

    private static async Task<Ok<Profile>> EnterpriseProfile(string uscc, HttpRequest request, ClaimsPrincipal user, GovernedQuery queries, CancellationToken cancellationToken) =>
        TypedResults.Ok(await queries.ProfileAsync("enterprise", uscc, Caller.From(user), Purpose(request), cancellationToken));

    private static string? Purpose(HttpRequest request) =>
        request.Headers["X-Purpose"] is { Count: > 0 } purpose ? purpose.ToString() : null;
}

using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Hub.Registry;

/// <summary>The registry and catalog API under /api/hub.</summary>
internal static class RegistryApi
{
    public sealed record FieldView(string Name, string Level, string? Mask);

    public sealed record InterfaceView(string Code, string Name, string Method, string Path, string Sharing, IReadOnlyList<FieldView> Fields, IReadOnlyList<InterfaceParameter> Parameters);

    public sealed record SystemView(string Code, string Unit, string Name, IReadOnlyList<InterfaceView> Interfaces);

    public sealed record DatasetView(string Code, string Unit, string Name, string? Description, string UpdateFrequency, string Sharing, bool Open, IReadOnlyList<FieldView> Fields);

    public sealed record SecretView(string System, string ClientSecret);

    public static void MapRegistryApi(this IEndpointRouteBuilder routes)
    {
        var hub = routes.MapGroup("/api/hub").WithTags("Registry").RequireAuthorization();
        hub.MapGet("/units", ListUnits).WithSummary("Units (departments) registered with the hub");
        hub.MapPost("/units", RegisterUnit).WithSummary("Register or update a unit (data bureau only)");
        hub.MapGet("/systems", ListSystems).WithSummary("Systems with their interfaces and the level of every field");
        hub.MapGet("/systems/{code}", GetSystem).WithSummary("One system");
        hub.MapPost("/systems", RegisterSystem).WithSummary("Register or update a system, with interfaces; a new system's client secret is answered once");
        hub.MapPost("/systems/{code}/interfaces", RegisterInterfaces).WithSummary("Add or replace interfaces of a system");
        hub.MapPost("/systems/{code}/openapi", ImportOpenApi).WithSummary("Register a system's interfaces from its OpenAPI 3 description (JSON or YAML)")
            .Accepts<string>("application/json", "application/yaml");
        hub.MapPost("/systems/{code}/secret", RotateSecret).WithSummary("Issue a new client secret for a system (the old one stops working)");
        hub.MapPost("/registry", ApplyManifest).WithSummary("Apply a registry file (YAML or JSON): units, systems, interfaces, datasets in one transaction")
            .Accepts<RegistryManifest>("application/yaml", "application/json");
        hub.MapGet("/datasets", ListDatasets).WithSummary("The data catalog (数据目录)");
    }

    private static Caller Staff(HttpContext context)
    {
        var caller = Caller.From(context.User);
        return caller.Role is HubRoles.Citizen or HubRoles.Enterprise ? throw new ForbiddenException("citizens use /api/my, enterprises /api/enterprises") : caller;
    }

    private static async Task<Ok<IReadOnlyList<Unit>>> ListUnits(HttpContext context, RegistryStore registry, CancellationToken cancellationToken)
    {
        Staff(context);
        return TypedResults.Ok(await registry.ListUnitsAsync(cancellationToken));
    }

    private static async Task<Created<RegistryChangeResult>> RegisterUnit(UnitSpec unit, HttpContext context, RegistryService service, CancellationToken cancellationToken)
    {
        var result = await service.ApplyAsync(new RegistryManifest { Units = [unit] }, Caller.From(context.User), cancellationToken);
        return TypedResults.Created($"/api/hub/units/{unit.Code}", result);
    }

    private static async Task<Ok<List<SystemView>>> ListSystems(HttpContext context, RegistryStore registry, CancellationToken cancellationToken)
    {
        Staff(context);
        var systems = await registry.ListSystemsAsync(cancellationToken);
        var interfaces = (await registry.ListInterfacesAsync(null, cancellationToken)).ToLookup(i => i.System, StringComparer.Ordinal);
        return TypedResults.Ok(systems.Select(s => View(s, interfaces[s.Code])).ToList());
    }

    private static async Task<Ok<SystemView>> GetSystem(string code, HttpContext context, RegistryStore registry, CancellationToken cancellationToken)
    {
        Staff(context);
        var system = await registry.FindSystemAsync(code, cancellationToken) ?? throw new NotFoundException($"system '{code}' is not registered");
        return TypedResults.Ok(View(system, await registry.ListInterfacesAsync(code, cancellationToken)));
    }

    private static async Task<Created<RegistryChangeResult>> RegisterSystem(SystemSpec system, HttpContext context, RegistryService service, CancellationToken cancellationToken)
    {
        var result = await service.ApplyAsync(new RegistryManifest { Systems = [system] }, Caller.From(context.User), cancellationToken);
        return TypedResults.Created($"/api/hub/systems/{system.Code}", result);
    }

    private static async Task<Ok<RegistryChangeResult>> RegisterInterfaces(string code, List<InterfaceSpec> interfaces, HttpContext context, RegistryService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(await service.ApplyInterfacesAsync(code, interfaces, Caller.From(context.User), cancellationToken));

    private static async Task<Ok<RegistryChangeResult>> ImportOpenApi(string code, HttpContext context, RegistryService service, CancellationToken cancellationToken)
    {
        var (text, yaml) = await ManifestReader.ReadBodyAsync(context.Request, cancellationToken);
        var specs = OpenApiImporter.Import(text, yaml);
        return TypedResults.Ok(await service.ApplyInterfacesAsync(code, specs, Caller.From(context.User), cancellationToken));
    }

    private static async Task<Ok<SecretView>> RotateSecret(string code, HttpContext context, RegistryService service, CancellationToken cancellationToken) =>
        TypedResults.Ok(new SecretView(code, await service.RotateClientSecretAsync(code, Caller.From(context.User), cancellationToken)));

    private static async Task<Ok<RegistryChangeResult>> ApplyManifest(HttpContext context, RegistryService service, CancellationToken cancellationToken)
    {
        var (text, yaml) = await ManifestReader.ReadBodyAsync(context.Request, cancellationToken);
        var manifest = ManifestReader.Parse<RegistryManifest>(text, yaml);
        return TypedResults.Ok(await service.ApplyAsync(manifest, Caller.From(context.User), cancellationToken));
    }

    private static async Task<Ok<List<DatasetView>>> ListDatasets(HttpContext context, RegistryStore registry, CancellationToken cancellationToken)
    {
        Staff(context);
        return TypedResults.Ok((await registry.ListDatasetsAsync(cancellationToken))
            .Select(d => new DatasetView(d.Code, d.Unit, d.Name, d.Description, d.UpdateFrequency, RegistryValidator.SharingName(d.Sharing), d.Open, Fields(d.Fields)))
            .ToList());
    }

    private static SystemView View(RegisteredSystem system, IEnumerable<RegisteredInterface> interfaces) =>
        new(system.Code, system.Unit, system.Name, interfaces.Select(i =>
            new InterfaceView(i.Code, i.Name, i.Method, i.Path, RegistryValidator.SharingName(i.Sharing), Fields(i.Fields), i.Parameters)).ToList());

    private static List<FieldView> Fields(IEnumerable<InterfaceField> fields) =>
        fields.Select(f => new FieldView(f.Name, RegistryValidator.LevelName(f.Level), f.Mask)).ToList();
}

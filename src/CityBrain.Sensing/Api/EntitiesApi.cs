using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;
using CityBrain.Sensing.Queries;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Sensing.Api;

/// <summary>The context information API of clause 6.4-6.6, 6.14-6.16, 6.25-6.26: entities, attributes, batch operations, discovery.</summary>
internal static class EntitiesApi
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 1000;

    private static readonly HashSet<string> QueryParameters = new(StringComparer.Ordinal)
    {
        "id", "type", "idPattern", "attrs", "pick", "omit", "q", "georel", "geometry", "coordinates", "geoproperty", "geometryProperty",
        "lang", "limit", "offset", "count", "options", "format", "orderBy", "local", "csf",
    };

    private static readonly HashSet<string> RetrieveParameters = new(StringComparer.Ordinal)
    {
        "attrs", "pick", "omit", "geometryProperty", "lang", "options", "format", "local", "type",
    };

    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/entities", Create);
        group.MapGet("/entities", Query);
        group.MapGet("/entities/{id}", Retrieve);
        group.MapPut("/entities/{id}", Replace);
        group.MapPatch("/entities/{id}", Merge);
        group.MapDelete("/entities/{id}", Delete);
        group.MapPost("/entities/{id}/attrs", Append);
        group.MapPatch("/entities/{id}/attrs", UpdateAttributes);
        group.MapPatch("/entities/{id}/attrs/{attr}", PatchAttribute);
        group.MapPut("/entities/{id}/attrs/{attr}", ReplaceAttribute);
        group.MapDelete("/entities/{id}/attrs/{attr}", DeleteAttribute);
        group.MapPost("/entityOperations/{operation}", Batch);
        group.MapGet("/types", Types);
        group.MapGet("/types/{type}", TypeDetails);
        group.MapGet("/attributes", Attributes);
        group.MapGet("/attributes/{attr}", AttributeDetails);
        group.MapGet("/jsonldContexts", ListContexts);
        group.MapGet("/jsonldContexts/{id}", GetContext);
    }

    private static async Task<IResult> Create(HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal) { "local" });
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: false, cancellationToken);
        var id = await service.CreateAsync(tenant, EntityWriter.Of(http), body, context, cancellationToken);
        if (tenant.Length > 0)
        {
            http.Response.Headers[NgsiLdHttp.TenantHeader] = tenant;
        }
        return Results.Created($"{http.Request.PathBase}/ngsi-ld/v1/entities/{Uri.EscapeDataString(id)}", null);
    }

    private static async Task<IResult> Retrieve(string id, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, RetrieveParameters);
        var media = NgsiLdHttp.Negotiate(http.Request, geoJsonAllowed: true);
        var tenant = await NgsiLdHttp.ExistingTenantAsync(http.Request, service.Repository, cancellationToken);
        var context = await NgsiLdHttp.LinkContextAsync(http.Request, resolver, cancellationToken);
        var options = ReadRenderOptions(http.Request, context);
        var entity = await service.Repository.GetAsync(tenant, CheckId(id), cancellationToken) ?? throw NgsiLdException.NotFound($"Entity '{id}' was not found.");
        if (http.Request.Query["type"].ToString() is { Length: > 0 } type && !entity.Types.Contains(context.Expand(type), StringComparer.Ordinal))
        {
            throw NgsiLdException.NotFound($"Entity '{id}' is not of type '{type}'.");
        }
        if (media == OutputMedia.GeoJson)
        {
            return NgsiLdHttp.Answer(http, EntityRenderer.RenderFeature(entity, options, GeometryProperty(http.Request, context)), media, context, resolver);
        }
        return NgsiLdHttp.Answer(http, EntityRenderer.Render(entity, options), media, context, resolver);
    }

    private static async Task<IResult> Query(HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, QueryParameters);
        var media = NgsiLdHttp.Negotiate(http.Request, geoJsonAllowed: true);
        var tenant = await NgsiLdHttp.ExistingTenantAsync(http.Request, service.Repository, cancellationToken);
        var context = await NgsiLdHttp.LinkContextAsync(http.Request, resolver, cancellationToken);
        var query = ReadQuery(http.Request.Query, context);
        return await AnswerQueryAsync(http, service, resolver, tenant, query, context, media, cancellationToken);
    }

    private static async Task<IResult> AnswerQueryAsync(HttpContext http, EntityService service, ContextResolver resolver, string tenant, EntityQuery query, LdContext context, OutputMedia media, CancellationToken cancellationToken)
    {
        var request = http.Request.Query;
        var options = ReadRenderOptions(http.Request, context) with { Pick = ReadPick(request, context, query.Attrs) };
        var limit = ReadInt(request["limit"], "limit", DefaultLimit, 0);
        var offset = ReadInt(request["offset"], "offset", 0, 0);
        if (limit > MaxLimit)
        {
            throw new NgsiLdException(NgsiLdError.TooManyResults, $"limit {limit} is above the maximum of {MaxLimit}; page with offset.");
        }
        var count = request["count"].ToString() switch
        {
            "" or "false" => false,
            "true" => true,
            var other => throw NgsiLdException.BadData($"count must be true or false, got '{EntityParser.Shorten(other)}'."),
        };
        var order = EntityOrder.Parse(request["orderBy"].ToString(), context, query.Geo);
        if (limit == 0 && !count)
        {
            throw NgsiLdException.BadData("limit=0 is allowed only with count=true.");
        }
        var (page, total) = await service.Repository.PageAsync(tenant, query, order, offset, limit, count, cancellationToken);
        if (total is { } counted)
        {
            http.Response.Headers[NgsiLdHttp.ResultsCountHeader] = counted.ToString(CultureInfo.InvariantCulture);
        }
        if (media == OutputMedia.GeoJson)
        {
            var geometryProperty = GeometryProperty(http.Request, context);
            var collection = new JsonObject
            {
                ["type"] = "FeatureCollection",
                ["features"] = new JsonArray([.. page.Select(e => (JsonNode)EntityRenderer.RenderFeature(e, options, geometryProperty))]),
            };
            return NgsiLdHttp.Answer(http, collection, media, context, resolver);
        }
        return NgsiLdHttp.Answer(http, new JsonArray([.. page.Select(e => (JsonNode)EntityRenderer.Render(e, options))]), media, context, resolver);
    }

    private static async Task<IResult> Replace(string id, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal));
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: false, cancellationToken);
        await service.ReplaceAsync(tenant, EntityWriter.Of(http), CheckId(id), body, context, cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> Merge(string id, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal) { "options", "format" });
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: true, cancellationToken);
        await service.MergeAsync(tenant, EntityWriter.Of(http), CheckId(id), body, context, cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> Delete(string id, HttpContext http, EntityService service, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal) { "type", "local" });
        var tenant = await NgsiLdHttp.ExistingTenantAsync(http.Request, service.Repository, cancellationToken);
        await service.DeleteAsync(tenant, EntityWriter.Of(http), CheckId(id), cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> Append(string id, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal) { "options" });
        var noOverwrite = Options(http.Request).Contains("noOverwrite");
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: false, cancellationToken);
        var result = await service.AppendAsync(tenant, EntityWriter.Of(http), CheckId(id), body, context, noOverwrite, cancellationToken);
        return UpdateResult(result);
    }

    private static async Task<IResult> UpdateAttributes(string id, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal));
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: false, cancellationToken);
        return UpdateResult(await service.UpdateAttributesAsync(tenant, EntityWriter.Of(http), CheckId(id), body, context, cancellationToken));
    }

    private static async Task<IResult> PatchAttribute(string id, string attr, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal));
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: false, cancellationToken);
        await service.PatchAttributeAsync(tenant, EntityWriter.Of(http), CheckId(id), attr, body, context, cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> ReplaceAttribute(string id, string attr, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal));
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: false, cancellationToken);
        await service.ReplaceAttributeAsync(tenant, EntityWriter.Of(http), CheckId(id), attr, body, context, cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> DeleteAttribute(string id, string attr, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal) { "datasetId", "deleteAll" });
        var tenant = await NgsiLdHttp.ExistingTenantAsync(http.Request, service.Repository, cancellationToken);
        var context = await NgsiLdHttp.LinkContextAsync(http.Request, resolver, cancellationToken);
        var datasetId = http.Request.Query["datasetId"].ToString() is { Length: > 0 } d ? d : null;
        var deleteAll = http.Request.Query["deleteAll"].ToString() == "true";
        await service.DeleteAttributeAsync(tenant, EntityWriter.Of(http), CheckId(id), attr, datasetId, deleteAll, context, cancellationToken);
        return Results.NoContent();
    }

    private static async Task<IResult> Batch(string operation, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        if (operation == "query")
        {
            return await BatchQuery(http, service, resolver, cancellationToken);
        }
        if (operation is not ("create" or "upsert" or "update" or "delete" or "merge"))
        {
            throw NgsiLdException.NotFound($"There is no entity operation '{EntityParser.Shorten(operation)}' (create, upsert, update, delete, merge, query).");
        }
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal) { "options", "local" });
        var options = Options(http.Request);
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: false, cancellationToken);
        // Each entity of an ld+json batch carries its own @context. One that cannot be resolved fails only the entities
        // that use it (clause 5.6.7: the batch answers each entity's error), so the failure is kept and thrown per entity.
        var contexts = new Dictionary<string, (LdContext? Context, NgsiLdException? Error)>(StringComparer.Ordinal);
        if (body.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in body.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("@context", out var own))
                {
                    var key = own.GetRawText();
                    if (!contexts.ContainsKey(key))
                    {
                        try
                        {
                            contexts[key] = (await resolver.ResolveAsync(own, cancellationToken), null);
                        }
                        catch (NgsiLdException e)
                        {
                            contexts[key] = (null, e);
                        }
                    }
                }
            }
        }
        LdContext ContextOf(JsonElement item)
        {
            if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("@context", out var own))
            {
                return context;
            }
            var (resolved, error) = contexts[own.GetRawText()];
            return resolved ?? throw new NgsiLdException(error!.Error, error.Message);
        }
        var result = await service.BatchAsync(tenant, EntityWriter.Of(http), operation, body, context, ContextOf,
            replace: options.Contains("replace"), noOverwrite: options.Contains("noOverwrite"), cancellationToken);
        if (result.Errors.Count > 0)
        {
            var payload = new JsonObject
            {
                ["success"] = new JsonArray([.. result.Success.Select(s => (JsonNode)s)]),
                ["errors"] = new JsonArray([.. result.Errors.Select(e => (JsonNode)new JsonObject { ["entityId"] = e.EntityId, ["error"] = NgsiLdHttp.ProblemJson(e.Error) })]),
            };
            return Results.Text(payload.ToJsonString(), "application/json", System.Text.Encoding.UTF8, 207);
        }
        return operation switch
        {
            "create" => Results.Text(new JsonArray([.. result.Success.Select(s => (JsonNode)s)]).ToJsonString(), "application/json", System.Text.Encoding.UTF8, 201),
            "upsert" when result.Created.Count > 0 => Results.Text(new JsonArray([.. result.Created.Select(s => (JsonNode)s)]).ToJsonString(), "application/json", System.Text.Encoding.UTF8, 201),
            _ => Results.NoContent(),
        };
    }

    /// <summary>POST /entityOperations/query: the query as a Query object in the body (clause 5.2.23).</summary>
    private static async Task<IResult> BatchQuery(HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal) { "limit", "offset", "count", "options", "format", "orderBy", "local", "lang" });
        var media = NgsiLdHttp.Negotiate(http.Request, geoJsonAllowed: false);
        var tenant = await NgsiLdHttp.ExistingTenantAsync(http.Request, service.Repository, cancellationToken);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: false, cancellationToken);
        var query = ReadQueryObject(body, context);
        return await AnswerQueryAsync(http, service, resolver, tenant, query, context, media, cancellationToken);
    }

    /// <summary>
    /// What every discovery endpoint (/types, /attributes and their details) reads first: only the parameters it takes,
    /// the answer's media type, an existing tenant, and the @context of the Link header.
    /// </summary>
    private static async Task<(OutputMedia Media, string Tenant, LdContext Context)> DiscoveryRequestAsync(
        HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken, params string[] parameters)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(parameters, StringComparer.Ordinal));
        var media = NgsiLdHttp.Negotiate(http.Request, geoJsonAllowed: false);
        var tenant = await NgsiLdHttp.ExistingTenantAsync(http.Request, service.Repository, cancellationToken);
        var context = await NgsiLdHttp.LinkContextAsync(http.Request, resolver, cancellationToken);
        return (media, tenant, context);
    }

    private static async Task<IResult> Types(HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        var (media, tenant, context) = await DiscoveryRequestAsync(http, service, resolver, cancellationToken, "details", "local");
        var entities = await service.Repository.AllAsync(tenant, cancellationToken);
        var byType = entities.SelectMany(e => e.Types.Select(t => (Type: t, Entity: e))).GroupBy(x => x.Type, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        JsonNode payload;
        if (http.Request.Query["details"].ToString() == "true")
        {
            payload = new JsonArray([.. byType.Select(g => (JsonNode)new JsonObject
            {
                ["id"] = g.Key,
                ["type"] = "EntityType",
                ["typeName"] = context.Compact(g.Key),
                ["attributeNames"] = new JsonArray([.. g.SelectMany(x => x.Entity.AttributeNames).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(a => (JsonNode)context.Compact(a))]),
            })]);
        }
        else
        {
            payload = new JsonObject
            {
                ["id"] = $"urn:ngsi-ld:EntityTypeList:{Guid.NewGuid()}",
                ["type"] = "EntityTypeList",
                ["typeList"] = new JsonArray([.. byType.Select(g => (JsonNode)context.Compact(g.Key))]),
            };
        }
        return NgsiLdHttp.Answer(http, payload, media, context, resolver);
    }

    private static async Task<IResult> TypeDetails(string type, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        var (media, tenant, context) = await DiscoveryRequestAsync(http, service, resolver, cancellationToken, "local");
        var expanded = context.Expand(type);
        var entities = (await service.Repository.OfTypesAsync(tenant, [expanded], cancellationToken)).ToList();
        if (entities.Count == 0)
        {
            throw NgsiLdException.NotFound($"No entity has type '{type}'.");
        }
        var attributes = entities.SelectMany(e => e.AttributeNames.Select(a => (Name: a, Type: EntityRecord.Instances(e.Document[a]).FirstOrDefault()?["type"]?.GetValue<string>() ?? "Property")))
            .GroupBy(a => a.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal);
        var payload = new JsonObject
        {
            ["id"] = expanded,
            ["type"] = "EntityTypeInfo",
            ["typeName"] = context.Compact(expanded),
            ["entityCount"] = entities.Count,
            ["attributeDetails"] = new JsonArray([.. attributes.Select(g => (JsonNode)new JsonObject
            {
                ["id"] = g.Key,
                ["type"] = "Attribute",
                ["attributeName"] = context.Compact(g.Key),
                ["attributeTypes"] = new JsonArray([.. g.Select(a => a.Type).Distinct(StringComparer.Ordinal).Select(t => (JsonNode)t)]),
            })]),
        };
        return NgsiLdHttp.Answer(http, payload, media, context, resolver);
    }

    private static async Task<IResult> Attributes(HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        var (media, tenant, context) = await DiscoveryRequestAsync(http, service, resolver, cancellationToken, "details", "local");
        var entities = await service.Repository.AllAsync(tenant, cancellationToken);
        var byName = entities.SelectMany(e => e.AttributeNames.Select(a => (Name: a, Entity: e))).GroupBy(x => x.Name, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        JsonNode payload = http.Request.Query["details"].ToString() == "true"
            ? new JsonArray([.. byName.Select(g => (JsonNode)AttributeInfo(g.Key, [.. g.Select(x => x.Entity)], context))])
            : new JsonObject
            {
                ["id"] = $"urn:ngsi-ld:AttributeList:{Guid.NewGuid()}",
                ["type"] = "AttributeList",
                ["attributeList"] = new JsonArray([.. byName.Select(g => (JsonNode)context.Compact(g.Key))]),
            };
        return NgsiLdHttp.Answer(http, payload, media, context, resolver);
    }

    private static async Task<IResult> AttributeDetails(string attr, HttpContext http, EntityService service, ContextResolver resolver, CancellationToken cancellationToken)
    {
        var (media, tenant, context) = await DiscoveryRequestAsync(http, service, resolver, cancellationToken, "local");
        var expanded = context.Expand(attr);
        var entities = (await service.Repository.AllAsync(tenant, cancellationToken)).Where(e => e.Document.ContainsKey(expanded)).ToList();
        if (entities.Count == 0)
        {
            throw NgsiLdException.NotFound($"No entity has attribute '{attr}'.");
        }
        return NgsiLdHttp.Answer(http, AttributeInfo(expanded, entities, context), media, context, resolver);
    }

    private static JsonObject AttributeInfo(string name, List<EntityRecord> entities, LdContext context) => new()
    {
        ["id"] = name,
        ["type"] = "Attribute",
        ["attributeName"] = context.Compact(name),
        ["attributeCount"] = entities.Count,
        ["attributeTypes"] = new JsonArray([.. entities.SelectMany(e => EntityRecord.Instances(e.Document[name])).Select(i => i["type"]?.GetValue<string>() ?? "Property").Distinct(StringComparer.Ordinal).Select(t => (JsonNode)t)]),
        ["typeNames"] = new JsonArray([.. entities.SelectMany(e => e.Types).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).Select(t => (JsonNode)context.Compact(t))]),
    };

    private static IResult ListContexts(ContextResolver resolver) =>
        Results.Text(new JsonArray([(JsonNode)CoreContext.Url, .. resolver.Hosted.Keys.Select(k => (JsonNode)k)]).ToJsonString(), "application/json");

    private static IResult GetContext(string id, ContextResolver resolver) =>
        resolver.Hosted.TryGetValue(id, out var context)
            ? Results.Text(context.GetRawText(), "application/ld+json")
            : throw NgsiLdException.NotFound($"There is no hosted @context '{EntityParser.Shorten(id)}'.");

    private static IResult UpdateResult(AttributeUpdateResult result)
    {
        if (result.NotUpdated.Count == 0)
        {
            return Results.NoContent();
        }
        var payload = new JsonObject
        {
            ["updated"] = new JsonArray([.. result.Updated.Select(u => (JsonNode)u)]),
            ["notUpdated"] = new JsonArray([.. result.NotUpdated.Select(n => (JsonNode)new JsonObject { ["attributeName"] = n.AttributeName, ["reason"] = n.Reason })]),
        };
        return Results.Text(payload.ToJsonString(), "application/json", System.Text.Encoding.UTF8, 207);
    }

    private static string CheckId(string id) =>
        EntityParser.IsUri(id) ? id : throw NgsiLdException.BadData($"'{EntityParser.Shorten(id)}' is not a valid entity id (a URI).");

    public static EntityQuery ReadQuery(IQueryCollection request, LdContext context)
    {
        var types = Split(request["type"]);
        var ids = Split(request["id"]);
        foreach (var id in ids ?? [])
        {
            CheckId(id);
        }
        var attrs = Split(request["attrs"]);
        var q = request["q"].ToString() is { Length: > 0 } text ? QueryParser.Parse(text, context) : null;
        var geo = GeoQuery.Parse(Value(request, "georel"), Value(request, "geometry"), Value(request, "coordinates"), Value(request, "geoproperty"), context);
        return new EntityQuery(
            types?.Select(t => { EntityParser.CheckName(t, "entity type"); return context.Expand(t); }).ToList(),
            ids?.ToHashSet(StringComparer.Ordinal),
            Value(request, "idPattern") is { } pattern ? EntityQuery.ParseIdPattern(pattern) : null,
            q,
            geo,
            attrs?.Select(context.Expand).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>A Query object (clause 5.2.23): entities, attrs, q, geoQ.</summary>
    private static EntityQuery ReadQueryObject(JsonElement body, LdContext context)
    {
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty("type", out var type) || type.GetString() != "Query")
        {
            throw NgsiLdException.BadData("The body must be a Query object: {\"type\": \"Query\", \"entities\": [...], \"q\": ..., \"geoQ\": {...}}.");
        }
        List<string>? types = null;
        HashSet<string>? ids = null;
        System.Text.RegularExpressions.Regex? idPattern = null;
        if (body.TryGetProperty("entities", out var entities))
        {
            if (entities.ValueKind != JsonValueKind.Array)
            {
                throw NgsiLdException.BadData("'entities' must be an array of {type, id, idPattern}.");
            }
            foreach (var selector in entities.EnumerateArray())
            {
                if (selector.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    (types ??= []).Add(context.Expand(t.GetString()!));
                }
                if (selector.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String)
                {
                    (ids ??= new HashSet<string>(StringComparer.Ordinal)).Add(CheckId(i.GetString()!));
                }
                if (selector.TryGetProperty("idPattern", out var p) && p.ValueKind == JsonValueKind.String)
                {
                    idPattern = EntityQuery.ParseIdPattern(p.GetString()!);
                }
            }
        }
        HashSet<string>? attrs = null;
        if (body.TryGetProperty("attrs", out var attrsElement) && attrsElement.ValueKind == JsonValueKind.Array)
        {
            attrs = attrsElement.EnumerateArray().Select(a => context.Expand(a.GetString() ?? "")).ToHashSet(StringComparer.Ordinal);
        }
        var q = body.TryGetProperty("q", out var qElement) && qElement.ValueKind == JsonValueKind.String ? QueryParser.Parse(qElement.GetString()!, context) : null;
        GeoQuery? geo = null;
        if (body.TryGetProperty("geoQ", out var geoQ))
        {
            geo = ReadGeoQ(geoQ, context);
        }
        return new EntityQuery(types, ids, idPattern, q, geo, attrs);
    }

    /// <summary>A GeoQuery object as subscriptions and POST queries carry it: geometry, coordinates (array or string), georel.</summary>
    public static GeoQuery? ReadGeoQ(JsonElement geoQ, LdContext context)
    {
        if (geoQ.ValueKind != JsonValueKind.Object)
        {
            throw NgsiLdException.BadData("'geoQ' must be an object with geometry, coordinates and georel.");
        }
        string? Member(string name) => geoQ.TryGetProperty(name, out var m) ? (m.ValueKind == JsonValueKind.String ? m.GetString() : m.GetRawText()) : null;
        return GeoQuery.Parse(Member("georel"), Member("geometry"), Member("coordinates"), Member("geoproperty"), context);
    }

    private static RenderOptions ReadRenderOptions(HttpRequest request, LdContext context)
    {
        var options = Options(request);
        var format = request.Query["format"].ToString() switch
        {
            "" => options.Contains("keyValues") || options.Contains("simplified") ? EntityFormat.KeyValues
                : options.Contains("concise") ? EntityFormat.Concise : EntityFormat.Normalized,
            "keyValues" or "simplified" => EntityFormat.KeyValues,
            "concise" => EntityFormat.Concise,
            "normalized" => EntityFormat.Normalized,
            var other => throw NgsiLdException.BadData($"format '{EntityParser.Shorten(other)}' is not normalized, concise or keyValues."),
        };
        var omit = Split(request.Query["omit"])?.Select(n => n is "id" or "type" ? n : context.Expand(n)).ToHashSet(StringComparer.Ordinal);
        var pick = ReadPick(request.Query, context, Split(request.Query["attrs"])?.Select(context.Expand).ToHashSet(StringComparer.Ordinal));
        if (pick is not null && omit is not null)
        {
            throw NgsiLdException.BadData("pick and omit cannot be used together.");
        }
        return new RenderOptions(context, format, options.Contains("sysAttrs"), pick, omit, Value(request.Query, "lang"));
    }

    /// <summary>pick names members (id and type included); attrs projects attributes and keeps id and type.</summary>
    private static HashSet<string>? ReadPick(IQueryCollection request, LdContext context, IReadOnlySet<string>? attrs)
    {
        var pick = Split(request["pick"])?.Select(n => n is "id" or "type" ? n : context.Expand(n)).ToHashSet(StringComparer.Ordinal);
        if (pick is not null)
        {
            return pick;
        }
        return attrs is null ? null : [.. attrs, "id", "type", "scope"];
    }

    private static HashSet<string> Options(HttpRequest request)
    {
        var options = Split(request.Query["options"]) ?? [];
        foreach (var option in options)
        {
            if (option is not ("keyValues" or "simplified" or "concise" or "normalized" or "sysAttrs" or "noOverwrite" or "replace" or "update"))
            {
                throw NgsiLdException.BadData($"options '{EntityParser.Shorten(option)}' is not one of keyValues, concise, normalized, sysAttrs, noOverwrite, replace, update.");
            }
        }
        return [.. options];
    }

    private static string GeometryProperty(HttpRequest request, LdContext context) =>
        Value(request.Query, "geometryProperty") is { } name ? context.Expand(name) : CoreContext.NgsiLd + "location";

    private static string? Value(IQueryCollection query, string name) => query[name].ToString() is { Length: > 0 } value ? value : null;

    private static List<string>? Split(Microsoft.Extensions.Primitives.StringValues values) =>
        values.Count == 0 ? null : [.. values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))];

    private static int ReadInt(Microsoft.Extensions.Primitives.StringValues value, string name, int fallback, int minimum)
    {
        if (value.Count == 0)
        {
            return fallback;
        }
        if (!int.TryParse(value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var result) || result < minimum)
        {
            throw NgsiLdException.BadData($"{name} must be a whole number of at least {minimum}, got '{EntityParser.Shorten(value.ToString())}'.");
        }
        return result;
    }
}

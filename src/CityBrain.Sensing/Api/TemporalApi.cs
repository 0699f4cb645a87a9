using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml;
using CityBrain.Kernel.Storage;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;
using CityBrain.Sensing.Queries;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Sensing.Api;

/// <summary>
/// The temporal API of clause 6.18-6.19 (reads): each attribute's history, restricted by timerel, the last N
/// instances, or aggregated by period (avg, min, max, sum, totalCount, distinctCount).
/// </summary>
internal static class TemporalApi
{
    private static readonly string[] AggregationMethods = ["avg", "min", "max", "sum", "totalCount", "distinctCount"];

    private static readonly HashSet<string> Parameters = new(StringComparer.Ordinal)
    {
        "attrs", "timerel", "timeAt", "endTimeAt", "lastN", "options", "format", "aggrMethods", "aggrPeriodDuration", "timeproperty",
        "type", "id", "idPattern", "q", "georel", "geometry", "coordinates", "geoproperty", "limit", "offset", "count", "local",
    };

    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/temporal/entities/{id}", Retrieve);
        group.MapGet("/temporal/entities", Query);
    }

    private static async Task<IResult> Retrieve(string id, HttpContext http, EntityService service, IOperationalStore store, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, Parameters);
        var media = NgsiLdHttp.Negotiate(http.Request, geoJsonAllowed: false);
        var tenant = await NgsiLdHttp.ExistingTenantAsync(http.Request, service.Repository, cancellationToken);
        var context = await NgsiLdHttp.LinkContextAsync(http.Request, resolver, cancellationToken);
        var request = TemporalRequest.Read(http.Request.Query, context);
        var entity = await service.Repository.GetAsync(tenant, id, cancellationToken) ?? throw NgsiLdException.NotFound($"Entity '{id}' was not found.");
        return NgsiLdHttp.Answer(http, await RenderAsync(store, tenant, entity, request, context, cancellationToken), media, context, resolver);
    }

    private static async Task<IResult> Query(HttpContext http, EntityService service, IOperationalStore store, ContextResolver resolver, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, Parameters);
        var media = NgsiLdHttp.Negotiate(http.Request, geoJsonAllowed: false);
        var tenant = await NgsiLdHttp.ExistingTenantAsync(http.Request, service.Repository, cancellationToken);
        var context = await NgsiLdHttp.LinkContextAsync(http.Request, resolver, cancellationToken);
        var request = TemporalRequest.Read(http.Request.Query, context);
        if (http.Request.Query["type"].Count == 0 && http.Request.Query["id"].Count == 0 && http.Request.Query["idPattern"].Count == 0 && http.Request.Query["attrs"].Count == 0)
        {
            throw NgsiLdException.BadData("A temporal query needs type, id, idPattern or attrs.");
        }
        if (request.TimeRel is null)
        {
            throw NgsiLdException.BadData("A temporal query needs timerel and timeAt.");
        }
        var query = EntitiesApi.ReadQuery(http.Request.Query, context);
        var limit = int.TryParse(http.Request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? Math.Min(l, EntitiesApi.MaxLimit) : EntitiesApi.DefaultLimit;
        var offset = int.TryParse(http.Request.Query["offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : 0;
        var entities = (await service.Repository.MatchingAsync(tenant, query, cancellationToken)).OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
        if (http.Request.Query["count"] == "true")
        {
            http.Response.Headers[NgsiLdHttp.ResultsCountHeader] = entities.Count.ToString(CultureInfo.InvariantCulture);
        }
        var result = new JsonArray();
        foreach (var entity in entities.Skip(offset).Take(limit))
        {
            result.Add(await RenderAsync(store, tenant, entity, request, context, cancellationToken));
        }
        return NgsiLdHttp.Answer(http, result, media, context, resolver);
    }

    private static async Task<JsonObject> RenderAsync(IOperationalStore store, string tenant, EntityRecord entity, TemporalRequest request, LdContext context, CancellationToken cancellationToken)
    {
        var sql = "SELECT attribute, observed_at, instance FROM sensing_history WHERE tenant = @tenant AND entity_id = @id";
        if (request.From is not null)
        {
            sql += " AND observed_at >= @from";
        }
        if (request.To is not null)
        {
            sql += " AND observed_at < @to";
        }
        sql += " ORDER BY observed_at";
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Attribute, long ObservedAt, string Instance)>(new CommandDefinition(sql,
            new { tenant, id = entity.Id, from = request.From?.ToUnixTimeMilliseconds(), to = request.To?.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));

        var result = new JsonObject { ["id"] = entity.Id, ["type"] = entity.Types.Length == 1 ? context.Compact(entity.Types[0]) : new JsonArray([.. entity.Types.Select(t => (JsonNode)context.Compact(t))]) };
        foreach (var group in rows.Where(r => request.Attributes is null || request.Attributes.Contains(r.Attribute)).GroupBy(r => r.Attribute, StringComparer.Ordinal))
        {
            var instances = group.Select(r => (At: DateTimeOffset.FromUnixTimeMilliseconds(r.ObservedAt), Instance: JsonNode.Parse(r.Instance)!.AsObject())).ToList();
            if (request.LastN is { } lastN && instances.Count > lastN)
            {
                instances = instances[^lastN..];
            }
            var name = context.Compact(group.Key);
            if (request.Aggregation is { } aggregation)
            {
                result[name] = Aggregate(instances, aggregation, request.From);
            }
            else if (request.TemporalValues)
            {
                result[name] = new JsonObject
                {
                    ["type"] = instances[0].Instance["type"]?.DeepClone(),
                    ["values"] = new JsonArray([.. instances.Select(i => (JsonNode)new JsonArray(i.Instance[EntityRenderer.ValueKey(i.Instance["type"]?.GetValue<string>() ?? "Property")]?.DeepClone(), Timestamps.Format(i.At)))]),
                };
            }
            else
            {
                var options = new RenderOptions(context, EntityFormat.Normalized, SysAttrs: false, null, null);
                result[name] = new JsonArray([.. instances.Select(i => EntityRenderer.RenderAttribute(i.Instance, options))]);
            }
        }
        return result;
    }

    /// <summary>Buckets of one period each, from the start of the time range (or the first instance), with the asked methods.</summary>
    private static JsonObject Aggregate(List<(DateTimeOffset At, JsonObject Instance)> instances, (string[] Methods, TimeSpan? Period) aggregation, DateTimeOffset? from)
    {
        var start = from ?? instances[0].At;
        var result = new JsonObject { ["type"] = "Property" };
        var buckets = aggregation.Period is { } period
            ? instances.GroupBy(i => (long)Math.Floor((i.At - start) / period)).OrderBy(g => g.Key)
                .Select(g => (Start: start + period * g.Key, End: start + period * (g.Key + 1), Items: g.ToList())).ToList()
            : [(Start: start, End: instances[^1].At, Items: instances)];
        foreach (var method in aggregation.Methods)
        {
            var values = new JsonArray();
            foreach (var (bucketStart, bucketEnd, items) in buckets)
            {
                var raw = items.Select(i => i.Instance["value"]).ToList();
                var numbers = raw.OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.Number).Select(v => v.GetValue<double>()).ToList();
                JsonNode? value = method switch
                {
                    "totalCount" => raw.Count,
                    "distinctCount" => raw.Select(v => v?.ToJsonString()).Distinct(StringComparer.Ordinal).Count(),
                    "avg" when numbers.Count > 0 => numbers.Average(),
                    "min" when numbers.Count > 0 => numbers.Min(),
                    "max" when numbers.Count > 0 => numbers.Max(),
                    "sum" => numbers.Sum(),
                    _ => null,
                };
                values.Add(new JsonArray(value, Timestamps.Format(bucketStart), Timestamps.Format(bucketEnd)));
            }
            result[method] = values;
        }
        return result;
    }

    private sealed record TemporalRequest(string? TimeRel, DateTimeOffset? From, DateTimeOffset? To, int? LastN, IReadOnlySet<string>? Attributes, bool TemporalValues, (string[] Methods, TimeSpan? Period)? Aggregation)
    {
        public static TemporalRequest Read(IQueryCollection query, LdContext context)
        {
            var timerel = query["timerel"].ToString() is { Length: > 0 } t ? t : null;
            var timeAt = ReadTime(query, "timeAt");
            var endTimeAt = ReadTime(query, "endTimeAt");
            DateTimeOffset? from = null, to = null;
            switch (timerel)
            {
                case null:
                    break;
                case "before":
                    to = timeAt ?? throw NgsiLdException.BadData("timerel=before needs timeAt.");
                    break;
                case "after":
                    from = timeAt ?? throw NgsiLdException.BadData("timerel=after needs timeAt.");
                    break;
                case "between":
                    from = timeAt ?? throw NgsiLdException.BadData("timerel=between needs timeAt.");
                    to = endTimeAt ?? throw NgsiLdException.BadData("timerel=between needs endTimeAt.");
                    if (to <= from)
                    {
                        throw NgsiLdException.BadData("endTimeAt must be after timeAt.");
                    }
                    break;
                default:
                    throw NgsiLdException.BadData($"timerel '{EntityParser.Shorten(timerel)}' is not before, after or between.");
            }
            int? lastN = null;
            if (query["lastN"].Count > 0)
            {
                lastN = int.TryParse(query["lastN"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                    ? n
                    : throw NgsiLdException.BadData("lastN must be a whole number above 0.");
            }
            var options = query["options"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
            var format = query["format"].ToString();
            var aggregated = options.Contains("aggregatedValues") || format == "aggregatedValues";
            (string[], TimeSpan?)? aggregation = null;
            if (aggregated)
            {
                var methods = query["aggrMethods"].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries);
                if (methods.Length == 0 || methods.Any(m => !AggregationMethods.Contains(m)))
                {
                    throw NgsiLdException.BadData($"aggrMethods must list some of {string.Join(", ", AggregationMethods)}.");
                }
                TimeSpan? period = null;
                if (query["aggrPeriodDuration"].ToString() is { Length: > 0 } duration)
                {
                    try
                    {
                        period = XmlConvert.ToTimeSpan(duration);
                    }
                    catch (FormatException)
                    {
                        throw NgsiLdException.BadData($"aggrPeriodDuration '{EntityParser.Shorten(duration)}' is not an ISO 8601 duration (PT1H, P1D).");
                    }
                    if (period <= TimeSpan.Zero)
                    {
                        throw NgsiLdException.BadData("aggrPeriodDuration must be longer than zero.");
                    }
                }
                aggregation = (methods, period);
            }
            var attrs = query["attrs"].ToString() is { Length: > 0 } a ? a.Split(',').Select(context.Expand).ToHashSet(StringComparer.Ordinal) : null;
            return new TemporalRequest(timerel, from, to, lastN, attrs, options.Contains("temporalValues") || format == "temporalValues", aggregation);
        }

        private static DateTimeOffset? ReadTime(IQueryCollection query, string name)
        {
            if (query[name].ToString() is not { Length: > 0 } text)
            {
                return null;
            }
            return Timestamps.TryParse(text, out var time) ? time : throw NgsiLdException.BadData($"{name} '{EntityParser.Shorten(text)}' is not an ISO 8601 date-time.");
        }
    }
}

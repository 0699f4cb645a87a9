using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;
using CityBrain.Sensing.Subscriptions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Sensing.Api;

/// <summary>The subscription API of clause 6.10-6.11.</summary>
internal static class SubscriptionsApi
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/subscriptions", Create);
        group.MapGet("/subscriptions", List);
        group.MapGet("/subscriptions/{id}", Retrieve);
        group.MapPatch("/subscriptions/{id}", Update);
        group.MapDelete("/subscriptions/{id}", Delete);
    }

    private static async Task<IResult> Create(HttpContext http, SubscriptionStore store, ContextResolver resolver, Notifier notifier, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal));
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: false, cancellationToken);
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw NgsiLdException.BadData("A subscription must be a JSON object.");
        }
        var document = JsonNode.Parse(body.GetRawText())!.AsObject();
        document.Remove("@context");
        var id = document["id"] is JsonValue given
            ? (given.GetValueKind() == JsonValueKind.String && EntityParser.IsUri(given.GetValue<string>()) ? given.GetValue<string>() : throw NgsiLdException.BadData("A subscription id must be a URI."))
            : $"urn:ngsi-ld:Subscription:{Guid.NewGuid():N}";
        document["id"] = id;
        var subscription = Subscription.Parse(tenant, id, document, context);
        await store.SaveAsync(subscription, isNew: true, cancellationToken);
        notifier.Wake();
        return Results.Created($"/ngsi-ld/v1/subscriptions/{Uri.EscapeDataString(id)}", null);
    }

    private static async Task<IResult> List(HttpContext http, SubscriptionStore store, ContextResolver resolver, TimeProvider time, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal) { "limit", "offset", "count" });
        var media = NgsiLdHttp.Negotiate(http.Request, geoJsonAllowed: false);
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var all = await store.AllAsync(tenant, cancellationToken);
        var limit = int.TryParse(http.Request.Query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : EntitiesApi.DefaultLimit;
        var offset = int.TryParse(http.Request.Query["offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var o) ? o : 0;
        if (http.Request.Query["count"] == "true")
        {
            http.Response.Headers[NgsiLdHttp.ResultsCountHeader] = all.Count.ToString(CultureInfo.InvariantCulture);
        }
        var page = all.Skip(offset).Take(Math.Min(limit, EntitiesApi.MaxLimit)).Select(s => (JsonNode)Render(s, store.StatusOf(s), time.GetUtcNow()));
        return NgsiLdHttp.Answer(http, new JsonArray([.. page]), media, LdContext.Core, resolver);
    }

    private static async Task<IResult> Retrieve(string id, HttpContext http, SubscriptionStore store, ContextResolver resolver, TimeProvider time, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal));
        var media = NgsiLdHttp.Negotiate(http.Request, geoJsonAllowed: false);
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var subscription = await store.GetAsync(tenant, id, cancellationToken) ?? throw NgsiLdException.NotFound($"Subscription '{id}' was not found.");
        return NgsiLdHttp.Answer(http, Render(subscription, store.StatusOf(subscription), time.GetUtcNow()), media, subscription.Context, resolver);
    }

    private static async Task<IResult> Update(string id, HttpContext http, SubscriptionStore store, ContextResolver resolver, Notifier notifier, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal));
        var tenant = NgsiLdHttp.Tenant(http.Request);
        var (body, context) = await NgsiLdHttp.ReadBodyAsync(http.Request, resolver, allowMergePatch: true, cancellationToken);
        var existing = await store.GetAsync(tenant, id, cancellationToken) ?? throw NgsiLdException.NotFound($"Subscription '{id}' was not found.");
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw NgsiLdException.BadData("A subscription update must be a JSON object.");
        }
        var document = existing.Document.DeepClone().AsObject();
        foreach (var member in body.EnumerateObject())
        {
            if (member.Name is "@context" or "id" or "type")
            {
                continue;
            }
            if (member.Value.ValueKind == JsonValueKind.Null)
            {
                document.Remove(member.Name);
            }
            else
            {
                document[member.Name] = JsonNode.Parse(member.Value.GetRawText());
            }
        }
        var updated = Subscription.Parse(tenant, id, document, context.IsCoreOnly ? existing.Context : context);
        await store.SaveAsync(updated, isNew: false, cancellationToken);
        notifier.Wake();
        return Results.NoContent();
    }

    private static async Task<IResult> Delete(string id, HttpContext http, SubscriptionStore store, CancellationToken cancellationToken)
    {
        NgsiLdHttp.CheckParameters(http.Request, new HashSet<string>(StringComparer.Ordinal));
        var tenant = NgsiLdHttp.Tenant(http.Request);
        return await store.DeleteAsync(tenant, id, cancellationToken)
            ? Results.NoContent()
            : throw NgsiLdException.NotFound($"Subscription '{id}' was not found.");
    }

    private static JsonObject Render(Subscription subscription, SubscriptionStatus status, DateTimeOffset now)
    {
        var document = subscription.Document.DeepClone().AsObject();
        document["isActive"] = subscription.IsActive;
        document["status"] = subscription.StatusAt(now);
        var notification = document["notification"]?.AsObject() ?? [];
        notification["timesSent"] = status.TimesSent;
        notification["timesFailed"] = status.TimesFailed;
        notification["status"] = status.LastFailure is { } failure && (status.LastSuccess is null || failure > status.LastSuccess) ? "failed" : "ok";
        if (status.LastNotification is { } last)
        {
            notification["lastNotification"] = Timestamps.Format(DateTimeOffset.FromUnixTimeMilliseconds(last));
        }
        if (status.LastSuccess is { } success)
        {
            notification["lastSuccess"] = Timestamps.Format(DateTimeOffset.FromUnixTimeMilliseconds(success));
        }
        if (status.LastFailure is { } failed)
        {
            notification["lastFailure"] = Timestamps.Format(DateTimeOffset.FromUnixTimeMilliseconds(failed));
        }
        return document;
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Api;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;
using CityBrain.Sensing.Queries;

namespace CityBrain.Sensing.Subscriptions;

/// <summary>An entity selector of a subscription (clause 5.2.33): a type, and optionally an id or an id pattern.</summary>
internal sealed record EntitySelector(string Type, string? Id, System.Text.RegularExpressions.Regex? IdPattern)
{
    public bool Matches(EntityRecord entity) =>
        entity.Types.Contains(Type, StringComparer.Ordinal) && (Id is null || Id == entity.Id) && (IdPattern is null || IdPattern.IsMatch(entity.Id));
}

/// <summary>
/// A subscription as the broker evaluates it: the client's document (kept as sent, with its @context) and what was
/// read from it. Immutable: a change builds a new one.
/// </summary>
internal sealed class Subscription
{
    public static readonly string[] DefaultTriggers = ["entityCreated", "entityUpdated", "attributeCreated", "attributeUpdated"];

    private static readonly HashSet<string> KnownTriggers = new(StringComparer.Ordinal)
    {
        "entityCreated", "entityUpdated", "entityDeleted", "attributeCreated", "attributeUpdated", "attributeDeleted",
    };

    private static readonly HashSet<string> Members = new(StringComparer.Ordinal)
    {
        "id", "type", "@context", "subscriptionName", "description", "entities", "watchedAttributes", "notificationTrigger", "q", "geoQ",
        "notification", "expiresAt", "isActive", "throttling", "timeInterval", "lang", "status", "createdAt", "modifiedAt", "jsonldContext",
    };

    public required string Tenant { get; init; }
    public required string Id { get; init; }
    public required JsonObject Document { get; init; }
    public required LdContext Context { get; init; }
    public required IReadOnlyList<EntitySelector> Entities { get; init; }
    public required IReadOnlySet<string>? WatchedAttributes { get; init; }
    public required IReadOnlySet<string> Triggers { get; init; }
    public required QueryExpression? Q { get; init; }
    public required GeoQuery? Geo { get; init; }
    public required Uri Endpoint { get; init; }
    public required string EndpointAccept { get; init; }
    public required EntityFormat Format { get; init; }
    public required bool SysAttrs { get; init; }
    public required IReadOnlySet<string>? Attributes { get; init; }
    public required DateTimeOffset? ExpiresAt { get; init; }
    public required bool IsActive { get; init; }
    public required TimeSpan Throttling { get; init; }
    public required TimeSpan? TimeInterval { get; init; }

    /// <summary>MQTT quality of service of an mqtt:// endpoint (notifierInfo MQTT-QoS), 0 by default.</summary>
    public int MqttQos { get; init; }

    public bool IsMqtt => Endpoint.Scheme is "mqtt" or "mqtts";

    /// <summary>Active, not expired: it notifies.</summary>
    public bool IsLive(DateTimeOffset now) => IsActive && (ExpiresAt is null || ExpiresAt > now);

    public string StatusAt(DateTimeOffset now) => !IsActive ? "paused" : ExpiresAt is { } expires && expires <= now ? "expired" : "active";

    /// <summary>Whether this change of an entity concerns the subscription, and by which trigger.</summary>
    public bool Concerns(EntityChanged change)
    {
        var entity = change.After ?? change.Before;
        if (entity is null || (Entities.Count > 0 && !Entities.Any(s => s.Matches(entity))))
        {
            return false;
        }
        if (change.After is null)
        {
            return Triggers.Contains("entityDeleted");
        }
        var changedAttributes = ChangedAttributes(change.Before, change.After);
        if (change.Before is null)
        {
            if (!Triggers.Contains("entityCreated"))
            {
                return false;
            }
        }
        else
        {
            var created = changedAttributes.Where(a => change.Before.Document[a] is null);
            var updated = changedAttributes.Where(a => change.Before.Document[a] is not null && change.After.Document[a] is not null);
            var deleted = changedAttributes.Where(a => change.After.Document[a] is null);
            var triggered = (Triggers.Contains("attributeCreated") && created.Any(Watched)) ||
                (Triggers.Contains("attributeUpdated") && updated.Any(Watched)) ||
                (Triggers.Contains("attributeDeleted") && deleted.Any(Watched)) ||
                (Triggers.Contains("entityUpdated") && changedAttributes.Any(Watched));
            if (!triggered)
            {
                return false;
            }
        }
        return (Q is null || Q.Matches(change.After)) && (Geo is null || Geo.Matches(change.After));
    }

    private bool Watched(string attribute) => WatchedAttributes is null || WatchedAttributes.Contains(attribute);

    /// <summary>Attributes whose content changed, system timestamps aside.</summary>
    private static List<string> ChangedAttributes(EntityRecord? before, EntityRecord after)
    {
        var names = after.AttributeNames.Union(before?.AttributeNames ?? []).ToList();
        return [.. names.Where(n => !JsonNode.DeepEquals(WithoutTimestamps(before?.Document[n]), WithoutTimestamps(after.Document[n])))];
    }

    private static JsonNode? WithoutTimestamps(JsonNode? attribute)
    {
        if (attribute is null)
        {
            return null;
        }
        var copy = attribute.DeepClone();
        foreach (var instance in EntityRecord.Instances(copy))
        {
            instance.Remove("createdAt");
            instance.Remove("modifiedAt");
        }
        return copy;
    }

    /// <summary>Reads and checks a subscription document; every fault is a 400 that names the member.</summary>
    public static Subscription Parse(string tenant, string id, JsonObject document, LdContext context)
    {
        foreach (var (key, _) in document)
        {
            if (!Members.Contains(key))
            {
                throw NgsiLdException.BadData($"Subscription member '{EntityParser.Shorten(key)}' is not known.");
            }
        }
        if (document["type"]?.GetValue<string>() != "Subscription")
        {
            throw NgsiLdException.BadData("A subscription's type must be 'Subscription'.");
        }
        var element = JsonSerializer.SerializeToElement(document);

        var selectors = new List<EntitySelector>();
        if (element.TryGetProperty("entities", out var entities))
        {
            if (entities.ValueKind != JsonValueKind.Array || entities.GetArrayLength() == 0)
            {
                throw NgsiLdException.BadData("'entities' must be a non-empty array of {type, id?, idPattern?}.");
            }
            foreach (var selector in entities.EnumerateArray())
            {
                if (selector.ValueKind != JsonValueKind.Object || !selector.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                {
                    throw NgsiLdException.BadData("Each entry of 'entities' needs a 'type'.");
                }
                string? selectorId = null;
                if (selector.TryGetProperty("id", out var idElement))
                {
                    selectorId = idElement.ValueKind == JsonValueKind.String && EntityParser.IsUri(idElement.GetString()!)
                        ? idElement.GetString()
                        : throw NgsiLdException.BadData("'entities[].id' must be a URI.");
                }
                var pattern = selector.TryGetProperty("idPattern", out var p) && p.ValueKind == JsonValueKind.String ? EntityQuery.ParseIdPattern(p.GetString()!) : null;
                selectors.Add(new EntitySelector(context.Expand(type.GetString()!), selectorId, pattern));
            }
        }
        HashSet<string>? watched = null;
        if (element.TryGetProperty("watchedAttributes", out var watchedElement))
        {
            if (watchedElement.ValueKind != JsonValueKind.Array || watchedElement.GetArrayLength() == 0 || watchedElement.EnumerateArray().Any(w => w.ValueKind != JsonValueKind.String))
            {
                throw NgsiLdException.BadData("'watchedAttributes' must be a non-empty array of attribute names.");
            }
            watched = [.. watchedElement.EnumerateArray().Select(w => context.Expand(w.GetString()!))];
        }
        if (selectors.Count == 0 && watched is null)
        {
            throw NgsiLdException.BadData("A subscription needs 'entities' or 'watchedAttributes'.");
        }
        var triggers = DefaultTriggers.ToHashSet(StringComparer.Ordinal);
        if (element.TryGetProperty("notificationTrigger", out var triggerElement))
        {
            if (triggerElement.ValueKind != JsonValueKind.Array || triggerElement.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String || !KnownTriggers.Contains(t.GetString()!)))
            {
                throw NgsiLdException.BadData($"'notificationTrigger' must be an array of {string.Join(", ", KnownTriggers)}.");
            }
            triggers = [.. triggerElement.EnumerateArray().Select(t => t.GetString()!)];
        }
        var q = element.TryGetProperty("q", out var qElement)
            ? QueryParser.Parse(qElement.ValueKind == JsonValueKind.String ? qElement.GetString()! : throw NgsiLdException.BadData("'q' must be a string."), context)
            : null;
        var geo = element.TryGetProperty("geoQ", out var geoElement) ? EntitiesApi.ReadGeoQ(geoElement, context) : null;

        if (!element.TryGetProperty("notification", out var notification) || notification.ValueKind != JsonValueKind.Object)
        {
            throw NgsiLdException.BadData("A subscription needs 'notification' with an 'endpoint'.");
        }
        if (!notification.TryGetProperty("endpoint", out var endpoint) || endpoint.ValueKind != JsonValueKind.Object ||
            !endpoint.TryGetProperty("uri", out var uriElement) || uriElement.ValueKind != JsonValueKind.String ||
            !Uri.TryCreate(uriElement.GetString(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "mqtt" or "mqtts"))
        {
            throw NgsiLdException.BadData("'notification.endpoint.uri' must be an http(s):// or mqtt(s):// URI.");
        }
        var accept = endpoint.TryGetProperty("accept", out var acceptElement) ? acceptElement.GetString() ?? "" : "application/json";
        if (accept is not ("application/json" or "application/ld+json"))
        {
            throw NgsiLdException.BadData("'notification.endpoint.accept' must be application/json or application/ld+json.");
        }
        var qos = 0;
        if (endpoint.TryGetProperty("notifierInfo", out var notifierInfo) && notifierInfo.ValueKind == JsonValueKind.Array)
        {
            foreach (var info in notifierInfo.EnumerateArray())
            {
                if (info.TryGetProperty("key", out var key) && key.GetString() == "MQTT-QoS")
                {
                    qos = info.TryGetProperty("value", out var value) && int.TryParse(value.ToString(), out var level) && level is >= 0 and <= 2
                        ? level
                        : throw NgsiLdException.BadData("notifierInfo MQTT-QoS must be 0, 1 or 2.");
                }
            }
        }
        var format = notification.TryGetProperty("format", out var formatElement) ? formatElement.GetString() switch
        {
            "normalized" => EntityFormat.Normalized,
            "concise" => EntityFormat.Concise,
            "keyValues" or "simplified" => EntityFormat.KeyValues,
            _ => throw NgsiLdException.BadData("'notification.format' must be normalized, concise or keyValues."),
        } : EntityFormat.Normalized;
        HashSet<string>? attributes = null;
        if (notification.TryGetProperty("attributes", out var attributesElement))
        {
            if (attributesElement.ValueKind != JsonValueKind.Array || attributesElement.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String))
            {
                throw NgsiLdException.BadData("'notification.attributes' must be an array of attribute names.");
            }
            attributes = [.. attributesElement.EnumerateArray().Select(a => context.Expand(a.GetString()!))];
        }
        var sysAttrs = notification.TryGetProperty("sysAttrs", out var sysAttrsElement) && sysAttrsElement.ValueKind == JsonValueKind.True;

        DateTimeOffset? expiresAt = null;
        if (element.TryGetProperty("expiresAt", out var expiresElement))
        {
            expiresAt = expiresElement.ValueKind == JsonValueKind.String && Timestamps.TryParse(expiresElement.GetString()!, out var expires)
                ? expires
                : throw NgsiLdException.BadData("'expiresAt' must be an ISO 8601 date-time.");
        }
        var isActive = !element.TryGetProperty("isActive", out var activeElement) || activeElement.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw NgsiLdException.BadData("'isActive' must be true or false."),
        };
        var throttling = ReadSeconds(element, "throttling");
        var timeInterval = ReadSeconds(element, "timeInterval");
        if (timeInterval is not null && (watched is not null || throttling is not null))
        {
            throw NgsiLdException.BadData("A periodic subscription (timeInterval) takes neither watchedAttributes nor throttling.");
        }
        if (timeInterval is { } interval && interval <= TimeSpan.Zero)
        {
            throw NgsiLdException.BadData("'timeInterval' must be more than 0 seconds.");
        }
        return new Subscription
        {
            Tenant = tenant,
            Id = id,
            Document = document,
            Context = context,
            Entities = selectors,
            WatchedAttributes = watched,
            Triggers = triggers,
            Q = q,
            Geo = geo,
            Endpoint = uri,
            EndpointAccept = accept,
            Format = format,
            SysAttrs = sysAttrs,
            Attributes = attributes,
            ExpiresAt = expiresAt,
            IsActive = isActive,
            Throttling = throttling ?? TimeSpan.Zero,
            TimeInterval = timeInterval,
            MqttQos = qos,
        };
    }

    private static TimeSpan? ReadSeconds(JsonElement element, string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number && value.GetDouble() >= 0
            ? TimeSpan.FromSeconds(value.GetDouble())
            : throw NgsiLdException.BadData($"'{name}' must be a number of seconds, at least 0.");
    }
}

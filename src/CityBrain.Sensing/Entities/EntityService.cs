using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Api;
using CityBrain.Sensing.Ld;

namespace CityBrain.Sensing.Entities;

/// <summary>Why an attribute of a request was not applied (the notUpdated list of a 207).</summary>
internal sealed record NotUpdated(string AttributeName, string Reason);

/// <summary>The outcome of an attribute operation: applied names, and the others with their reason.</summary>
internal sealed record AttributeUpdateResult(IReadOnlyList<string> Updated, IReadOnlyList<NotUpdated> NotUpdated);

/// <summary>One entity's failure in a batch, as the spec's BatchEntityError.</summary>
internal sealed record BatchError(string EntityId, NgsiLdException Error);

internal sealed record BatchResult(IReadOnlyList<string> Success, IReadOnlyList<BatchError> Errors, IReadOnlyList<string> Created);

/// <summary>
/// The entity operations of clause 5.6 over the repository, independent of HTTP (MQTT ingest uses them too). Each
/// request is validated completely against the state it will change before anything is written.
/// </summary>
internal sealed class EntityService(EntityRepository repository, TimeProvider time)
{
    /// <summary>The value that deletes an attribute in a merge-patch (clause 4.5.0).</summary>
    public const string NullUri = "urn:ngsi-ld:null";

    private string Now() => Timestamps.Format(time.GetUtcNow());

    public EntityRepository Repository => repository;

    public Task<string> CreateAsync(string tenant, EntityWriter writer, JsonElement body, LdContext context, CancellationToken cancellationToken)
    {
        var entity = EntityParser.ParseEntity(body, context, Now());
        var id = entity["id"]!.GetValue<string>();
        return repository.WriteAsync<string>(tenant, writer, get =>
        {
            if (get(id) is not null)
            {
                throw new NgsiLdException(NgsiLdError.AlreadyExists, $"Entity '{id}' already exists.");
            }
            return ([new EntityChange(id, entity)], id);
        }, cancellationToken);
    }

    public Task DeleteAsync(string tenant, EntityWriter writer, string id, CancellationToken cancellationToken) =>
        repository.WriteAsync(tenant, writer, get =>
        {
            writer.Writable(get(id), id);
            return ((IReadOnlyList<EntityChange>)[new EntityChange(id, null)], true);
        }, cancellationToken);

    /// <summary>Replace (PUT): the new entity keeps its id and creation time, every attribute is the new one.</summary>
    public Task ReplaceAsync(string tenant, EntityWriter writer, string id, JsonElement body, LdContext context, CancellationToken cancellationToken)
    {
        var now = Now();
        if (body.ValueKind == JsonValueKind.Object && (body.TryGetProperty("id", out var bodyId) || body.TryGetProperty("@id", out bodyId)) &&
            bodyId.ValueKind == JsonValueKind.String && bodyId.GetString() != id)
        {
            throw NgsiLdException.BadData($"The body's id '{bodyId.GetString()}' differs from the entity '{id}' in the URL.");
        }
        var replacement = new JsonObject { ["id"] = id };
        replacement["type"] = EntityParser.ReadTypes(body, context, required: true);
        var attributes = EntityParser.ParseAttributes(body, context, now);
        return repository.WriteAsync(tenant, writer, get =>
        {
            var existing = writer.Writable(get(id), id);
            replacement["createdAt"] = existing.Document["createdAt"]?.DeepClone();
            replacement["modifiedAt"] = now;
            foreach (var (name, attribute) in attributes)
            {
                replacement[name] = attribute.DeepClone();
            }
            return ((IReadOnlyList<EntityChange>)[new EntityChange(id, replacement)], true);
        }, cancellationToken);
    }

    /// <summary>Merge-patch (clause 5.6.17): new attributes added, existing ones merged, urn:ngsi-ld:null deletes.</summary>
    public Task MergeAsync(string tenant, EntityWriter writer, string id, JsonElement body, LdContext context, CancellationToken cancellationToken)
    {
        var now = Now();
        var fragment = ParseFragment(body, context, now, allowNull: true);
        var types = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("type", out _) ? EntityParser.ReadTypes(body, context, required: false) : null;
        return repository.WriteAsync(tenant, writer, get =>
        {
            var existing = writer.Writable(get(id), id);
            var merged = existing.Document.DeepClone().AsObject();
            MergeTypes(merged, types);
            foreach (var (name, attribute) in fragment)
            {
                if (attribute is null)
                {
                    merged.Remove(name);
                }
                else
                {
                    merged[name] = merged[name] is JsonObject current && attribute is JsonObject patch ? MergeAttribute(current, patch, now) : attribute.DeepClone();
                }
            }
            merged["modifiedAt"] = now;
            return ((IReadOnlyList<EntityChange>)[new EntityChange(id, merged)], true);
        }, cancellationToken);
    }

    /// <summary>Append (POST .../attrs): adds attributes, overwriting existing ones unless <paramref name="noOverwrite"/>.</summary>
    public Task<AttributeUpdateResult> AppendAsync(string tenant, EntityWriter writer, string id, JsonElement body, LdContext context, bool noOverwrite, CancellationToken cancellationToken)
    {
        var now = Now();
        var attributes = EntityParser.ParseAttributes(body, context, now);
        var types = body.TryGetProperty("type", out _) ? EntityParser.ReadTypes(body, context, required: false) : null;
        return repository.WriteAsync<AttributeUpdateResult>(tenant, writer, get =>
        {
            var existing = writer.Writable(get(id), id);
            var document = existing.Document.DeepClone().AsObject();
            MergeTypes(document, types);
            var updated = new List<string>();
            var notUpdated = new List<NotUpdated>();
            foreach (var (name, attribute) in attributes)
            {
                if (noOverwrite && document.ContainsKey(name))
                {
                    notUpdated.Add(new NotUpdated(context.Compact(name), "The attribute exists and noOverwrite was asked."));
                    continue;
                }
                document[name] = AppendInstances(document[name], attribute);
                updated.Add(context.Compact(name));
            }
            document["modifiedAt"] = now;
            return (updated.Count > 0 || types is not null ? [new EntityChange(id, document)] : [], new AttributeUpdateResult(updated, notUpdated));
        }, cancellationToken);
    }

    /// <summary>Update (PATCH .../attrs): replaces attributes that exist; the others are reported, not added.</summary>
    public Task<AttributeUpdateResult> UpdateAttributesAsync(string tenant, EntityWriter writer, string id, JsonElement body, LdContext context, CancellationToken cancellationToken)
    {
        var now = Now();
        var attributes = EntityParser.ParseAttributes(body, context, now);
        return repository.WriteAsync<AttributeUpdateResult>(tenant, writer, get =>
        {
            var existing = writer.Writable(get(id), id);
            var document = existing.Document.DeepClone().AsObject();
            var updated = new List<string>();
            var notUpdated = new List<NotUpdated>();
            foreach (var (name, attribute) in attributes)
            {
                if (!document.ContainsKey(name))
                {
                    notUpdated.Add(new NotUpdated(context.Compact(name), "The entity has no such attribute."));
                    continue;
                }
                document[name] = WithCreatedAt(document[name], attribute);
                updated.Add(context.Compact(name));
            }
            document["modifiedAt"] = now;
            return (updated.Count > 0 ? [new EntityChange(id, document)] : [], new AttributeUpdateResult(updated, notUpdated));
        }, cancellationToken);
    }

    /// <summary>Partial attribute update (PATCH .../attrs/{attr}): the given members of one attribute change, the rest stay.</summary>
    public Task PatchAttributeAsync(string tenant, EntityWriter writer, string id, string attributeName, JsonElement body, LdContext context, CancellationToken cancellationToken)
    {
        var now = Now();
        EntityParser.CheckName(attributeName, "attribute");
        var name = context.Expand(attributeName);
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw NgsiLdException.BadData("The body must be a JSON object with the attribute's members to change.");
        }
        return repository.WriteAsync(tenant, writer, get =>
        {
            var existing = writer.Writable(get(id), id);
            if (existing.Document[name] is not JsonObject current)
            {
                throw NgsiLdException.NotFound($"Entity '{id}' has no attribute '{attributeName}'.");
            }
            // Validate the patch as a whole attribute of the existing type, so a value of the wrong kind is refused.
            var typed = JsonNode.Parse(body.GetRawText())!.AsObject();
            typed["type"] ??= current["type"]?.DeepClone();
            if (typed["value"] is null && typed["object"] is null && typed["languageMap"] is null)
            {
                typed["value"] = current["value"]?.DeepClone();
                typed["object"] ??= current["object"]?.DeepClone();
                foreach (var key in typed.Where(p => p.Value is null).Select(p => p.Key).ToList())
                {
                    typed.Remove(key);
                }
            }
            var patch = EntityParser.ParseAttribute(attributeName, name, JsonSerializer.SerializeToElement(typed), context, now);
            var document = existing.Document.DeepClone().AsObject();
            document[name] = MergeAttribute(current, patch, now);
            document["modifiedAt"] = now;
            return ((IReadOnlyList<EntityChange>)[new EntityChange(id, document)], true);
        }, cancellationToken);
    }

    /// <summary>Replace attribute (PUT .../attrs/{attr}).</summary>
    public Task ReplaceAttributeAsync(string tenant, EntityWriter writer, string id, string attributeName, JsonElement body, LdContext context, CancellationToken cancellationToken)
    {
        var now = Now();
        EntityParser.CheckName(attributeName, "attribute");
        var name = context.Expand(attributeName);
        var attribute = EntityParser.ParseAttributeOrInstances(attributeName, name, body, context, now);
        return repository.WriteAsync(tenant, writer, get =>
        {
            var existing = writer.Writable(get(id), id);
            if (!existing.Document.ContainsKey(name))
            {
                throw NgsiLdException.NotFound($"Entity '{id}' has no attribute '{attributeName}'.");
            }
            var document = existing.Document.DeepClone().AsObject();
            document[name] = WithCreatedAt(document[name], attribute);
            document["modifiedAt"] = now;
            return ((IReadOnlyList<EntityChange>)[new EntityChange(id, document)], true);
        }, cancellationToken);
    }

    public Task DeleteAttributeAsync(string tenant, EntityWriter writer, string id, string attributeName, string? datasetId, bool deleteAll, LdContext context, CancellationToken cancellationToken)
    {
        var now = Now();
        var name = context.Expand(attributeName);
        return repository.WriteAsync(tenant, writer, get =>
        {
            var existing = writer.Writable(get(id), id);
            var current = existing.Document[name] ?? throw NgsiLdException.NotFound($"Entity '{id}' has no attribute '{attributeName}'.");
            var document = existing.Document.DeepClone().AsObject();
            if (deleteAll)
            {
                document.Remove(name);
            }
            else
            {
                var instances = EntityRecord.Instances(current).ToList();
                var keep = instances.Where(i => (i["datasetId"]?.GetValue<string>()) != datasetId).Select(i => i.DeepClone()).ToList();
                if (keep.Count == instances.Count)
                {
                    throw NgsiLdException.NotFound($"Attribute '{attributeName}' of '{id}' has no instance with datasetId '{datasetId ?? "(default)"}'.");
                }
                if (keep.Count == 0)
                {
                    document.Remove(name);
                }
                else
                {
                    document[name] = keep.Count == 1 ? keep[0] : new JsonArray([.. keep]);
                }
            }
            document["modifiedAt"] = now;
            return ((IReadOnlyList<EntityChange>)[new EntityChange(id, document)], true);
        }, cancellationToken);
    }

    /// <summary>
    /// Batch create/upsert/update/merge (clause 5.6.7-5.6.10, 5.6.20): each entity succeeds or fails on its own and
    /// whole; the successful ones are written in one transaction.
    /// </summary>
    public Task<BatchResult> BatchAsync(string tenant, EntityWriter writer, string operation, JsonElement body, LdContext defaultContext, Func<JsonElement, LdContext> contextOf, bool replace, bool noOverwrite, CancellationToken cancellationToken)
    {
        if (body.ValueKind != JsonValueKind.Array)
        {
            throw NgsiLdException.BadData("A batch operation takes a JSON array.");
        }
        var now = Now();
        // Each entity is parsed once, here; the plan below uses what was parsed (the batch is the hot path of MQTT ingest).
        var parsed = new List<(string? Id, JsonElement Body, LdContext Context, JsonObject? Entity, NgsiLdException? Error)>();
        foreach (var item in body.EnumerateArray())
        {
            string? id = null;
            try
            {
                if (operation == "delete")
                {
                    id = item.ValueKind == JsonValueKind.String && EntityParser.IsUri(item.GetString()!)
                        ? item.GetString()
                        : throw NgsiLdException.BadData($"A batch delete takes entity ids (URIs), got {EntityParser.Shorten(item.GetRawText())}.");
                    parsed.Add((id, item, defaultContext, null, null));
                    continue;
                }
                id = EntityParser.ReadId(item);
                var context = contextOf(item);
                JsonObject entity;
                if (operation is "create" or "upsert")
                {
                    entity = EntityParser.ParseEntity(item, context, now);
                }
                else
                {
                    entity = [];
                    foreach (var (name, attribute) in EntityParser.ParseAttributes(item, context, now))
                    {
                        entity[name] = attribute;
                    }
                }
                parsed.Add((id, item, context, entity, null));
            }
            catch (NgsiLdException e)
            {
                parsed.Add((id ?? (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var raw) ? raw.ToString() : ""), item, defaultContext, null, e));
            }
        }

        return repository.WriteAsync<BatchResult>(tenant, writer, get =>
        {
            var changes = new Dictionary<string, EntityChange>(StringComparer.Ordinal);
            // An entity named again later in the batch: the documents it passed through, for the temporal history.
            var earlier = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
            var success = new List<string>();
            var created = new List<string>();
            var errors = new List<BatchError>();
            // An entity written earlier in the batch has the owner it will have after the write.
            EntityRecord? Current(string id) => changes.TryGetValue(id, out var change)
                ? (change.Document is null ? null : new EntityRecord(change.Document, get(id) is { } before ? before.Owner : writer.Owner))
                : get(id);
            foreach (var (id, item, context, entity, error) in parsed)
            {
                if (error is not null)
                {
                    errors.Add(new BatchError(id!, error));
                    continue;
                }
                try
                {
                    var existing = Current(id!);
                    if (existing is not null)
                    {
                        writer.CheckMayWrite(existing);
                    }
                    JsonObject? document;
                    switch (operation)
                    {
                        case "create":
                            document = existing is null
                                ? entity!
                                : throw new NgsiLdException(NgsiLdError.AlreadyExists, $"Entity '{id}' already exists.");
                            created.Add(id!);
                            break;
                        case "upsert":
                            if (existing is null)
                            {
                                document = entity!;
                                created.Add(id!);
                            }
                            else if (replace)
                            {
                                document = entity!;
                                document["createdAt"] = existing.Document["createdAt"]?.DeepClone();
                            }
                            else
                            {
                                document = ApplyUpdate(existing.Document, item, context, AttributesOf(entity!), noOverwrite: false, now);
                            }
                            break;
                        case "update":
                            document = ApplyUpdate((existing ?? throw NgsiLdException.NotFound($"Entity '{id}' was not found.")).Document, item, context, AttributesOf(entity!), noOverwrite, now);
                            break;
                        case "merge":
                            var merged = (existing ?? throw NgsiLdException.NotFound($"Entity '{id}' was not found.")).Document.DeepClone().AsObject();
                            foreach (var (name, attribute) in ParseFragment(item, context, now, allowNull: true))
                            {
                                if (attribute is null)
                                {
                                    merged.Remove(name);
                                }
                                else
                                {
                                    merged[name] = merged[name] is JsonObject current && attribute is JsonObject patch ? MergeAttribute(current, patch, now) : attribute.DeepClone();
                                }
                            }
                            merged["modifiedAt"] = now;
                            document = merged;
                            break;
                        case "delete":
                            document = existing is null ? throw NgsiLdException.NotFound($"Entity '{id}' was not found.") : null;
                            break;
                        default:
                            throw NgsiLdException.BadData($"Unknown batch operation '{operation}'.");
                    }
                    if (changes.TryGetValue(id!, out var previous) && previous.Document is { } passed)
                    {
                        (earlier.TryGetValue(id!, out var steps) ? steps : earlier[id!] = []).Add(passed);
                    }
                    changes[id!] = new EntityChange(id!, document);
                    success.Add(id!);
                }
                catch (NgsiLdException e)
                {
                    errors.Add(new BatchError(id!, e));
                }
            }
            return ([.. changes.Values.Select(c => earlier.TryGetValue(c.Id, out var steps) ? c with { Earlier = steps } : c)], new BatchResult(success, errors, created));
        }, cancellationToken);
    }

    /// <summary>Batch update and upsert of an existing entity: the parsed attributes replace (or, with noOverwrite, spare) the existing ones.</summary>
    private static JsonObject ApplyUpdate(JsonObject existing, JsonElement item, LdContext context, IEnumerable<KeyValuePair<string, JsonNode?>> attributes, bool noOverwrite, string now)
    {
        var document = existing.DeepClone().AsObject();
        if (item.TryGetProperty("type", out _))
        {
            MergeTypes(document, EntityParser.ReadTypes(item, context, required: false));
        }
        foreach (var (name, attribute) in attributes)
        {
            if (noOverwrite && document.ContainsKey(name))
            {
                continue;
            }
            document[name] = WithCreatedAt(document[name], attribute!);
        }
        document["modifiedAt"] = now;
        return document;
    }

    /// <summary>The attributes of a parsed entity or fragment (its entity members left out).</summary>
    private static IEnumerable<KeyValuePair<string, JsonNode?>> AttributesOf(JsonObject parsed) =>
        parsed.Where(member => !CoreContext.EntityMembers.Contains(member.Key));

    /// <summary>A merge-patch fragment: attributes parsed, urn:ngsi-ld:null (or a null) meaning removal.</summary>
    private static List<(string Name, JsonNode? Attribute)> ParseFragment(JsonElement body, LdContext context, string now, bool allowNull)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw NgsiLdException.BadData("The request body must be a JSON object.");
        }
        var result = new List<(string, JsonNode?)>();
        foreach (var member in body.EnumerateObject())
        {
            if (CoreContext.EntityMembers.Contains(member.Name))
            {
                continue;
            }
            EntityParser.CheckName(member.Name, "attribute");
            var name = context.Expand(member.Name);
            if (allowNull && IsNull(member.Value))
            {
                result.Add((name, null));
                continue;
            }
            result.Add((name, EntityParser.ParseAttributeOrInstances(member.Name, name, member.Value, context, now)));
        }
        return result;
    }

    private static bool IsNull(JsonElement value) =>
        value.ValueKind == JsonValueKind.Null ||
        (value.ValueKind == JsonValueKind.String && value.GetString() == NullUri) ||
        (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("value", out var v) && v.ValueKind == JsonValueKind.String && v.GetString() == NullUri) ||
        (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("object", out var o) && o.ValueKind == JsonValueKind.String && o.GetString() == NullUri);

    private static JsonObject MergeAttribute(JsonObject current, JsonObject patch, string now)
    {
        var merged = current.DeepClone().AsObject();
        foreach (var (key, value) in patch)
        {
            if (key == "createdAt")
            {
                continue;
            }
            merged[key] = value is JsonObject sub && merged[key] is JsonObject existingSub && key.Contains(':', StringComparison.Ordinal)
                ? MergeAttribute(existingSub, sub, now)
                : value?.DeepClone();
        }
        merged["modifiedAt"] = now;
        return merged;
    }

    /// <summary>An attribute that replaces another keeps the other's creation time.</summary>
    /// <summary>
    /// Append works per instance (clause 5.6.3): an appended instance replaces the one with the same datasetId (or the
    /// default instance, without one); instances of other datasetIds are kept.
    /// </summary>
    private static JsonNode AppendInstances(JsonNode? previous, JsonNode appended)
    {
        if (previous is null)
        {
            return appended.DeepClone();
        }
        var instances = (previous is JsonArray many ? [.. many.Select(i => i!)] : new List<JsonNode> { previous }).Select(i => i.DeepClone()).ToList();
        foreach (var instance in appended is JsonArray list ? [.. list.Select(i => i!)] : new List<JsonNode> { appended })
        {
            var same = instances.FindIndex(i => DatasetOf(i) == DatasetOf(instance));
            if (same >= 0)
            {
                instances[same] = WithCreatedAt(instances[same], instance);
            }
            else
            {
                instances.Add(instance.DeepClone());
            }
        }
        return instances.Count == 1 ? instances[0] : new JsonArray([.. instances]);
    }

    private static string? DatasetOf(JsonNode instance) => instance["datasetId"]?.GetValue<string>();

    private static JsonNode WithCreatedAt(JsonNode? previous, JsonNode replacement)
    {
        var copy = replacement.DeepClone();
        if (previous is JsonObject old && copy is JsonObject fresh && old["createdAt"] is { } createdAt)
        {
            fresh["createdAt"] = createdAt.DeepClone();
        }
        return copy;
    }

    private static void MergeTypes(JsonObject document, JsonNode? types)
    {
        if (types is not JsonArray added || added.Count == 0)
        {
            return;
        }
        var current = document["type"] as JsonArray ?? [];
        foreach (var type in added)
        {
            if (!current.Any(t => t!.GetValue<string>() == type!.GetValue<string>()))
            {
                current.Add(type!.GetValue<string>());
            }
        }
        document["type"] = current.DeepClone();
    }
}

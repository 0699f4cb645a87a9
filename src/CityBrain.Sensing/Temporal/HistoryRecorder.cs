using System.Data.Common;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Entities;
using CityBrain.Sensing.Ld;
using Dapper;

namespace CityBrain.Sensing.Temporal;

/// <summary>
/// Keeps every attribute instance that a write creates or changes (the temporal representation of clause 4.5.7), in
/// the write's own transaction. An instance is dated by its observedAt, else by the time of the write.
/// </summary>
internal sealed class HistoryRecorder : IEntityChangeListener
{
    public async Task OnWritingAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<EntityChanged> changes, CancellationToken cancellationToken)
    {
        var rows = new List<object>();
        foreach (var change in changes)
        {
            if (change.After is not { } after)
            {
                continue;
            }
            // Every step of the write is history: a batch that names the entity several times (readings of one device
            // in one ingest batch) keeps each reading, not only the last.
            var previous = change.Before?.Document;
            foreach (var step in change.Earlier.Append(after.Document))
            {
                AddRows(rows, change.Tenant, after.Id, previous, step);
                previous = step;
            }
        }
        if (rows.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO sensing_history (tenant, entity_id, attribute, observed_at, instance) VALUES (@tenant, @entity, @attribute, @at, @instance)",
                rows, transaction, cancellationToken: cancellationToken));
        }
    }

    /// <summary>The instances that <paramref name="after"/> created or changed since <paramref name="before"/>.</summary>
    private static void AddRows(List<object> rows, string tenant, string entityId, JsonObject? before, JsonObject after)
    {
        foreach (var (name, current) in after.Where(member => !CoreContext.EntityMembers.Contains(member.Key)))
        {
            var previous = before?[name];
            foreach (var instance in EntityRecord.Instances(current))
            {
                var dataset = instance["datasetId"]?.GetValue<string>();
                var old = EntityRecord.Instances(previous).FirstOrDefault(i => i["datasetId"]?.GetValue<string>() == dataset);
                // Instances this write did not touch (another attribute of the entity changed) are not new history.
                if (old is not null && JsonNode.DeepEquals(old, instance))
                {
                    continue;
                }
                var at = instance["observedAt"]?.GetValue<string>() ?? instance["modifiedAt"]?.GetValue<string>() ?? after["modifiedAt"]?.GetValue<string>() ?? "";
                Timestamps.TryParse(at, out var observedAt);
                rows.Add(new
                {
                    tenant,
                    entity = entityId,
                    attribute = name,
                    at = observedAt.ToUnixTimeMilliseconds(),
                    instance = Strip(instance).ToJsonString(),
                });
            }
        }
    }

    public void OnCommitted(IReadOnlyList<EntityChanged> changes)
    {
    }

    private static JsonObject Strip(JsonObject instance)
    {
        var copy = instance.DeepClone().AsObject();
        copy.Remove("createdAt");
        return copy;
    }
}

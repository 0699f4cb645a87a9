using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Identifiers;

namespace CityBrain.Hub.Gateway;

/// <summary>
/// Applies a grant to a provider's JSON answer: a property leaves the hub only if it is a declared field the grant
/// releases; released-masked fields are masked. Field names are dotted paths with arrays transparent.
/// Default deny: whatever the provider adds that nobody declared never reaches the consumer.
/// </summary>
internal sealed class ResponseFilter
{
    private const int MaxSubjects = 1000;

    private readonly Dictionary<string, InterfaceField> _fields;
    private readonly HashSet<string> _clear;
    private readonly HashSet<string> _masked;
    private readonly HashSet<string> _containers = new(StringComparer.Ordinal);

    public ResponseFilter(RegisteredInterface registered, Grant grant)
    {
        _fields = registered.Fields.ToDictionary(f => f.Name, StringComparer.Ordinal);
        _clear = grant.Fields.Where(_fields.ContainsKey).ToHashSet(StringComparer.Ordinal);
        _masked = grant.MaskedFields.Where(f => _fields.ContainsKey(f) && !_clear.Contains(f)).ToHashSet(StringComparer.Ordinal);
        // Every prefix of a released field is a container worth descending into.
        foreach (var name in _clear.Concat(_masked))
        {
            for (var dot = name.IndexOf('.', StringComparison.Ordinal); dot > 0; dot = name.IndexOf('.', dot + 1))
            {
                _containers.Add(name[..dot]);
            }
        }
    }

    public HashSet<string> ReturnedClear { get; } = new(StringComparer.Ordinal);

    public HashSet<string> ReturnedMasked { get; } = new(StringComparer.Ordinal);

    /// <summary>Resident IDs whose data left the hub in this answer (clear or masked), for the citizen's data tracker.</summary>
    public HashSet<string> Subjects { get; } = new(StringComparer.Ordinal);

    public JsonNode? Apply(JsonNode? node) => Filter(node, "");

    private JsonNode? Filter(JsonNode? node, string path)
    {
        switch (node)
        {
            case JsonArray array:
                var filtered = new JsonArray();
                foreach (var element in array)
                {
                    var kept = Filter(element, path);
                    if (kept is not null || element is null)
                    {
                        filtered.Add(kept);
                    }
                }
                return filtered;
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    var childPath = path.Length == 0 ? name : $"{path}.{name}";
                    if (_clear.Contains(childPath))
                    {
                        Collect(childPath, value);
                        ReturnedClear.Add(childPath);
                        result[name] = value?.DeepClone();
                    }
                    else if (_masked.Contains(childPath))
                    {
                        Collect(childPath, value);
                        ReturnedMasked.Add(childPath);
                        result[name] = MaskAll(value, _fields[childPath].Mask);
                    }
                    else if (_containers.Contains(childPath) && value is JsonObject or JsonArray)
                    {
                        result[name] = Filter(value, childPath);
                    }
                    else if (_fields.TryGetValue(childPath, out var withheld) && withheld.Mask == "resident-id")
                    {
                        // Withheld, yet it names whose record the released fields beside it belong to.
                        Collect(childPath, value);
                    }
                }
                return result;
            default:
                // A bare scalar at the root or in an array: only a released field can be one, and none is named "".
                return null;
        }
    }

    private JsonNode? MaskAll(JsonNode? value, string? kind) => value switch
    {
        null => null,
        JsonArray array => new JsonArray(array.Select(v => MaskAll(v, kind)).ToArray()),
        JsonObject obj => new JsonObject(obj.Select(kv => KeyValuePair.Create(kv.Key, MaskAll(kv.Value, kind)))),
        JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String => JsonValue.Create(Masking.Mask(scalar.GetValue<string>(), kind)),
        _ => JsonValue.Create("****"),
    };

    private void Collect(string path, JsonNode? value)
    {
        if (Subjects.Count >= MaxSubjects)
        {
            return;
        }
        var declared = _fields[path].Mask;
        switch (value)
        {
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String:
                var text = scalar.GetValue<string>();
                if ((declared is null or "resident-id") && ResidentId.TryParse(text, out var id, out _))
                {
                    Subjects.Add(id.Value);
                }
                break;
            case JsonArray array:
                foreach (var element in array)
                {
                    Collect(path, element);
                }
                break;
        }
    }
}

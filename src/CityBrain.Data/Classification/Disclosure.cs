using System.Text.Json;
using CityBrain.Hub.Gateway;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Sharing;
using DuckDB.NET.Data;

namespace CityBrain.Data.Classification;

/// <summary>
/// A field as it leaves the hub now: its level and mask kind from the owner's confirmed classification where there is
/// one, else from the registry's declaration; and when the owner confirmed it.
/// </summary>
internal sealed record DisclosedField(string Name, FieldLevel Level, string? Mask, FieldLevel DeclaredLevel, DateTimeOffset? ConfirmedAt)
{
    public bool IsPersonal => Level >= FieldLevel.Personal;

    /// <summary>
    /// The owner raised the field to a personal level above the registry's after <paramref name="grantedAt"/>: a grant
    /// decided then released it in clear as the lesser thing it was, not as personal data.
    /// </summary>
    public bool RaisedToPersonalSince(DateTimeOffset grantedAt) => IsPersonal && Level > DeclaredLevel && ConfirmedAt > grantedAt;
}

/// <summary>
/// What of a dataset may leave the hub, and how: the one place where classification levels (分类分级) turn into masking
/// for every query result and export (governed queries, profiles, catalog samples, open-data downloads, DCAT). Values
/// are masked with the hub's <see cref="Masking"/>. Read afresh for every query, so an owner's re-classification
/// applies to the next one.
/// </summary>
internal sealed class Disclosure
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly Dictionary<string, DisclosedField> _fields;

    private Disclosure(Dictionary<string, DisclosedField> fields) => _fields = fields;

    public IReadOnlyCollection<DisclosedField> Fields => _fields.Values;

    public DisclosedField? this[string name] => _fields.GetValueOrDefault(name);

    /// <summary>The highest level of any field: the dataset's classification.</summary>
    public FieldLevel Highest => _fields.Count == 0 ? FieldLevel.Public : _fields.Values.Max(f => f.Level);

    /// <summary>The disclosure of one dataset, with the owner's confirmed classifications read from the lake now.</summary>
    public static async Task<Disclosure> LoadAsync(DuckDBConnection lake, Dataset dataset, CancellationToken cancellationToken) =>
        (await LoadAllAsync(lake, [dataset], cancellationToken))[dataset.Code];

    /// <summary>The disclosure of each dataset (by registry code), in one read of the confirmed classifications.</summary>
    public static async Task<IReadOnlyDictionary<string, Disclosure>> LoadAllAsync(DuckDBConnection lake, IReadOnlyList<Dataset> datasets, CancellationToken cancellationToken)
    {
        var confirmed = new Dictionary<(string View, string Column), ColumnClassification>();
        await using (var command = lake.CreateCommand())
        {
            command.CommandText = "SELECT dataset, \"column\", classification_json FROM classification_columns WHERE confirmed";
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                confirmed[(reader.GetString(0), reader.GetString(1))] = JsonSerializer.Deserialize<ColumnClassification>(reader.GetString(2), Json)!;
            }
        }
        return datasets.ToDictionary(d => d.Code, d =>
        {
            var view = Lake.Lake.ViewName(d.Code);
            return new Disclosure(d.Fields.ToDictionary(f => f.Name, f => confirmed.TryGetValue((view, f.Name), out var c)
                ? new DisclosedField(f.Name, c.FieldLevelOver(f.Level), c.Mask ?? f.Mask, f.Level, c.ConfirmedAt)
                : new DisclosedField(f.Name, f.Level, f.Mask, f.Level, null), StringComparer.Ordinal));
        }, StringComparer.Ordinal);
    }

    /// <summary>
    /// Whether a grant releases the field in clear: it names the field among its clear fields, and the owner has not
    /// raised the field to a personal level since the grant was decided. Fields the grant releases masked stay masked.
    /// </summary>
    public bool IsClearUnder(Grant grant, string field) =>
        grant.Fields.Contains(field) && !(this[field]?.RaisedToPersonalSince(grant.GrantedAt) ?? false);

    /// <summary>A value for a consumer under a grant: clear or masked as <see cref="IsClearUnder"/> says.</summary>
    public string? UnderGrant(Grant grant, string field, string? value) =>
        value is null || IsClearUnder(grant, field) ? value : Mask(field, value);

    /// <summary>
    /// A value that leaves under no grant to people entitled to what is not personal: open-data downloads (数据开放, no
    /// login) and the record keys of quality problems sent to units. Personal and sensitive-personal fields (and
    /// undeclared ones) masked.
    /// </summary>
    public string? PersonalMasked(string field, string? value) =>
        value is null || this[field] is { IsPersonal: false } ? value : Mask(field, value);

    /// <summary>A value of the catalog's sample (any signed-in user, no grant): every field that is not public masked.</summary>
    public string? ForSample(string field, string? value) =>
        value is null || this[field]?.Level == FieldLevel.Public ? value : Mask(field, value);

    private string Mask(string field, string value) => Masking.Mask(value, this[field]?.Mask);
}

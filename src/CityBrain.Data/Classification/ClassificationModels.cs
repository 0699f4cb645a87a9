using System.Text.Json.Serialization;
using CityBrain.Hub.Registry;

namespace CityBrain.Data.Classification;

/// <summary>Data level (数据分级) under the Data Security Law: general, important, core.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DataLevel>))]
public enum DataLevel
{
    [JsonStringEnumMemberName("general")] General,
    [JsonStringEnumMemberName("important")] Important,
    [JsonStringEnumMemberName("core")] Core,
}

/// <summary>Personal-information level under PIPL and GB/T 35273: not personal, personal, sensitive personal.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PersonalLevel>))]
public enum PersonalLevel
{
    [JsonStringEnumMemberName("none")] None,
    [JsonStringEnumMemberName("personal")] Personal,
    [JsonStringEnumMemberName("sensitive-personal")] SensitivePersonal,
}

/// <summary>What a column holds, as far as its name and its values tell.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PersonalCategory>))]
public enum PersonalCategory
{
    [JsonStringEnumMemberName("none")] None,
    [JsonStringEnumMemberName("resident-id")] ResidentId,
    [JsonStringEnumMemberName("phone")] Phone,
    [JsonStringEnumMemberName("bank-card")] BankCard,
    [JsonStringEnumMemberName("name")] Name,
    [JsonStringEnumMemberName("address")] Address,
    [JsonStringEnumMemberName("coordinates")] Coordinates,
    [JsonStringEnumMemberName("health")] Health,
}

/// <summary>
/// The classification of one column: what it holds, the proposed levels and mask kind, why (evidence) and how sure
/// (confidence 0-1), and whether, by whom and when its owner confirmed it (a confirmed classification is what masking applies).
/// </summary>
public sealed record ColumnClassification(
    string Dataset,
    string Column,
    PersonalCategory Category,
    PersonalLevel PersonalLevel,
    DataLevel DataLevel,
    string? Mask,
    double Confidence,
    IReadOnlyList<string> Evidence,
    bool Confirmed = false,
    string? ConfirmedBy = null,
    DateTimeOffset? ConfirmedAt = null)
{
    /// <summary>
    /// The hub's field level for this column, given the level the registry declares: personal levels as confirmed; a
    /// column confirmed not personal keeps a declared level below personal, else becomes internal.
    /// </summary>
    public FieldLevel FieldLevelOver(FieldLevel declared) => PersonalLevel switch
    {
        PersonalLevel.SensitivePersonal => FieldLevel.SensitivePersonal,
        PersonalLevel.Personal => FieldLevel.Personal,
        _ => declared < FieldLevel.Personal ? declared : FieldLevel.Internal,
    };
}

/// <summary>The owner's decision on a proposed classification; levels left out keep the proposal.</summary>
public sealed record ClassificationConfirmation(PersonalLevel? PersonalLevel = null, DataLevel? DataLevel = null, string? Mask = null);

using System.Text.Json.Serialization;

namespace CityBrain.Hub.Registry;

/// <summary>How personal a response field is; decides what a grant must say before it leaves the hub in clear.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FieldLevel>))]
public enum FieldLevel
{
    [JsonStringEnumMemberName("public")] Public,
    [JsonStringEnumMemberName("internal")] Internal,
    [JsonStringEnumMemberName("personal")] Personal,
    [JsonStringEnumMemberName("sensitive-personal")] SensitivePersonal,
}

/// <summary>Sharing type of a resource (无条件共享 / 有条件共享 / 不予共享).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SharingType>))]
public enum SharingType
{
    [JsonStringEnumMemberName("unconditional")] Unconditional,
    [JsonStringEnumMemberName("conditional")] Conditional,
    [JsonStringEnumMemberName("not-shared")] NotShared,
}

/// <summary>A department (委办局) or other unit. <see cref="Parent"/> is its superior unit, if any.</summary>
public sealed record Unit(string Code, string Name, string DivisionCode, string? Parent);

/// <summary>
/// How the hub authenticates to a provider system: a header with a secret value (API key, Basic, Bearer).
/// The value is a secret: stored, never returned by the API, never logged.
/// </summary>
public sealed record ProviderCredentials(string Header, string Value);

/// <summary>A department system the hub connects to. Consumers reach it only through the gateway.</summary>
public sealed record RegisteredSystem(
    string Code,
    string Unit,
    string Name,
    string BaseUrl,
    ProviderCredentials? Credentials,
    int TimeoutMs);

/// <summary>
/// A response field. <see cref="Name"/> is a dotted path from the response root with arrays transparent
/// (<c>data.XM</c> names <c>XM</c> in every element of <c>data</c>). <see cref="Mask"/> names how it is masked
/// when a grant releases it only masked (resident-id, phone, name, address, bank-card, generic); absent, the
/// hub infers it from the content.
/// </summary>
public sealed record InterfaceField(string Name, FieldLevel Level, string? Description = null, string? Mask = null);

/// <summary>A declared request parameter: in the path template (<c>{name}</c>) or the query string.</summary>
public sealed record InterfaceParameter(string Name, string In, bool Required, string? Format = null, string? Description = null);

/// <summary>One operation of a system, addressed as the resource <c>{system}/{code}</c>.</summary>
public sealed record RegisteredInterface(
    string System,
    string Code,
    string Name,
    string Method,
    string Path,
    SharingType Sharing,
    IReadOnlyList<InterfaceParameter> Parameters,
    IReadOnlyList<InterfaceField> Fields)
{
    public string Resource => $"{System}/{Code}";
}

/// <summary>A catalog entry (数据目录) for a dataset a unit holds, addressed as the resource <c>dataset:{code}</c>.</summary>
public sealed record Dataset(
    string Code,
    string Unit,
    string Name,
    string? Description,
    string UpdateFrequency,
    SharingType Sharing,
    bool Open,
    IReadOnlyList<InterfaceField> Fields);

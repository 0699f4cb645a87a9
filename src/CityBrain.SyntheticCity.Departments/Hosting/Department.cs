using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Hosting;

/// <summary>
/// A department system (部门平台) of the demo city: its files and tables, its operations, how it wants the hub to
/// authenticate, and how it words its errors. Each department has its own style on purpose, as a real city's do.
/// </summary>
internal abstract partial class Department
{
    /// <summary>Department code, also its unit code in the hub's registry and its folder under <c>departments/</c>.</summary>
    public abstract string Code { get; }

    /// <summary>The bureau's official name (the unit in the registry).</summary>
    public abstract string UnitName { get; }

    /// <summary>The system's code in the registry: consumers call <c>/hub/call/{SystemCode}/{operation}</c>.</summary>
    public abstract string SystemCode { get; }

    public abstract string SystemName { get; }

    public abstract CredentialStyle Credential { get; }

    public abstract IReadOnlyList<Table> Tables { get; }

    public abstract IReadOnlyList<ApiOperation> Operations { get; }

    /// <summary>The department's answer to a refused request: status and body in its own shape.</summary>
    public abstract IResult Error(Refusal refusal, string message, string path);

    /// <summary>JSON as the departments write it: Chinese text readable, property names as stored.</summary>
    public static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    protected static IResult Body(int status, JsonObject body, string contentType = "application/json; charset=utf-8") =>
        Results.Json(body, Json, contentType, status);

    protected static int DefaultStatus(Refusal refusal) => refusal switch
    {
        Refusal.InvalidParameter => StatusCodes.Status400BadRequest,
        Refusal.NotFound or Refusal.UnknownResource => StatusCodes.Status404NotFound,
        Refusal.Unauthorized => StatusCodes.Status401Unauthorized,
        Refusal.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        _ => StatusCodes.Status500InternalServerError,
    };

    protected static JsonArray Array(IEnumerable<StoredRow> rows) => new(rows.Select(r => (JsonNode)r.Fields).ToArray());

    /// <summary>Shape of a resident ID as departments check it: 17 digits and a digit or X. The check character is not
    /// verified, so records stored with a bad one (planted dirt) can still be looked up, as in real systems.</summary>
    public static bool LooksLikeResidentId(string value) => ResidentIdShape().IsMatch(value);

    /// <summary>Shape of a unified social credit code: 18 characters of its alphabet (check character not verified).</summary>
    public static bool LooksLikeCreditCode(string value) => CreditCodeShape().IsMatch(value);

    [GeneratedRegex("^[0-9]{17}[0-9Xx]$")]
    private static partial Regex ResidentIdShape();

    [GeneratedRegex("^[0-9A-HJ-NPQRTUWXY]{18}$")]
    private static partial Regex CreditCodeShape();
}

/// <summary>
/// How a department wants the hub to authenticate: one header with a secret value, which is what the hub's system
/// credentials carry (an API key header, HTTP Basic, a bearer token, or a vendor header).
/// </summary>
internal sealed record CredentialStyle(string Kind, string Header, Func<string, string> ValueFor)
{
    public static CredentialStyle ApiKey(string header) => new("api-key", header, secret => secret);

    public static CredentialStyle Bearer() => new("bearer", "Authorization", secret => "Bearer " + secret);

    public static CredentialStyle Basic(string user) =>
        new("basic", "Authorization", secret => "Basic " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"{user}:{secret}")));
}

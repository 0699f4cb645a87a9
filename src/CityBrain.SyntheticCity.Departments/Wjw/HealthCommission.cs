using System.Globalization;
using System.Text.Json.Nodes;
using CityBrain.SyntheticCity.Departments.Hosting;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Wjw;

/// <summary>
/// 卫健委 medical birth and death certificates (出生医学证明与死亡医学证明系统). Its style: ISO 8601 date-times with
/// the offset (<c>2024-03-01T08:30:00+08:00</c>), feeds by <c>since</c> with a tie-breaking <c>after</c>, errors as
/// <c>{"error":"...","error_description":"..."}</c>, a token header. Health data: conditional sharing only.
/// </summary>
internal sealed class HealthCommission : Department
{
    private const int MaxLimit = 500;
    private const string TimeFormat = "yyyy-MM-dd'T'HH:mm:sszzz";

    private static readonly Table Births = new("births", "出生医学证明",
    [
        Column.Internal("certificate_no", "出生医学证明编号"),
        Column.Sensitive("child_id", "新生儿身份证号", "resident-id"),
        Column.Personal("child_name", "新生儿姓名", "name"),
        Column.Sensitive("mother_id", "母亲身份证号", "resident-id"),
        Column.Personal("birth_time", "出生时间 (ISO 8601, +08:00)"),
        Column.Internal("hospital", "助产机构"),
    ], ["certificate_no", "birth_time"]);

    private static readonly Table DeathCertificates = new("death_certificates", "居民死亡医学证明",
    [
        Column.Internal("certificate_no", "死亡医学证明编号"),
        Column.Sensitive("person_id", "死者身份证号", "resident-id"),
        Column.Personal("death_time", "死亡时间 (ISO 8601, +08:00)"),
        Column.Sensitive("cause_icd10", "根本死因 ICD-10"),
    ], ["certificate_no", "person_id", "death_time"]);

    public override string Code => "wjw";

    public override string UnitName => "杭州市卫生健康委员会";

    public override string SystemCode => "wjw-certificates";

    public override string SystemName => "出生死亡医学证明系统";

    public override CredentialStyle Credential { get; } = CredentialStyle.ApiKey("X-Auth-Token");

    public override IReadOnlyList<Table> Tables { get; } = [Births, DeathCertificates];

    public override IReadOnlyList<ApiOperation> Operations { get; }

    public HealthCommission()
    {
        Operations =
        [
            new("birth", "出生医学证明查询 (by certificate number)", "/wjw/api/births/{certificate_no}", "conditional",
                [ApiParameter.Path("certificate_no", "string", "出生医学证明编号")], [.. ApiField.Of(Births)], Lookup(Births, "certificate_no")),
            new("births", "出生医学证明 (born since; incremental feed)", "/wjw/api/births", "conditional",
                Feed(), [.. ApiField.Of(Births, "records"), .. Next()], r => FeedAsync(r, Births, "birth_time")) { ListAt = "records" },
            new("death", "死亡医学证明查询 (by the deceased's ID number)", "/wjw/api/deaths/{person_id}", "conditional",
                [ApiParameter.Path("person_id", "resident-id", "死者身份证号")], [.. ApiField.Of(DeathCertificates)], Lookup(DeathCertificates, "person_id")),
            new("deaths", "死亡医学证明 (died since; incremental feed)", "/wjw/api/deaths", "conditional",
                Feed(), [.. ApiField.Of(DeathCertificates, "records"), .. Next()], r => FeedAsync(r, DeathCertificates, "death_time")) { ListAt = "records" },
        ];
    }

    private static ApiParameter[] Feed() =>
    [
        ApiParameter.Query("since", "string", "from this time on, ISO 8601 with offset (2024-03-01T00:00:00+08:00)"),
        ApiParameter.Query("after", "string", "the nextAfter of the previous page: certificates at exactly 'since' up to this one were served"),
        ApiParameter.Query("limit", "integer", $"records per page, 1-{MaxLimit}"),
    ];

    private static ApiField[] Next() =>
    [
        ApiField.Public("hasMore", "more records follow"),
        ApiField.Public("nextSince", "the 'since' of the next page"),
        ApiField.Public("nextAfter", "the 'after' of the next page"),
    ];

    private static OperationHandler Lookup(Table table, string key) => async request =>
    {
        var value = key == "person_id" ? request.Key(key, LooksLikeResidentId, "an 18-character resident ID number").ToUpperInvariant() : request.Route(key);
        return await request.Database.FindAsync(table.Name, key, value, request.Aborted)
            ?? throw DepartmentRequest.NotFound($"no {table.Title} for this {key}");
    };

    private static async Task<JsonNode> FeedAsync(DepartmentRequest request, Table table, string timeColumn)
    {
        var limit = request.Int("limit", 100, 1, MaxLimit);
        var since = Since(request);
        var after = request.Text("after");
        if (after is not null && since is null)
        {
            throw DepartmentRequest.Invalid("after", "goes with 'since': pass both from the previous page");
        }
        var filter = since is null ? new Filter() : new Filter().After(timeColumn, "certificate_no", since, after);
        var rows = await request.Database.ListAsync(table.Name, filter, $"\"{timeColumn}\", certificate_no", limit + 1, 0, request.Aborted);
        var more = rows.Count > limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        var last = rows.Count > 0 ? rows[^1].Fields : null;
        return new JsonObject
        {
            ["records"] = Array(rows),
            ["hasMore"] = more,
            ["nextSince"] = last?[timeColumn]?.DeepClone(),
            ["nextAfter"] = last?["certificate_no"]?.DeepClone(),
        };
    }

    // Stored times carry +08:00; a 'since' in another offset is turned to +08:00 so that text order is time order.
    private static string? Since(DepartmentRequest request)
    {
        // An unencoded '+' arrives as a space (form encoding); no space is valid in the format, so read it back as '+'.
        var text = request.Text("since")?.Replace(' ', '+');
        if (text is null)
        {
            return null;
        }
        return DateTimeOffset.TryParseExact(text, TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var since)
            ? since.ToOffset(TimeSpan.FromHours(8)).ToString(TimeFormat, CultureInfo.InvariantCulture)
            : throw DepartmentRequest.Invalid("since", $"must be an ISO 8601 date-time with its offset, such as 2024-03-01T00:00:00+08:00, not '{text}'");
    }

    public override IResult Error(Refusal refusal, string message, string path) => Body(DefaultStatus(refusal), new JsonObject
    {
        ["error"] = refusal switch
        {
            Refusal.InvalidParameter => "invalid_request",
            Refusal.NotFound => "not_found",
            Refusal.UnknownResource => "unknown_endpoint",
            Refusal.Unauthorized => "invalid_token",
            Refusal.MethodNotAllowed => "method_not_allowed",
            _ => "server_error",
        },
        ["error_description"] = message,
    });
}

using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.SyntheticCity.Departments.Hosting;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Mzj;

/// <summary>
/// 民政局 social assistance (低保, disability, cremation records; 社会救助信息系统). Its style: camelCase, ISO dates,
/// cursor paging (<c>cursor</c> in, <c>next</c> out, opaque), errors as RFC 7807 problem details, a bearer token.
/// </summary>
internal sealed class CivilAffairsBureau : Department
{
    private const int MaxLimit = 200;

    private static readonly Table Dibao = new("dibao", "最低生活保障对象",
    [
        Column.Sensitive("idNumber", "身份证号", "resident-id"),
        Column.Personal("name", "姓名", "name"),
        Column.Personal("householdId", "户号", "generic"),
        Column.Sensitive("monthlyAmount", "月保障金额 (元)", null, ColumnKind.Decimal),
        Column.Personal("since", "纳入保障日期 yyyy-MM-dd"),
        Column.Internal("districtCode", "区县代码"),
        Column.Internal("status", "保障状态"),
    ], ["idNumber", "districtCode"]);

    private static readonly Table Disability = new("disability", "残疾人信息",
    [
        Column.Sensitive("idNumber", "身份证号", "resident-id"),
        Column.Personal("name", "姓名", "name"),
        Column.Sensitive("grade", "残疾等级 1-4 (1 most severe)", null, ColumnKind.Integer),
        Column.Sensitive("kind", "残疾类别"),
        Column.Sensitive("certificateNo", "残疾人证号", "generic"),
        Column.Internal("districtCode", "区县代码"),
    ], ["idNumber", "districtCode"]);

    private static readonly Table Deaths = new("deaths", "火化 (死亡) 登记",
    [
        Column.Sensitive("idNumber", "身份证号", "resident-id"),
        Column.Personal("name", "姓名", "name"),
        Column.Personal("deathDate", "死亡日期 yyyy-MM-dd"),
        Column.Internal("districtCode", "区县代码"),
    ], ["idNumber", "deathDate"]);

    public override string Code => "mzj";

    public override string UnitName => "杭州市民政局";

    public override string SystemCode => "mzj-assistance";

    public override string SystemName => "社会救助信息系统";

    public override CredentialStyle Credential { get; } = CredentialStyle.Bearer();

    public override IReadOnlyList<Table> Tables { get; } = [Dibao, Disability, Deaths];

    public override IReadOnlyList<ApiOperation> Operations { get; }

    public CivilAffairsBureau()
    {
        ApiParameter[] cursor = [ApiParameter.Query("cursor", "string", "the 'next' of the previous page; absent for the first"), ApiParameter.Query("limit", "integer", $"records per page, 1-{MaxLimit}")];
        var next = ApiField.Public("next", "cursor of the next page; null on the last");
        ApiParameter[] district = [ApiParameter.Query("districtCode", "division-code", "区县代码")];
        Operations =
        [
            new("dibao-recipient", "低保对象查询 (by ID number)", "/api/v1/dibao/{idNumber}", "conditional",
                [ApiParameter.Path("idNumber", "resident-id", "身份证号")], [.. ApiField.Of(Dibao)], Lookup(Dibao)),
            new("dibao-recipients", "低保对象列表 (by district, status)", "/api/v1/dibao", "conditional",
                [.. district, ApiParameter.Query("status", "string", "保障状态"), .. cursor], [.. ApiField.Of(Dibao, "items"), next],
                r => Page(r, Dibao, new Filter().Equal("districtCode", District(r)).Equal("status", r.Text("status")))) { ListAt = "items" },
            new("disabled-person", "残疾人信息查询 (by ID number)", "/api/v1/disability/{idNumber}", "conditional",
                [ApiParameter.Path("idNumber", "resident-id", "身份证号")], [.. ApiField.Of(Disability)], Lookup(Disability)),
            new("disabled-persons", "残疾人列表 (by district)", "/api/v1/disability", "conditional",
                [.. district, .. cursor], [.. ApiField.Of(Disability, "items"), next],
                r => Page(r, Disability, new Filter().Equal("districtCode", District(r)))) { ListAt = "items" },
            new("deaths", "火化登记 (deaths since a date; incremental feed)", "/api/v1/deaths", "conditional",
                [ApiParameter.Query("since", "date", "death date from, yyyy-MM-dd"), .. cursor], [.. ApiField.Of(Deaths, "items"), next],
                r => Page(r, Deaths, new Filter().AtLeast("deathDate", r.Date("since", "yyyy-MM-dd")))) { ListAt = "items" },
        ];
    }

    private static string? District(DepartmentRequest request)
    {
        var code = request.Text("districtCode");
        return code is null || (code.Length == 6 && code.All(char.IsAsciiDigit)) ? code : throw DepartmentRequest.Invalid("districtCode", "must be a 6-digit division code");
    }

    private static OperationHandler Lookup(Table table) => async request =>
    {
        var id = request.Key("idNumber", LooksLikeResidentId, "an 18-character resident ID number");
        return await request.Database.FindAsync(table.Name, "idNumber", id.ToUpperInvariant(), request.Aborted)
            ?? throw DepartmentRequest.NotFound($"no {table.Title} record for this idNumber");
    };

    private static async Task<JsonNode> Page(DepartmentRequest request, Table table, Filter filter)
    {
        var limit = request.Int("limit", 50, 1, MaxLimit);
        var after = request.Text("cursor") is { } cursor ? ReadCursor(cursor) : (long?)null;
        var rows = await request.Database.ListAsync(table.Name, filter.AfterRow(after), "row_id", limit + 1, 0, request.Aborted);
        var more = rows.Count > limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return new JsonObject { ["items"] = Array(rows), ["next"] = more ? WriteCursor(rows[^1].RowId) : null };
    }

    // Opaque to clients: the position of the last record served, base64url-encoded.
    private static string WriteCursor(long rowId) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes("r" + rowId.ToString(CultureInfo.InvariantCulture))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static long ReadCursor(string cursor)
    {
        try
        {
            var base64 = cursor.Replace('-', '+').Replace('_', '/');
            var text = Encoding.ASCII.GetString(Convert.FromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=')));
            if (text.StartsWith('r') && long.TryParse(text.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var rowId))
            {
                return rowId;
            }
        }
        catch (FormatException)
        {
            // answered below
        }
        throw DepartmentRequest.Invalid("cursor", "is not a cursor this service issued; pass the 'next' of the previous page unchanged");
    }

    public override IResult Error(Refusal refusal, string message, string path)
    {
        var status = DefaultStatus(refusal);
        var (type, title) = refusal switch
        {
            Refusal.InvalidParameter => ("invalid-parameter", "A request parameter is invalid"),
            Refusal.NotFound => ("not-found", "No such record"),
            Refusal.UnknownResource => ("unknown-resource", "No such resource"),
            Refusal.Unauthorized => ("unauthorized", "Authentication required"),
            Refusal.MethodNotAllowed => ("method-not-allowed", "Method not allowed"),
            _ => ("internal-error", "The service failed"),
        };
        return Body(status, new JsonObject
        {
            ["type"] = $"https://mzj.hangzhou.gov.cn/problems/{type}",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = message,
            ["instance"] = path,
        }, "application/problem+json; charset=utf-8");
    }
}

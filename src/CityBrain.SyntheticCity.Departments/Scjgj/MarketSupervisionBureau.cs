using System.Text.Json.Nodes;
using CityBrain.SyntheticCity.Departments.Hosting;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Scjgj;

/// <summary>
/// 市场监管局 enterprise registry (企业登记注册系统). Its style: lower-case registry names (uniscid, entname, ...),
/// page/size paging with the total, errors as <c>{"success":false,"errcode":"...","errmsg":"..."}</c>, an app key header.
/// Registry basics are public by law (企业信息公示), so they are shared unconditionally.
/// </summary>
internal sealed class MarketSupervisionBureau : Department
{
    private static readonly Table Qy = new("qy", "企业登记基本信息",
    [
        Column.Public("uniscid", "统一社会信用代码"),
        Column.Public("entname", "企业名称"),
        Column.Public("industryco", "行业代码 (GB/T 4754-2017)"),
        Column.Public("industryname", "行业名称"),
        Column.Public("entscale", "企业规模"),
        Column.Public("dom", "住所"),
        Column.Public("estdate", "成立日期 yyyy-MM-dd"),
        Column.Public("regstate", "登记状态"),
        Column.Personal("lerep", "法定代表人", "name"),
    ], ["uniscid", "industryco", "estdate"], Sharing: "unconditional");

    public override string Code => "scjgj";

    public override string UnitName => "杭州市市场监督管理局";

    public override string SystemCode => "scjgj-registry";

    public override string SystemName => "企业登记注册系统";

    public override CredentialStyle Credential { get; } = CredentialStyle.ApiKey("X-App-Key");

    public override IReadOnlyList<Table> Tables { get; } = [Qy];

    public override IReadOnlyList<ApiOperation> Operations { get; }

    public MarketSupervisionBureau()
    {
        Operations =
        [
            new("enterprise", "企业登记信息查询 (by uniscid)", "/scjg/api/qy/{uniscid}", "unconditional",
                [ApiParameter.Path("uniscid", "credit-code", "统一社会信用代码")], [.. ApiField.Of(Qy)], Enterprise),
            new("enterprises", "企业登记信息分页查询 (by state, industry, established since)", "/scjg/api/qy", "unconditional",
                [ApiParameter.Query("regstate", "string", "登记状态"), ApiParameter.Query("industryco", "string", "行业代码"),
                 ApiParameter.Query("estdate_from", "date", "成立日期起 yyyy-MM-dd (incremental: registered since)"),
                 ApiParameter.Query("pageno", "integer", "页码, from 1"), ApiParameter.Query("pagesize", "integer", "每页条数, 1-200")],
                [ApiField.Public("total", "总数", ColumnKind.Integer), ApiField.Public("pageno", "页码", ColumnKind.Integer), ApiField.Public("pagesize", "每页条数", ColumnKind.Integer),
                 .. ApiField.Of(Qy, "list")], Enterprises) { ListAt = "list" },
        ];
    }

    private static async Task<JsonNode> Enterprise(DepartmentRequest request)
    {
        var uniscid = request.Key("uniscid", LooksLikeCreditCode, "an 18-character unified social credit code");
        return await request.Database.FindAsync(Qy.Name, "uniscid", uniscid.ToUpperInvariant(), request.Aborted)
            ?? throw DepartmentRequest.NotFound("未查询到该企业登记信息");
    }

    private static async Task<JsonNode> Enterprises(DepartmentRequest request)
    {
        var pageNo = request.Int("pageno", 1, 1, 1_000_000);
        var pageSize = request.Int("pagesize", 20, 1, 200);
        var filter = new Filter()
            .Equal("regstate", request.Text("regstate"))
            .Equal("industryco", request.Text("industryco"))
            .AtLeast("estdate", request.Date("estdate_from", "yyyy-MM-dd"));
        var total = await request.Database.CountAsync(Qy.Name, filter, request.Aborted);
        var rows = await request.Database.ListAsync(Qy.Name, filter, "row_id", pageSize, (long)(pageNo - 1) * pageSize, request.Aborted);
        return new JsonObject { ["total"] = total, ["pageno"] = pageNo, ["pagesize"] = pageSize, ["list"] = Array(rows) };
    }

    public override IResult Error(Refusal refusal, string message, string path) => Body(DefaultStatus(refusal), new JsonObject
    {
        ["success"] = false,
        ["errcode"] = refusal switch
        {
            Refusal.InvalidParameter => "PARAM_ERROR",
            Refusal.NotFound => "NO_DATA",
            Refusal.UnknownResource => "NO_SUCH_API",
            Refusal.Unauthorized => "APPKEY_INVALID",
            Refusal.MethodNotAllowed => "METHOD_ERROR",
            _ => "SYSTEM_ERROR",
        },
        ["errmsg"] = message,
    });
}

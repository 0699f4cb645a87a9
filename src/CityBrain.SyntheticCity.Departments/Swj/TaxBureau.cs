using System.Text.Json.Nodes;
using CityBrain.SyntheticCity.Departments.Hosting;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Swj;

/// <summary>
/// 税务局 tax returns (税收征管系统). Its style: every answer in an envelope <c>{"ret":0,"msg":"ok","data":...}</c>;
/// a malformed request is a 4xx with a non-zero <c>ret</c>, while "nothing found" is an HTTP 200 with <c>ret</c> 2004,
/// as many such systems do. Periods are <c>yyyyMM</c>.
/// </summary>
internal sealed class TaxBureau : Department
{
    private static readonly Table Nsr = new("nsr", "纳税人月度申报",
    [
        Column.Internal("nsrsbh", "纳税人识别号 (统一社会信用代码)"),
        Column.Public("nsrmc", "纳税人名称"),
        Column.Internal("ssq", "所属期 yyyyMM"),
        Column.Internal("ynse", "应纳税额 (元)", ColumnKind.Decimal),
    ], ["nsrsbh", "ssq"], UpdateFrequency: "monthly");

    public override string Code => "swj";

    public override string UnitName => "国家税务总局杭州市税务局";

    public override string SystemCode => "swj-returns";

    public override string SystemName => "税收征管系统";

    public override CredentialStyle Credential { get; } = CredentialStyle.ApiKey("X-Tax-Token");

    public override IReadOnlyList<Table> Tables { get; } = [Nsr];

    public override IReadOnlyList<ApiOperation> Operations { get; }

    public TaxBureau()
    {
        ApiField[] envelope = [ApiField.Public("ret", "返回码, 0 成功", ColumnKind.Integer), ApiField.Public("msg", "返回信息")];
        Operations =
        [
            new("taxpayer-returns", "纳税人申报查询 (by 纳税人识别号, 所属期起止)", "/swj/api/nsr/{nsrsbh}", "conditional",
                [ApiParameter.Path("nsrsbh", "credit-code", "纳税人识别号"), ApiParameter.Query("ssq_q", "integer", "所属期起 yyyyMM"), ApiParameter.Query("ssq_z", "integer", "所属期止 yyyyMM")],
                [.. envelope, .. ApiField.Of(Nsr, "data")], Taxpayer) { ListAt = "data" },
            new("period-returns", "所属期申报清册 (by 所属期)", "/swj/api/sbqc", "conditional",
                [ApiParameter.Query("ssq", "integer", "所属期 yyyyMM", required: true), ApiParameter.Query("page", "integer", "页码"), ApiParameter.Query("size", "integer", "每页条数, 1-500")],
                [.. envelope, ApiField.Public("data.total", "总数", ColumnKind.Integer), .. ApiField.Of(Nsr, "data.list")], Period) { ListAt = "data.list" },
        ];
    }

    private static async Task<JsonNode> Taxpayer(DepartmentRequest request)
    {
        var nsrsbh = request.Key("nsrsbh", LooksLikeCreditCode, "an 18-character 纳税人识别号").ToUpperInvariant();
        var filter = new Filter().Equal("nsrsbh", nsrsbh).AtLeast("ssq", request.Date("ssq_q", "yyyyMM")).AtMost("ssq", request.Date("ssq_z", "yyyyMM"));
        var rows = await request.Database.ListAsync(Nsr.Name, filter, "ssq, row_id", 1000, 0, request.Aborted);
        return rows.Count == 0 ? throw DepartmentRequest.NotFound("未查询到纳税人申报信息") : Ok(Array(rows));
    }

    private static async Task<JsonNode> Period(DepartmentRequest request)
    {
        var ssq = request.Date("ssq", "yyyyMM") ?? throw DepartmentRequest.Invalid("ssq", "所属期必填 (yyyyMM)");
        var page = request.Int("page", 1, 1, 1_000_000);
        var size = request.Int("size", 100, 1, 500);
        var filter = new Filter().Equal("ssq", ssq);
        var total = await request.Database.CountAsync(Nsr.Name, filter, request.Aborted);
        var rows = await request.Database.ListAsync(Nsr.Name, filter, "row_id", size, (long)(page - 1) * size, request.Aborted);
        return Ok(new JsonObject { ["total"] = total, ["list"] = Array(rows) });
    }

    private static JsonObject Ok(JsonNode data) => new() { ["ret"] = 0, ["msg"] = "ok", ["data"] = data };

    public override IResult Error(Refusal refusal, string message, string path)
    {
        var (status, ret) = refusal switch
        {
            Refusal.InvalidParameter => (StatusCodes.Status400BadRequest, 1001),
            Refusal.Unauthorized => (StatusCodes.Status401Unauthorized, 1002),
            Refusal.UnknownResource => (StatusCodes.Status404NotFound, 1004),
            Refusal.MethodNotAllowed => (StatusCodes.Status405MethodNotAllowed, 1005),
            Refusal.NotFound => (StatusCodes.Status200OK, 2004),
            _ => (StatusCodes.Status500InternalServerError, 9999),
        };
        return Body(status, new JsonObject { ["ret"] = ret, ["msg"] = message, ["data"] = null });
    }
}

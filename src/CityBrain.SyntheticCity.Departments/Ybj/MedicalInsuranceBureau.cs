using System.Text.Json.Nodes;
using CityBrain.SyntheticCity.Departments.Hosting;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Ybj;

/// <summary>
/// 医保局 insured persons and settlements (医疗保障信息平台). Its style: the national medical-insurance platform's
/// names (psn_no, setl_id, fixmedins_code, ...), answers as <c>{"infcode":0,"output":{...}}</c>, errors as
/// <c>{"infcode":-1,"err_msg":"..."}</c>, times <c>yyyy-MM-dd HH:mm:ss</c>, settlements paged by a cursor on setl_id,
/// the platform's <c>x-tif-paasid</c> header.
/// </summary>
internal sealed class MedicalInsuranceBureau : Department
{
    private const int MaxSize = 500;
    private const string TimeFormat = "yyyy-MM-dd HH:mm:ss";

    private static readonly Table Insured = new("insured", "参保人员信息",
    [
        Column.Sensitive("psn_no", "人员编号 (身份证号)", "resident-id"),
        Column.Personal("psn_name", "人员姓名", "name"),
        Column.Personal("insutype", "险种类型 310 职工基本医疗保险 / 390 城乡居民基本医疗保险"),
        Column.Internal("emp_no", "单位编号"),
        Column.Internal("insu_admdvs", "参保地医保区划"),
    ], ["psn_no"]);

    private static readonly Table Setl = new("setl", "结算信息 (刷卡)",
    [
        Column.Internal("setl_id", "结算ID"),
        Column.Sensitive("psn_no", "人员编号 (身份证号)", "resident-id"),
        Column.Internal("fixmedins_code", "定点医药机构编号"),
        Column.Sensitive("setl_time", "结算时间 yyyy-MM-dd HH:mm:ss"),
        Column.Sensitive("medfee_sumamt", "医疗费总额 (元)", null, ColumnKind.Decimal),
    ], ["setl_id", "psn_no", "fixmedins_code", "setl_time"], UpdateFrequency: "realtime");

    private static readonly Table Fixmedins = new("fixmedins", "定点医药机构",
    [
        Column.Public("fixmedins_code", "定点医药机构编号"),
        Column.Public("fixmedins_name", "定点医药机构名称"),
        Column.Public("fixmedins_type", "机构类型"),
        new("addr", "地址", ColumnKind.Text, "public", "address"),
    ], ["fixmedins_code"], Sharing: "unconditional", UpdateFrequency: "monthly");

    public override string Code => "ybj";

    public override string UnitName => "杭州市医疗保障局";

    public override string SystemCode => "ybj-platform";

    public override string SystemName => "医疗保障信息平台";

    public override CredentialStyle Credential { get; } = CredentialStyle.ApiKey("x-tif-paasid");

    public override IReadOnlyList<Table> Tables { get; } = [Insured, Setl, Fixmedins];

    public override IReadOnlyList<ApiOperation> Operations { get; }

    public MedicalInsuranceBureau()
    {
        var infcode = ApiField.Public("infcode", "交易状态码, 0 成功", ColumnKind.Integer);
        Operations =
        [
            new("insured-person", "人员参保信息获取 (by psn_no)", "/ybj/api/psn/{psn_no}", "conditional",
                [ApiParameter.Path("psn_no", "resident-id", "人员编号")], [infcode, .. ApiField.Of(Insured, "output.baseinfo")], InsuredPerson),
            new("settlements", "结算信息查询 (by person, institution, time window; cursor on setl_id)", "/ybj/api/setl", "conditional",
                [ApiParameter.Query("psn_no", "resident-id", "人员编号"), ApiParameter.Query("fixmedins_code", "string", "定点医药机构编号"),
                 ApiParameter.Query("begntime", "string", "结算时间起 yyyy-MM-dd HH:mm:ss"), ApiParameter.Query("endtime", "string", "结算时间止 (不含) yyyy-MM-dd HH:mm:ss"),
                 ApiParameter.Query("cursor", "string", "上页最后一条 setl_id; absent for the first page"), ApiParameter.Query("size", "integer", $"每页条数, 1-{MaxSize}")],
                [infcode, .. ApiField.Of(Setl, "output.setlinfo"), ApiField.Public("output.next_cursor", "下页 cursor; null on the last page")], Settlements) { ListAt = "output.setlinfo" },
            new("institution", "定点医药机构信息 (by fixmedins_code)", "/ybj/api/fixmedins/{fixmedins_code}", "unconditional",
                [ApiParameter.Path("fixmedins_code", "string", "定点医药机构编号")], [infcode, .. ApiField.Of(Fixmedins, "output.fixmedinsinfo")], Institution),
        ];
    }

    private static async Task<JsonNode> InsuredPerson(DepartmentRequest request)
    {
        var psnNo = request.Key("psn_no", LooksLikeResidentId, "an 18-character 人员编号 (resident ID number)");
        var row = await request.Database.FindAsync(Insured.Name, "psn_no", psnNo.ToUpperInvariant(), request.Aborted)
            ?? throw DepartmentRequest.NotFound("未查询到参保信息");
        return Ok(new JsonObject { ["baseinfo"] = row });
    }

    private static async Task<JsonNode> Settlements(DepartmentRequest request)
    {
        var size = request.Int("size", 100, 1, MaxSize);
        var psnNo = request.Text("psn_no");
        if (psnNo is not null && !LooksLikeResidentId(psnNo))
        {
            throw DepartmentRequest.Invalid("psn_no", "must be an 18-character 人员编号 (resident ID number)");
        }
        var filter = new Filter()
            .Equal("psn_no", psnNo?.ToUpperInvariant())
            .Equal("fixmedins_code", request.Text("fixmedins_code"))
            .AtLeast("setl_time", request.Date("begntime", TimeFormat))
            .Below("setl_time", request.Date("endtime", TimeFormat));
        if (request.Text("cursor") is { } cursor)
        {
            filter.Greater("setl_id", cursor);
        }
        var rows = await request.Database.ListAsync(Setl.Name, filter, "setl_id, row_id", size + 1, 0, request.Aborted);
        var more = rows.Count > size;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }
        return Ok(new JsonObject { ["setlinfo"] = Array(rows), ["next_cursor"] = more ? rows[^1].Fields["setl_id"]?.DeepClone() : null });
    }

    private static async Task<JsonNode> Institution(DepartmentRequest request)
    {
        var row = await request.Database.FindAsync(Fixmedins.Name, "fixmedins_code", request.Route("fixmedins_code"), request.Aborted)
            ?? throw DepartmentRequest.NotFound("未查询到定点医药机构");
        return Ok(new JsonObject { ["fixmedinsinfo"] = row });
    }

    private static JsonObject Ok(JsonObject output) => new() { ["infcode"] = 0, ["output"] = output };

    public override IResult Error(Refusal refusal, string message, string path) => Body(DefaultStatus(refusal), new JsonObject
    {
        ["infcode"] = -1,
        ["err_msg"] = message,
    });
}

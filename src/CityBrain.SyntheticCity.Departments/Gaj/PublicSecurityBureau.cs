using System.Text.Json.Nodes;
using CityBrain.SyntheticCity.Departments.Hosting;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Gaj;

/// <summary>
/// 公安局 population and hukou (人口信息管理系统). Its style: upper-case pinyin initials as its database has them,
/// page/size paging, errors as <c>{"code":"40001","msg":"..."}</c>, an API key header.
/// </summary>
internal sealed class PublicSecurityBureau : Department
{
    private static readonly Table Rk = new("rk", "常住人口基本信息",
    [
        Column.Sensitive("SFZH", "公民身份号码", "resident-id"),
        Column.Personal("XM", "姓名", "name"),
        Column.Internal("XB", "性别 (GB/T 2261.1)"),
        Column.Personal("CSRQ", "出生日期 yyyy-MM-dd"),
        Column.Personal("MZ", "民族"),
        Column.Personal("HH", "户号", "generic"),
        Column.Internal("YHZGX", "与户主关系"),
        Column.Internal("HKXZ", "户口性质 local/nonlocal"),
        Column.Internal("HJQH", "户籍区划代码"),
        Column.Personal("JZDZ", "居住地址", "address"),
        Column.Personal("LXDH", "联系电话", "phone"),
        Column.Internal("SWBZ", "死亡标志"),
        Column.Personal("SWRQ", "死亡日期 yyyy-MM-dd"),
        Column.Personal("QCRQ", "迁出日期 yyyy-MM-dd (户口迁出杭州; empty while registered here)"),
        Column.Internal("QWQH", "迁往地区划代码 (GB/T 2260, outside Hangzhou)"),
    ], ["SFZH", "HH", "HJQH", "SWRQ", "QCRQ"]);

    public override string Code => "gaj";

    public override string UnitName => "杭州市公安局";

    public override string SystemCode => "gaj-population";

    public override string SystemName => "人口信息管理系统";

    public override CredentialStyle Credential { get; } = CredentialStyle.ApiKey("X-Api-Key");

    public override IReadOnlyList<Table> Tables { get; } = [Rk];

    public override IReadOnlyList<ApiOperation> Operations { get; }

    public PublicSecurityBureau()
    {
        ApiField[] page = [ApiField.Public("total", "总数", ColumnKind.Integer), ApiField.Public("page", "页码", ColumnKind.Integer), ApiField.Public("size", "每页条数", ColumnKind.Integer)];
        ApiParameter[] paging = [ApiParameter.Query("page", "integer", "页码, from 1"), ApiParameter.Query("size", "integer", "每页条数, 1-100")];
        Operations =
        [
            new("person", "人口基本信息查询 (by 公民身份号码)", "/api/v1/rk/{SFZH}", "conditional",
                [ApiParameter.Path("SFZH", "resident-id", "公民身份号码")], [.. ApiField.Of(Rk)], Person),
            new("persons", "人口信息分页查询 (by 户籍区划, 户口性质, 死亡日期起, 迁出日期起)", "/api/v1/rk", "conditional",
                [ApiParameter.Query("HJQH", "division-code", "户籍区划代码"), ApiParameter.Query("HKXZ", "string", "户口性质 local/nonlocal"),
                 ApiParameter.Query("SWRQ_KS", "date", "死亡日期起 yyyy-MM-dd (incremental: deaths registered since)"),
                 ApiParameter.Query("QCRQ_KS", "date", "迁出日期起 yyyy-MM-dd (incremental: registrations moved out of the city since)"), .. paging],
                [.. page, .. ApiField.Of(Rk, "rows")], Persons) { ListAt = "rows" },
            new("household", "户成员查询 (by 户号)", "/api/v1/hh/{HH}", "conditional",
                [ApiParameter.Path("HH", "string", "户号")], [ApiField.Public("total", "成员数", ColumnKind.Integer), .. ApiField.Of(Rk, "rows")], Household) { ListAt = "rows" },
        ];
    }

    private static async Task<JsonNode> Person(DepartmentRequest request)
    {
        var sfzh = request.Key("SFZH", LooksLikeResidentId, "an 18-character 公民身份号码 (17 digits and a digit or X)");
        return await request.Database.FindAsync(Rk.Name, "SFZH", sfzh.ToUpperInvariant(), request.Aborted)
            ?? throw DepartmentRequest.NotFound("查无此人");
    }

    private static async Task<JsonNode> Persons(DepartmentRequest request)
    {
        var page = request.Int("page", 1, 1, 100_000);
        var size = request.Int("size", 20, 1, 100);
        var filter = new Filter()
            .Equal("HJQH", request.Text("HJQH"))
            .Equal("HKXZ", request.Text("HKXZ"))
            .AtLeast("SWRQ", request.Date("SWRQ_KS", "yyyy-MM-dd"))
            .AtLeast("QCRQ", request.Date("QCRQ_KS", "yyyy-MM-dd"));
        var total = await request.Database.CountAsync(Rk.Name, filter, request.Aborted);
        var rows = await request.Database.ListAsync(Rk.Name, filter, "row_id", size, (long)(page - 1) * size, request.Aborted);
        return new JsonObject { ["total"] = total, ["page"] = page, ["size"] = size, ["rows"] = Array(rows) };
    }

    private static async Task<JsonNode> Household(DepartmentRequest request)
    {
        var rows = await request.Database.ListAsync(Rk.Name, new Filter().Equal("HH", request.Route("HH")), "row_id", 100, 0, request.Aborted);
        return rows.Count == 0
            ? throw DepartmentRequest.NotFound("查无此户")
            : new JsonObject { ["total"] = rows.Count, ["rows"] = Array(rows) };
    }

    public override IResult Error(Refusal refusal, string message, string path) => Body(DefaultStatus(refusal), new JsonObject
    {
        ["code"] = refusal switch
        {
            Refusal.InvalidParameter => "40001",
            Refusal.Unauthorized => "40100",
            Refusal.NotFound => "40401",
            Refusal.UnknownResource => "40400",
            Refusal.MethodNotAllowed => "40500",
            _ => "50000",
        },
        ["msg"] = message,
    });
}

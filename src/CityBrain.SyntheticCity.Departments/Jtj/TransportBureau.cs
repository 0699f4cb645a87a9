using System.Text.Json.Nodes;
using CityBrain.SyntheticCity.Departments.Hosting;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Jtj;

/// <summary>
/// 交通运输局 vehicles and parking (车辆与停车管理系统). Its style: times as Unix epoch milliseconds, page/limit
/// paging, errors as <c>{"errorCode":"...","errorMessage":"..."}</c>, HTTP Basic authentication.
/// </summary>
internal sealed class TransportBureau : Department
{
    private const int MaxLimit = 500;

    private static readonly Table Vehicles = new("vehicles", "机动车登记信息",
    [
        Column.Personal("hphm", "号牌号码", "generic"),
        Column.Public("hpzl", "号牌种类 01 大型汽车 / 02 小型汽车 / 52 新能源小型车"),
        Column.Personal("syr", "所有人", "name"),
        Column.Sensitive("sfzh", "所有人身份证号", "resident-id"),
        Column.Internal("ccdjrq", "初次登记日期 (epoch ms)", ColumnKind.Integer),
    ], ["hphm", "sfzh"]);

    private static readonly Table Parking = new("parking", "停车记录",
    [
        Column.Internal("record_id", "记录编号"),
        Column.Personal("hphm", "号牌号码", "generic"),
        Column.Public("lot_id", "停车场编号"),
        Column.Personal("entry_time", "入场时间 (epoch ms)", null, ColumnKind.Integer),
        Column.Personal("exit_time", "出场时间 (epoch ms)", null, ColumnKind.Integer),
        Column.Internal("fee", "停车费 (元)", ColumnKind.Decimal),
    ], ["hphm", "lot_id", "entry_time"], UpdateFrequency: "realtime");

    public override string Code => "jtj";

    public override string UnitName => "杭州市交通运输局";

    public override string SystemCode => "jtj-traffic";

    public override string SystemName => "车辆与停车管理系统";

    public override CredentialStyle Credential { get; } = CredentialStyle.Basic("hub");

    public override IReadOnlyList<Table> Tables { get; } = [Vehicles, Parking];

    public override IReadOnlyList<ApiOperation> Operations { get; }

    public TransportBureau()
    {
        ApiParameter[] paging = [ApiParameter.Query("page", "integer", "page, from 1"), ApiParameter.Query("limit", "integer", $"records per page, 1-{MaxLimit}")];
        ApiField[] page = [ApiField.Public("page", "page", ColumnKind.Integer), ApiField.Public("limit", "limit", ColumnKind.Integer), ApiField.Public("total", "matching records", ColumnKind.Integer)];
        Operations =
        [
            new("vehicle", "机动车信息查询 (by plate)", "/jtj/api/vehicles/{hphm}", "conditional",
                [ApiParameter.Path("hphm", "string", "号牌号码, 浙A12345")], [.. ApiField.Of(Vehicles)], Vehicle),
            new("vehicles", "机动车列表 (by owner ID, plate kind)", "/jtj/api/vehicles", "conditional",
                [ApiParameter.Query("sfzh", "resident-id", "所有人身份证号"), ApiParameter.Query("hpzl", "string", "号牌种类"), .. paging],
                [.. page, .. ApiField.Of(Vehicles, "data")], r => List(r, Vehicles, new Filter().Equal("sfzh", Owner(r)).Equal("hpzl", r.Text("hpzl")), "row_id")) { ListAt = "data" },
            new("parking", "停车记录 (by plate, lot, entry time window in epoch ms; incremental by 'from')", "/jtj/api/parking", "conditional",
                [ApiParameter.Query("hphm", "string", "号牌号码"), ApiParameter.Query("lot_id", "string", "停车场编号"),
                 ApiParameter.Query("from", "integer", "入场时间起 (epoch ms, inclusive)"), ApiParameter.Query("to", "integer", "入场时间止 (epoch ms, exclusive)"), .. paging],
                [.. page, .. ApiField.Of(Parking, "data")], r => List(r, Parking, new Filter()
                    .Equal("hphm", r.Text("hphm"))
                    .Equal("lot_id", r.Text("lot_id"))
                    .AtLeastNumber("entry_time", r.Long("from"))
                    .BelowNumber("entry_time", r.Long("to")), "entry_time, row_id")) { ListAt = "data" },
        ];
    }

    private static string? Owner(DepartmentRequest request)
    {
        var sfzh = request.Text("sfzh");
        return sfzh is null || LooksLikeResidentId(sfzh) ? sfzh?.ToUpperInvariant() : throw DepartmentRequest.Invalid("sfzh", "must be an 18-character resident ID number");
    }

    private static async Task<JsonNode> Vehicle(DepartmentRequest request)
    {
        var plate = request.Route("hphm");
        if (plate.Length is < 6 or > 10)
        {
            throw DepartmentRequest.Invalid("hphm", "a plate number has 6 to 10 characters (浙A12345, 浙AD12345)");
        }
        return await request.Database.FindAsync(Vehicles.Name, "hphm", plate.ToUpperInvariant(), request.Aborted)
            ?? throw DepartmentRequest.NotFound("vehicle not registered");
    }

    private static async Task<JsonNode> List(DepartmentRequest request, Table table, Filter filter, string orderBy)
    {
        var page = request.Int("page", 1, 1, 1_000_000);
        var limit = request.Int("limit", 50, 1, MaxLimit);
        var total = await request.Database.CountAsync(table.Name, filter, request.Aborted);
        var rows = await request.Database.ListAsync(table.Name, filter, orderBy, limit, (long)(page - 1) * limit, request.Aborted);
        return new JsonObject { ["page"] = page, ["limit"] = limit, ["total"] = total, ["data"] = Array(rows) };
    }

    public override IResult Error(Refusal refusal, string message, string path) => Body(DefaultStatus(refusal), new JsonObject
    {
        ["errorCode"] = refusal switch
        {
            Refusal.InvalidParameter => "BAD_PARAMETER",
            Refusal.NotFound => "NOT_FOUND",
            Refusal.UnknownResource => "NO_ROUTE",
            Refusal.Unauthorized => "AUTH_FAILED",
            Refusal.MethodNotAllowed => "METHOD_NOT_ALLOWED",
            _ => "INTERNAL",
        },
        ["errorMessage"] = message,
    });
}

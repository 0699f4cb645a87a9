using System.Text.Json.Nodes;
using CityBrain.SyntheticCity.Departments.Hosting;
using Microsoft.AspNetCore.Http;

namespace CityBrain.SyntheticCity.Departments.Rsj;

/// <summary>
/// 人社局 employment and social insurance (人力社保业务系统). Its style: snake_case, dates as <c>yyyyMMdd</c> strings,
/// offset/limit paging, errors as <c>{"error_code":"...","error_msg":"..."}</c>, HTTP Basic authentication.
/// </summary>
internal sealed class HumanResourcesBureau : Department
{
    private const int MaxLimit = 500;

    private static readonly Table Persons = new("persons", "参保人员就业信息",
    [
        Column.Sensitive("id_no", "身份证号", "resident-id"),
        Column.Personal("name", "姓名", "name"),
        Column.Internal("district_code", "区县代码"),
        Column.Internal("employer_uscc", "用人单位统一社会信用代码"),
        Column.Personal("employment_status", "就业状态"),
        Column.Personal("start_date", "就业登记日期 yyyyMMdd"),
        Column.Sensitive("monthly_wage", "月工资 (元)", null, ColumnKind.Decimal),
    ], ["id_no", "district_code", "employer_uscc"]);

    private static readonly Table Insurance = new("insurance", "社会保险参保信息",
    [
        Column.Sensitive("id_no", "身份证号", "resident-id"),
        Column.Personal("pension_months", "养老保险缴费月数", null, ColumnKind.Integer),
        Column.Personal("unemployment_months", "失业保险缴费月数", null, ColumnKind.Integer),
        Column.Personal("medical_type", "医疗保险类别"),
        Column.Sensitive("pension_monthly", "月养老金 (元)", null, ColumnKind.Decimal),
        Column.Personal("retired_date", "退休日期 yyyyMMdd"),
    ], ["id_no", "retired_date"]);

    private static readonly Table Units = new("units", "参保单位年度信息",
    [
        Column.Public("uscc", "统一社会信用代码"),
        Column.Public("year", "年度", ColumnKind.Integer),
        Column.Internal("insured_employees", "参保职工人数", ColumnKind.Integer),
        Column.Internal("unemployment_insurance_paid", "失业保险缴费 (元)", ColumnKind.Decimal),
        Column.Internal("layoffs", "裁员人数", ColumnKind.Integer),
    ], ["uscc", "year"]);

    public override string Code => "rsj";

    public override string UnitName => "杭州市人力资源和社会保障局";

    public override string SystemCode => "rsj-insurance";

    public override string SystemName => "人力社保业务系统";

    public override CredentialStyle Credential { get; } = CredentialStyle.Basic("citybrain-hub");

    public override IReadOnlyList<Table> Tables { get; } = [Persons, Insurance, Units];

    public override IReadOnlyList<ApiOperation> Operations { get; }

    public HumanResourcesBureau()
    {
        ApiParameter[] paging = [ApiParameter.Query("offset", "integer", "records to skip"), ApiParameter.Query("limit", "integer", $"records to answer, 1-{MaxLimit}")];
        ApiField[] page = [ApiField.Public("offset", "offset", ColumnKind.Integer), ApiField.Public("limit", "limit", ColumnKind.Integer), ApiField.Public("total_count", "matching records", ColumnKind.Integer)];
        var idNo = ApiParameter.Path("id_no", "resident-id", "身份证号");
        Operations =
        [
            new("person", "就业信息查询 (by id_no)", "/rsj/api/v1/persons/{id_no}", "conditional", [idNo], [.. ApiField.Of(Persons)], Lookup(Persons)),
            new("persons", "就业信息列表 (by district, employer, status, start date)", "/rsj/api/v1/persons", "conditional",
                [ApiParameter.Query("district_code", "division-code", "区县代码"), ApiParameter.Query("employer_uscc", "credit-code", "用人单位"),
                 ApiParameter.Query("employment_status", "string", "就业状态"), ApiParameter.Query("start_date_from", "date", "就业登记日期起 yyyyMMdd"), .. paging],
                [.. page, .. ApiField.Of(Persons, "results")],
                r => List(r, Persons, new Filter()
                    .Equal("district_code", r.Text("district_code"))
                    .Equal("employer_uscc", r.Text("employer_uscc"))
                    .Equal("employment_status", r.Text("employment_status"))
                    .AtLeast("start_date", r.Date("start_date_from", "yyyyMMdd")))) { ListAt = "results" },
            new("insurance", "参保信息查询 (by id_no)", "/rsj/api/v1/insurance/{id_no}", "conditional", [idNo], [.. ApiField.Of(Insurance)], Lookup(Insurance)),
            new("retirees", "退休人员列表 (retired since; incremental feed)", "/rsj/api/v1/insurance", "conditional",
                [ApiParameter.Query("retired_from", "date", "退休日期起 yyyyMMdd"), .. paging], [.. page, .. ApiField.Of(Insurance, "results")],
                r => List(r, Insurance, new Filter().AtLeast("retired_date", r.Date("retired_from", "yyyyMMdd")))) { ListAt = "results" },
            new("unit-contributions", "单位参保缴费 (by uscc, every year)", "/rsj/api/v1/units/{uscc}", "conditional",
                [ApiParameter.Path("uscc", "credit-code", "统一社会信用代码")], [ApiField.Public("uscc", "统一社会信用代码"), .. ApiField.Of(Units, "results")], UnitYears) { ListAt = "results" },
            new("units", "参保单位列表 (by year)", "/rsj/api/v1/units", "conditional",
                [ApiParameter.Query("year", "integer", "年度 yyyy"), .. paging], [.. page, .. ApiField.Of(Units, "results")],
                r => List(r, Units, new Filter().Equal("year", r.Date("year", "yyyy")))) { ListAt = "results" },
        ];
    }

    private static OperationHandler Lookup(Table table) => async request =>
    {
        var id = request.Key("id_no", LooksLikeResidentId, "an 18-character resident ID number");
        return await request.Database.FindAsync(table.Name, "id_no", id.ToUpperInvariant(), request.Aborted)
            ?? throw DepartmentRequest.NotFound($"no {table.Name} record for this id_no");
    };

    private static async Task<JsonNode> UnitYears(DepartmentRequest request)
    {
        var uscc = request.Key("uscc", LooksLikeCreditCode, "an 18-character unified social credit code").ToUpperInvariant();
        var rows = await request.Database.ListAsync(Units.Name, new Filter().Equal("uscc", uscc), "\"year\", row_id", 100, 0, request.Aborted);
        return rows.Count == 0
            ? throw DepartmentRequest.NotFound("no insured unit with this uscc")
            : new JsonObject { ["uscc"] = uscc, ["results"] = Array(rows) };
    }

    private static async Task<JsonNode> List(DepartmentRequest request, Table table, Filter filter)
    {
        var offset = request.Int("offset", 0, 0, int.MaxValue);
        var limit = request.Int("limit", 100, 1, MaxLimit);
        var total = await request.Database.CountAsync(table.Name, filter, request.Aborted);
        var rows = await request.Database.ListAsync(table.Name, filter, "row_id", limit, offset, request.Aborted);
        return new JsonObject { ["offset"] = offset, ["limit"] = limit, ["total_count"] = total, ["results"] = Array(rows) };
    }

    public override IResult Error(Refusal refusal, string message, string path) => Body(DefaultStatus(refusal), new JsonObject
    {
        ["error_code"] = refusal switch
        {
            Refusal.InvalidParameter => "INVALID_PARAMETER",
            Refusal.NotFound => "RECORD_NOT_FOUND",
            Refusal.UnknownResource => "RESOURCE_NOT_FOUND",
            Refusal.Unauthorized => "UNAUTHORIZED",
            Refusal.MethodNotAllowed => "METHOD_NOT_ALLOWED",
            _ => "INTERNAL_ERROR",
        },
        ["error_msg"] = message,
    });
}

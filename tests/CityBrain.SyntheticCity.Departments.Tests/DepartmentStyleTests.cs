using System.Text.Json.Nodes;
using static CityBrain.SyntheticCity.Departments.Tests.FixtureCity;

namespace CityBrain.SyntheticCity.Departments.Tests;

/// <summary>Each department system answered directly (as the hub reaches it): lookups, lists in its own paging style, values as stored.</summary>
public sealed class DepartmentStyleTests(RunningCity city) : IClassFixture<RunningCity>
{
    [Fact]
    public async Task GajPerson_ByResidentId_AnswersPinyinRecordAsStored()
    {
        var (status, body) = await city.GetAsync("gaj", $"/api/v1/rk/{ResidentId(0)}");

        Assert.Equal(200, status);
        Assert.Equal(Name(0), (string)body["XM"]!);
        Assert.Equal("浙江省杭州市西湖区文新街道文一西路100号,3幢2单元501室", (string)body["JZDZ"]!);
        Assert.Equal(Phone(0), (string)body["LXDH"]!);
        Assert.Equal(["SFZH", "XM", "XB", "CSRQ", "MZ", "HH", "YHZGX", "HKXZ", "HJQH", "JZDZ", "LXDH", "SWBZ", "SWRQ", "QCRQ", "QWQH"], body.Select(p => p.Key).ToArray());
    }

    [Fact]
    public async Task GajPerson_DirtyRecords_ServedAsStored()
    {
        var (badStatus, bad) = await city.GetAsync("gaj", $"/api/v1/rk/{BadCheckDigitId}");
        var (_, missing) = await city.GetAsync("gaj", $"/api/v1/rk/{ResidentId(9)}");
        var (_, variant) = await city.GetAsync("gaj", $"/api/v1/rk/{ResidentId(5)}");

        Assert.Equal(200, badStatus);
        Assert.Equal(Name(7), (string)bad["XM"]!);
        Assert.Null(missing["LXDH"]);
        Assert.Contains("江干区", (string)variant["JZDZ"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GajPersons_PageAndSize_AnswersTotalAndThatPage()
    {
        var (status, body) = await city.GetAsync("gaj", "/api/v1/rk?HJQH=330106&page=3&size=4");

        Assert.Equal(200, status);
        Assert.Equal(10, (int)body["total"]!);
        Assert.Equal(3, (int)body["page"]!);
        Assert.Equal([ResidentId(24), ResidentId(27)], body["rows"]!.AsArray().Select(r => (string)r!["SFZH"]!).ToArray());
    }

    [Fact]
    public async Task GajPersons_DeathsSince_AnswersOnlyLaterDeaths()
    {
        var (_, body) = await city.GetAsync("gaj", "/api/v1/rk?SWRQ_KS=2025-06-01");

        Assert.Equal([ResidentId(11)], body["rows"]!.AsArray().Select(r => (string)r!["SFZH"]!).ToArray());
    }

    [Fact]
    public async Task GajPersons_MovedOutSince_AnswersOnlyLaterLeaversWithTheirDestination()
    {
        var (_, body) = await city.GetAsync("gaj", "/api/v1/rk?QCRQ_KS=2025-01-01");

        var row = Assert.Single(body["rows"]!.AsArray());
        Assert.Equal((ResidentId(13), "2025-04-10", "310115"), ((string)row!["SFZH"]!, (string)row["QCRQ"]!, (string)row["QWQH"]!));
    }

    [Fact]
    public async Task GajHousehold_ByHouseholdNumber_AnswersMembersIncludingDuplicate()
    {
        var (_, body) = await city.GetAsync("gaj", "/api/v1/hh/H00002");

        // Residents 4 and 5 share household 2; resident 4 is stored twice (planted duplicate).
        Assert.Equal([ResidentId(4), ResidentId(5), ResidentId(4)], body["rows"]!.AsArray().Select(r => (string)r!["SFZH"]!).ToArray());
    }

    [Fact]
    public async Task MzjDibao_CursorWalk_AnswersEveryRecordOnceThenNoNext()
    {
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var (status, body) = await city.GetAsync("mzj", "/api/v1/dibao?districtCode=330106&limit=3" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(200, status);
            seen.AddRange(body["items"]!.AsArray().Select(r => (string)r!["idNumber"]!));
            cursor = (string?)body["next"];
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(2, pages);
        Assert.Equal([ResidentId(0), ResidentId(3), ResidentId(6), ResidentId(9)], seen);
    }

    [Fact]
    public async Task MzjDeaths_Since_AnswersDeathsFromThatDate()
    {
        var (_, body) = await city.GetAsync("mzj", "/api/v1/deaths?since=2025-06-01");

        Assert.Equal([ResidentId(11), ResidentId(20)], body["items"]!.AsArray().Select(r => (string)r!["idNumber"]!).ToArray());
        Assert.Null(body["next"]);
    }

    [Fact]
    public async Task MzjDibaoRecipient_ByIdNumber_AnswersAmountAsNumber()
    {
        var (_, body) = await city.GetAsync("mzj", $"/api/v1/dibao/{ResidentId(2)}");

        Assert.Equal(1020m, (decimal)body["monthlyAmount"]!);
        Assert.Equal("stopped", (string)body["status"]!);
    }

    [Fact]
    public async Task RsjPersons_OffsetLimit_AnswersTotalCountAndSlice()
    {
        var (_, body) = await city.GetAsync("rsj", "/rsj/api/v1/persons?district_code=330106&offset=2&limit=3");

        Assert.Equal(10, (int)body["total_count"]!);
        Assert.Equal(2, (int)body["offset"]!);
        Assert.Equal([ResidentId(6), ResidentId(9), ResidentId(12)], body["results"]!.AsArray().Select(r => (string)r!["id_no"]!).ToArray());
    }

    [Fact]
    public async Task RsjInsuranceAndUnits_Lookups_AnswerYyyyMMddStringsAndEveryYear()
    {
        var (_, insurance) = await city.GetAsync("rsj", $"/rsj/api/v1/insurance/{ResidentId(2)}");
        var (_, unit) = await city.GetAsync("rsj", $"/rsj/api/v1/units/{CreditCode(1)}");
        var (_, retirees) = await city.GetAsync("rsj", "/rsj/api/v1/insurance?retired_from=20180101");

        Assert.Equal("20170101", (string)insurance["retired_date"]!);
        Assert.Equal(24, (int)insurance["pension_months"]!);
        Assert.Equal([2024, 2025], unit["results"]!.AsArray().Select(r => (int)r!["year"]!).ToArray());
        Assert.Equal(3, (int)unit["results"]![1]!["layoffs"]!);
        Assert.Equal([ResidentId(3), ResidentId(4)], retirees["results"]!.AsArray().Select(r => (string)r!["id_no"]!).ToArray());
    }

    [Fact]
    public async Task ScjgjEnterprises_PageNoPageSize_AnswersTotalAndList()
    {
        var (_, body) = await city.GetAsync("scjgj", "/scjg/api/qy?pageno=3&pagesize=5");
        var (_, bad) = await city.GetAsync("scjgj", "/scjg/api/qy?regstate=注销");

        Assert.Equal(12, (int)body["total"]!);
        Assert.Equal([EnterpriseName(10), EnterpriseName(11)], body["list"]!.AsArray().Select(r => (string)r!["entname"]!).ToArray());
        Assert.Equal([EnterpriseName(11)], bad["list"]!.AsArray().Select(r => (string)r!["entname"]!).ToArray());
    }

    [Fact]
    public async Task ScjgjEnterprise_StoredWithBadCheckCharacter_IsFoundAsStored()
    {
        var stored = CreditCode(5)[..17] + (CreditCode(5)[17] == 'A' ? 'B' : 'A');
        var (status, body) = await city.GetAsync("scjgj", $"/scjg/api/qy/{stored}");

        Assert.Equal(200, status);
        Assert.Equal(EnterpriseName(5), (string)body["entname"]!);
    }

    [Fact]
    public async Task SwjTaxpayer_PeriodRange_AnswersEnvelopeWithThoseMonths()
    {
        var (status, body) = await city.GetAsync("swj", $"/swj/api/nsr/{CreditCode(0)}?ssq_q=202503&ssq_z=202505");

        Assert.Equal(200, status);
        Assert.Equal(0, (int)body["ret"]!);
        Assert.Equal("ok", (string)body["msg"]!);
        Assert.Equal(["202503", "202504", "202505"], body["data"]!.AsArray().Select(r => (string)r!["ssq"]!).ToArray());
        Assert.Equal(1004m, (decimal)body["data"]![1]!["ynse"]!);
    }

    [Fact]
    public async Task SwjTaxpayer_UnknownTaxpayer_Http200WithNonZeroRet()
    {
        var (status, body) = await city.GetAsync("swj", $"/swj/api/nsr/{CreditCode(40)}");

        Assert.Equal(200, status);
        Assert.Equal(2004, (int)body["ret"]!);
        Assert.Null(body["data"]);
    }

    [Fact]
    public async Task SwjPeriodReturns_ImpossibleValue_ServedAsStored()
    {
        var (_, body) = await city.GetAsync("swj", "/swj/api/sbqc?ssq=202506&page=1&size=5");

        Assert.Equal(12, (int)body["data"]!["total"]!);
        Assert.Equal(-5m, (decimal)body["data"]!["list"]![2]!["ynse"]!);
    }

    [Fact]
    public async Task WjwDeaths_FeedWithTiedTimes_AnswersEveryCertificateOnceInOrder()
    {
        var seen = new List<string>();
        var query = "/wjw/api/deaths?limit=2";
        bool more;
        do
        {
            var (status, body) = await city.GetAsync("wjw", query);
            Assert.Equal(200, status);
            seen.AddRange(body["records"]!.AsArray().Select(r => (string)r!["certificate_no"]!));
            more = (bool)body["hasMore"]!;
            query = $"/wjw/api/deaths?limit=2&since={Uri.EscapeDataString((string)body["nextSince"]!)}&after={body["nextAfter"]}";
        }
        while (more);

        Assert.Equal(["D0001", "D0002", "D0003", "D0004", "D0005"], seen);
    }

    [Fact]
    public async Task WjwDeaths_SinceInAnotherOffset_ComparedAsTheSameInstant()
    {
        // 2025-06-15T13:00:00Z is 21:00 in Hangzhou: the two deaths at that minute and later.
        var (_, body) = await city.GetAsync("wjw", $"/wjw/api/deaths?since={Uri.EscapeDataString("2025-06-15T13:00:00+00:00")}");

        Assert.Equal(["D0002", "D0003", "D0004", "D0005"], body["records"]!.AsArray().Select(r => (string)r!["certificate_no"]!).ToArray());
        Assert.Equal("2025-06-15T21:00:00+08:00", (string)body["records"]![0]!["death_time"]!);
    }

    [Fact]
    public async Task YbjSettlements_ByPersonCursorWalk_AnswersEverySwipeOnce()
    {
        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var (status, body) = await city.GetAsync("ybj", $"/ybj/api/setl?psn_no={ResidentId(1)}&size=4" + (cursor is null ? "" : "&cursor=" + cursor));
            Assert.Equal(200, status);
            Assert.Equal(0, (int)body["infcode"]!);
            seen.AddRange(body["output"]!["setlinfo"]!.AsArray().Select(r => (string)r!["setl_id"]!));
            cursor = (string?)body["output"]!["next_cursor"];
        }
        while (cursor is not null);

        Assert.Equal(Enumerable.Range(0, Settlements).Where(s => s % 3 == 0).Select(SettlementId), seen);
    }

    [Fact]
    public async Task YbjSettlements_TimeWindow_AnswersSwipesInsideIt()
    {
        var (_, body) = await city.GetAsync("ybj", $"/ybj/api/setl?begntime={Uri.EscapeDataString("2025-07-03 00:00:00")}&endtime={Uri.EscapeDataString("2025-07-05 00:00:00")}");

        Assert.Equal([SettlementId(4), SettlementId(5), SettlementId(6), SettlementId(7)],
            body["output"]!["setlinfo"]!.AsArray().Select(r => (string)r!["setl_id"]!).ToArray());
    }

    [Fact]
    public async Task YbjInsuredPerson_ByPsnNo_AnswersBaseinfo()
    {
        var (_, body) = await city.GetAsync("ybj", $"/ybj/api/psn/{ResidentId(2)}");

        Assert.Equal(Name(2), (string)body["output"]!["baseinfo"]!["psn_name"]!);
        Assert.Equal("390", (string)body["output"]!["baseinfo"]!["insutype"]!);
    }

    [Fact]
    public async Task JtjParking_PlateAndFrom_AnswersPageLimitTotalWithEpochMilliseconds()
    {
        var (_, body) = await city.GetAsync("jtj", $"/jtj/api/parking?hphm={Uri.EscapeDataString(Plate(0))}&from={ParkingEntry(4)}&page=1&limit=3");

        Assert.Equal(7, (int)body["total"]!);
        Assert.Equal([ParkingEntry(4), ParkingEntry(8), ParkingEntry(12)], body["data"]!.AsArray().Select(r => (long)r!["entry_time"]!).ToArray());
    }

    [Fact]
    public async Task JtjVehicle_ByPlate_AnswersOwnerAndRegistrationEpoch()
    {
        var (status, body) = await city.GetAsync("jtj", $"/jtj/api/vehicles/{Uri.EscapeDataString(Plate(3))}");
        var (_, open) = await city.GetAsync("jtj", "/jtj/api/parking?page=6&limit=5");

        Assert.Equal(200, status);
        Assert.Equal(ResidentId(3), (string)body["sfzh"]!);
        Assert.Equal(new DateTimeOffset(2018, 3, 1, 0, 0, 0, TimeSpan.FromHours(8)).ToUnixTimeMilliseconds(), (long)body["ccdjrq"]!);
        Assert.Null(open["data"]![4]!["exit_time"]); // still parked: missing exit time served as null
    }

    [Fact]
    public async Task JtjVehicle_TextWhereEpochMillisecondsBelong_ServedAsStoredText()
    {
        var (_, body) = await city.GetAsync("jtj", $"/jtj/api/vehicles/{Uri.EscapeDataString(Plate(11))}");

        Assert.Equal(System.Text.Json.JsonValueKind.String, body["ccdjrq"]!.GetValueKind());
        Assert.Equal("2019-03-01", (string)body["ccdjrq"]!);
    }

    [Fact]
    public async Task OpenApi_EveryDepartment_DescribesEachOperationWithClassifiedFields()
    {
        foreach (var system in city.Cluster.Registry.Systems)
        {
            using var client = city.Client(system.Unit!, authenticated: false);
            var document = JsonNode.Parse(await client.GetStringAsync("/openapi.json"))!;
            var operations = document["paths"]!.AsObject().Select(p => (string)p.Value!["get"]!["operationId"]!).ToArray();
            Assert.Equal(system.Interfaces.Select(i => i.Code!).ToArray(), operations);
            var first = system.Interfaces[0];
            var schema = document["paths"]![first.Path!]!["get"]!["responses"]!["200"]!["content"]!["application/json"]!["schema"]!;
            Assert.Contains("x-level", schema.ToJsonString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Registry_Generated_NamesEightBureausUnderTheDataBureauAndIsWrittenToTheDataFolder()
    {
        var registry = city.Cluster.Registry;

        Assert.Equal(["杭州市公安局", "杭州市民政局", "杭州市人力资源和社会保障局", "杭州市市场监督管理局", "国家税务总局杭州市税务局", "杭州市卫生健康委员会", "杭州市医疗保障局", "杭州市交通运输局"],
            registry.Units.Select(u => u.Name!).ToArray());
        Assert.All(registry.Units, u => Assert.Equal("dsj", u.Parent));
        Assert.Equal(8, registry.Systems.Select(s => s.Credentials!.Value).Distinct().Count());
        Assert.Equal(city.Cluster.RegistryYaml, await File.ReadAllTextAsync(city.Cluster.RegistryPath));
        var reread = CityBrain.Hub.Registry.RegistryFile.Parse(city.Cluster.RegistryYaml, yaml: true);
        Assert.Equal(registry.Systems.Sum(s => s.Interfaces.Count), reread.Systems.Sum(s => s.Interfaces.Count));
        Assert.Equal(registry.Datasets.Count, reread.Datasets.Count);
        Assert.Equal(city.Cluster.BaseUrls["gaj"].ToString().TrimEnd('/'), reread.Systems[0].BaseUrl);
    }
}

using System.Globalization;
using System.Text;
using CityBrain.Kernel.Identifiers;

namespace CityBrain.SyntheticCity.Departments.Tests;

/// <summary>
/// A small city written as the generator writes it (docs/synthetic-city.md, departments/ only): a few dozen records
/// per file with planted dirt (a bad check digit, missing fields, a duplicate, an old district name, a quoted comma),
/// and the facts the tests check answers against.
/// </summary>
internal static class FixtureCity
{
    public const int Residents = 30;
    public const int Enterprises = 12;
    public const int Settlements = 45;

    private static readonly string[] Surnames = ["张", "王", "李", "赵", "陈", "刘", "杨", "黄", "周", "吴", "欧阳", "徐"];
    private static readonly string[] GivenNames = ["伟", "芳", "娜娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰"];
    private static readonly string[] Districts = ["330106", "330102", "330105"];

    /// <summary>Resident i (0-based): valid ID (GB 11643 check character), name, district.</summary>
    public static string ResidentId(int i)
    {
        var first17 = string.Create(CultureInfo.InvariantCulture, $"{Districts[i % 3]}{1950 + i * 2:D4}{1 + i % 12:D2}{1 + i % 28:D2}{100 + i:D3}");
        return first17 + Kernel.Identifiers.ResidentId.ComputeCheckCharacter(first17);
    }

    public static string Name(int i) => Surnames[i % Surnames.Length] + GivenNames[(i / 2) % GivenNames.Length];

    public static string District(int i) => Districts[i % 3];

    public static string Phone(int i) => string.Create(CultureInfo.InvariantCulture, $"138{i:D4}{5678 + i:D4}");

    /// <summary>Resident 7's ID stored by the police with a wrong check character (dirt kind bad-check-digit).</summary>
    public static string BadCheckDigitId => ResidentId(7)[..17] + (ResidentId(7)[17] == '1' ? '2' : '1');

    /// <summary>Enterprise j (0-based): valid unified social credit code (GB 32100 check character).</summary>
    public static string CreditCode(int j)
    {
        var first17 = string.Create(CultureInfo.InvariantCulture, $"91{Districts[j % 3]}MA{j + 1:D7}");
        return first17 + UnifiedSocialCreditCode.ComputeCheckCharacter(first17);
    }

    public static string EnterpriseName(int j) => $"杭州{GivenNames[j % GivenNames.Length]}科技有限公司{j}";

    public static string Plate(int k) => string.Create(CultureInfo.InvariantCulture, $"浙A{10000 + k * 7:D5}");

    public static string SettlementId(int s) => string.Create(CultureInfo.InvariantCulture, $"S{s + 1:D6}");

    /// <summary>Epoch milliseconds of a parking entry: 2025-06-01 08:00 +08:00 plus k hours.</summary>
    public static long ParkingEntry(int k) => new DateTimeOffset(2025, 6, 1, 8, 0, 0, TimeSpan.FromHours(8)).AddHours(k).ToUnixTimeMilliseconds();

    public static void Write(string cityDirectory)
    {
        var departments = Path.Combine(cityDirectory, "departments");
        Gaj(Path.Combine(departments, "gaj"));
        Mzj(Path.Combine(departments, "mzj"));
        Rsj(Path.Combine(departments, "rsj"));
        Scjgj(Path.Combine(departments, "scjgj"));
        Swj(Path.Combine(departments, "swj"));
        Wjw(Path.Combine(departments, "wjw"));
        Ybj(Path.Combine(departments, "ybj"));
        Jtj(Path.Combine(departments, "jtj"));
    }

    private static void Gaj(string dir)
    {
        var rows = new List<string[]>();
        for (var i = 0; i < Residents; i++)
        {
            var id = i == 7 ? BadCheckDigitId : ResidentId(i);
            var dead = i is 3 or 11;
            var address = i == 0
                ? "浙江省杭州市西湖区文新街道文一西路100号,3幢2单元501室" // a comma: the field is quoted
                : i == 5 ? "浙江省杭州市江干区凯旋街道景昙路18号" // pre-2021 district name (address-variant)
                : $"浙江省杭州市西湖区文新街道文一西路{i + 1}号";
            rows.Add([id, Name(i), (i % 2 + 1).ToString(CultureInfo.InvariantCulture), $"{1950 + i * 2:D4}-{1 + i % 12:D2}-{1 + i % 28:D2}", "汉族",
                $"H{i / 2:D5}", i % 2 == 0 ? "户主" : "配偶", i % 4 == 3 ? "nonlocal" : "local", District(i), address,
                i == 9 ? "" : Phone(i), // resident 9's phone is missing (missing-field)
                dead ? "1" : "0", i == 3 ? "2025-03-01" : i == 11 ? "2025-06-15" : "",
                i == 13 ? "2025-04-10" : i == 17 ? "2024-11-02" : "", i == 13 ? "310115" : i == 17 ? "320102" : ""]); // 13 and 17 moved out (迁出)
        }
        rows.Add(rows[4]); // resident 4 twice (duplicate)
        WriteCsv(dir, "rk", "SFZH,XM,XB,CSRQ,MZ,HH,YHZGX,HKXZ,HJQH,JZDZ,LXDH,SWBZ,SWRQ,QCRQ,QWQH", rows);
    }

    private static void Mzj(string dir)
    {
        // Dibao for residents 0..11; 0, 3, 6, 9 in 330106.
        WriteCsv(dir, "dibao", "idNumber,name,householdId,monthlyAmount,since,districtCode,status",
            Enumerable.Range(0, 12).Select(i => new[] { ResidentId(i), Name(i), $"H{i / 2:D5}", (1000 + i * 10).ToString(CultureInfo.InvariantCulture), "2024-01-01", District(i), i == 2 ? "stopped" : "active" }));
        WriteCsv(dir, "disability", "idNumber,name,grade,kind,certificateNo,districtCode",
            Enumerable.Range(12, 8).Select(i => new[] { ResidentId(i), Name(i), (1 + i % 4).ToString(CultureInfo.InvariantCulture), "physical", $"C{i:D8}", District(i) }));
        // Resident 11 died (police and civil affairs agree); resident 20 only here (stale-death elsewhere).
        WriteCsv(dir, "deaths", "idNumber,name,deathDate,districtCode",
        [
            [ResidentId(3), Name(3), "2025-03-01", District(3)],
            [ResidentId(11), Name(11), "2025-06-15", District(11)],
            [ResidentId(20), Name(20), "2025-08-20", District(20)],
        ]);
    }

    private static void Rsj(string dir)
    {
        WriteCsv(dir, "persons", "id_no,name,district_code,employer_uscc,employment_status,start_date,monthly_wage",
            Enumerable.Range(0, Residents).Select(i => new[] { ResidentId(i), Name(i), District(i), i % 3 == 2 ? "" : CreditCode(i % Enterprises),
                i % 3 == 2 ? "unemployed" : "employed", $"20{10 + i % 15:D2}0301", (6000 + i * 100).ToString(CultureInfo.InvariantCulture) }));
        WriteCsv(dir, "insurance", "id_no,pension_months,unemployment_months,medical_type,pension_monthly,retired_date",
            Enumerable.Range(0, Residents).Select(i => new[] { ResidentId(i), (12 * i).ToString(CultureInfo.InvariantCulture), (6 * i).ToString(CultureInfo.InvariantCulture),
                "employee", i < 5 ? "3200" : "", i < 5 ? $"20{15 + i:D2}0101" : "" }));
        WriteCsv(dir, "units", "uscc,year,insured_employees,unemployment_insurance_paid,layoffs",
            Enumerable.Range(0, Enterprises).SelectMany(j => new[] { 2024, 2025 }.Select(y => new[] { CreditCode(j), y.ToString(CultureInfo.InvariantCulture),
                (10 + j).ToString(CultureInfo.InvariantCulture), (5000 + j * 100).ToString(CultureInfo.InvariantCulture), (y == 2025 && j == 1 ? 3 : 0).ToString(CultureInfo.InvariantCulture) })));
    }

    private static void Scjgj(string dir) =>
        WriteCsv(dir, "qy", "uniscid,entname,industryco,industryname,entscale,dom,estdate,regstate,lerep",
            Enumerable.Range(0, Enterprises).Select(j => new[]
            {
                j == 5 ? CreditCode(5)[..17] + (CreditCode(5)[17] == 'A' ? 'B' : 'A') : CreditCode(j), // enterprise 5: bad check character
                EnterpriseName(j), j % 2 == 0 ? "I6513" : "C3911", j % 2 == 0 ? "应用软件开发" : "计算机整机制造", "small",
                $"浙江省杭州市西湖区文新街道学院路{j + 1}号", $"20{10 + j:D2}-05-20", j == 11 ? "注销" : "存续", Name(j),
            }));

    private static void Swj(string dir) =>
        WriteCsv(dir, "nsr", "nsrsbh,nsrmc,ssq,ynse",
            Enumerable.Range(0, Enterprises).SelectMany(j => Enumerable.Range(1, 12).Select(m => new[]
            {
                CreditCode(j), EnterpriseName(j), $"2025{m:D2}", j == 2 && m == 6 ? "-5" : (1000 * (j + 1) + m).ToString(CultureInfo.InvariantCulture),
            })));

    private static void Wjw(string dir)
    {
        WriteCsv(dir, "births", "certificate_no,child_id,child_name,mother_id,birth_time,hospital",
            Enumerable.Range(0, 10).Select(b => new[] { $"Q33{b:D6}", ResidentId(b), Name(b), ResidentId(b + 10), $"2025-0{1 + b % 9}-10T0{b % 10}:30:00+08:00", "浙江大学医学院附属妇产科医院" }));
        // Two deaths at the same minute: the feed's tie-breaker matters.
        WriteCsv(dir, "death_certificates", "certificate_no,person_id,death_time,cause_icd10",
        [
            ["D0001", ResidentId(3), "2025-03-01T06:10:00+08:00", "I21.9"],
            ["D0002", ResidentId(11), "2025-06-15T21:00:00+08:00", "C34.9"],
            ["D0003", ResidentId(12), "2025-06-15T21:00:00+08:00", "J18.9"],
            ["D0004", ResidentId(13), "2025-07-02T10:45:00+08:00", "I63.9"],
            ["D0005", ResidentId(20), "2025-08-20T03:05:00+08:00", "E11.9"],
        ]);
    }

    private static void Ybj(string dir)
    {
        WriteCsv(dir, "insured", "psn_no,psn_name,insutype,emp_no,insu_admdvs",
            Enumerable.Range(0, Residents).Select(i => new[] { ResidentId(i), Name(i), i % 3 == 2 ? "390" : "310", i % 3 == 2 ? "" : $"E{i % Enterprises:D6}", "330100" }));
        WriteCsv(dir, "fixmedins", "fixmedins_code,fixmedins_name,fixmedins_type,addr",
            Enumerable.Range(0, 5).Select(h => new[] { $"H3301{h:D5}", $"杭州市第{h + 1}人民医院", h < 3 ? "hospital" : "pharmacy", $"浙江省杭州市上城区解放路{h + 1}号" }));
        // Resident 1 swipes every third settlement; the rest spread over residents 2..9.
        WriteCsv(dir, "setl", "setl_id,psn_no,fixmedins_code,setl_time,medfee_sumamt",
            Enumerable.Range(0, Settlements).Select(s => new[]
            {
                SettlementId(s), ResidentId(s % 3 == 0 ? 1 : 2 + s % 8), $"H3301{s % 5:D5}",
                $"2025-07-{1 + s / 2:D2} {8 + s % 10:D2}:15:00", (50 + s * 3.5m).ToString("0.00", CultureInfo.InvariantCulture),
            }));
    }

    private static void Jtj(string dir)
    {
        WriteCsv(dir, "vehicles", "hphm,hpzl,syr,sfzh,ccdjrq",
            Enumerable.Range(0, 12).Select(k => new[] { Plate(k), k % 3 == 0 ? "52" : "02", Name(k), ResidentId(k),
                k == 11 ? "2019-03-01" // a date where epoch milliseconds belong (impossible-value)
                : new DateTimeOffset(2015 + k % 8, 3, 1, 0, 0, 0, TimeSpan.FromHours(8)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) }));
        WriteCsv(dir, "parking", "record_id,hphm,lot_id,entry_time,exit_time,fee",
            Enumerable.Range(0, 30).Select(k => new[] { $"P{k:D6}", Plate(k % 4), $"LOT{k % 3:D3}", ParkingEntry(k).ToString(CultureInfo.InvariantCulture),
                k == 29 ? "" : (ParkingEntry(k) + 5_400_000).ToString(CultureInfo.InvariantCulture), k == 29 ? "" : "10.00" }));
    }

    private static void WriteCsv(string dir, string file, string header, IEnumerable<string[]> rows)
    {
        Directory.CreateDirectory(dir);
        var text = new StringBuilder(header).Append('\n');
        foreach (var row in rows)
        {
            text.AppendJoin(',', row.Select(Quote)).Append('\n');
        }
        File.WriteAllText(Path.Combine(dir, file + ".csv"), text.ToString(), new UTF8Encoding(false));
    }

    private static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;
}

using System.Globalization;
using CityBrain.Kernel.Identifiers;

namespace CityBrain.SyntheticCity.Tests.Generation;

/// <summary>Planted faults are where truth/dirt.csv says, and nowhere else.</summary>
public sealed class DirtTests(GeneratedCity city) : IClassFixture<GeneratedCity>
{
    private static readonly (string File, string Column, bool Credit)[] IdentifierColumns =
    [
        ("departments/gaj/rk.csv", "SFZH", false), ("departments/rsj/persons.csv", "id_no", false), ("departments/rsj/insurance.csv", "id_no", false),
        ("departments/ybj/insured.csv", "psn_no", false), ("departments/ybj/setl.csv", "psn_no", false), ("departments/mzj/dibao.csv", "idNumber", false),
        ("departments/mzj/disability.csv", "idNumber", false), ("departments/mzj/deaths.csv", "idNumber", false), ("departments/wjw/births.csv", "child_id", false),
        ("departments/wjw/births.csv", "mother_id", false), ("departments/wjw/death_certificates.csv", "person_id", false), ("departments/jtj/vehicles.csv", "sfzh", false),
        ("departments/scjgj/qy.csv", "uniscid", true), ("departments/swj/nsr.csv", "nsrsbh", true), ("departments/rsj/units.csv", "uscc", true),
        ("departments/rsj/persons.csv", "employer_uscc", true), ("departments/ybj/insured.csv", "emp_no", true),
    ];

    private IEnumerable<string[]> Dirt(string kind) => city["truth/dirt.csv"].Rows.Where(r => r[0] == kind);

    private static string PathOf(string department, string file) => $"departments/{department}/{file}";

    [Fact]
    public void Truth_EveryResidentIdAndCreditCode_PassesItsCheck()
    {
        Assert.All(city["truth/residents.csv"].Values("resident_id"), id => Assert.True(ResidentId.IsValid(id), id));
        Assert.All(city["truth/enterprises.csv"].Values("uscc"), code => Assert.True(UnifiedSocialCreditCode.IsValid(code), code));
        Assert.Equal(GeneratedCity.Residents, city["truth/residents.csv"].Values("resident_id").Distinct().Count());
    }

    [Fact]
    public void Departments_EveryIdentifierNotPlantedAsBad_PassesItsCheck()
    {
        var planted = Dirt("bad-check-digit").Select(r => (PathOf(r[1], r[2]), r[4], r[6])).ToHashSet();
        var failures = 0;
        foreach (var (file, column, credit) in IdentifierColumns)
        {
            foreach (var value in city[file].Values(column).Where(v => v.Length > 0))
            {
                var valid = credit ? UnifiedSocialCreditCode.IsValid(value) : ResidentId.IsValid(value);
                if (!valid)
                {
                    Assert.Contains((file, column, value), planted);
                    failures++;
                }
            }
        }
        Assert.True(failures > 0, "a 20,000-resident city has some planted bad check characters");
    }

    [Fact]
    public void DirtFile_EveryPlantedBadCheckDigit_FailsTheCheckAndDiffersOnlyInTheLastCharacter()
    {
        var rows = Dirt("bad-check-digit").ToList();
        Assert.NotEmpty(rows);
        Assert.All(rows, r =>
        {
            var credit = r[2] == "qy.csv";
            Assert.False(credit ? UnifiedSocialCreditCode.IsValid(r[6]) : ResidentId.IsValid(r[6]), r[6]);
            Assert.True(credit ? UnifiedSocialCreditCode.IsValid(r[5]) : ResidentId.IsValid(r[5]), r[5]);
            Assert.Equal(r[5][..17], r[6][..17]);
        });
    }

    [Fact]
    public void DirtFile_EveryFieldFault_IsInTheDepartmentFileAndDiffersFromTheCleanValue()
    {
        var rows = city["truth/dirt.csv"].Rows.Where(r => r[4].Length > 0 && r[5].Length > 0 || r[0] == "missing-field").ToList();
        Assert.NotEmpty(rows);
        foreach (var r in rows)
        {
            var file = city[PathOf(r[1], r[2])];
            var column = file.Column(r[4]);
            var matches = file.Rows.Where(row => Key(r[2], row) == r[3]).ToList();
            Assert.True(matches.Count > 0, $"{r[0]} {r[2]} {r[3]} not found");
            Assert.Contains(matches, row => row[column] == r[6]);
            Assert.NotEqual(r[5], r[6]);
        }
    }

    private static string Key(string file, string[] row) => file == "nsr.csv" ? row[0] + "|" + row[2] : row[0];

    [Fact]
    public void DirtFile_EveryDuplicate_AppearsTwiceAndUnplantedKeysOnce()
    {
        var duplicates = Dirt("duplicate").ToList();
        Assert.NotEmpty(duplicates);
        foreach (var group in duplicates.GroupBy(r => (r[1], r[2])))
        {
            var counts = city[PathOf(group.Key.Item1, group.Key.Item2)].Rows.GroupBy(row => Key(group.Key.Item2, row)).ToDictionary(g => g.Key, g => g.Count());
            var planted = group.Select(r => r[3]).ToHashSet();
            Assert.All(planted, key => Assert.Equal(2, counts[key]));
            Assert.All(counts.Where(c => c.Value > 1), c => Assert.Contains(c.Key, planted));
        }
    }

    [Fact]
    public void DirtFile_StaleDeaths_AreDeadInTruthButAliveInTheDepartment()
    {
        var residents = city["truth/residents.csv"].ByKey("resident_id");
        var swipes = city["truth/swipes.csv"].ByKey("swipe_id");
        var setl = city["departments/ybj/setl.csv"].ByKey("setl_id");
        var stale = Dirt("stale-death").ToList();
        Assert.NotEmpty(stale);
        foreach (var r in stale)
        {
            var personId = r[2] == "setl.csv" ? setl[r[3]][1] : r[3];
            var death = residents[personId][22];
            Assert.NotEqual("", death);
            if (r[2] == "setl.csv")
            {
                Assert.False(swipes.ContainsKey(r[3]), "the swipe after death exists only in the department's file");
                Assert.True(string.CompareOrdinal(setl[r[3]][3], death) > 0, "swiped after the death date");
            }
        }
    }

    [Fact]
    public void PopulationRegister_RowsWithoutPlantedFaults_MatchTheTruthExactly()
    {
        var residents = city["truth/residents.csv"].ByKey("resident_id");
        var addresses = city["truth/addresses.csv"].ByKey("address_id");
        var faulty = city["truth/dirt.csv"].Rows.Where(r => r[2] == "rk.csv").Select(r => r[3]).ToHashSet();
        var movedOut = city["truth/moved_out.csv"].ByKey("resident_id");
        var rk = city["departments/gaj/rk.csv"];
        var clean = 0;
        foreach (var row in rk.Rows.Where(row => !faulty.Contains(row[0])))
        {
            var truth = residents[row[0]];
            Assert.Equal(truth[1], row[1]);
            Assert.Equal(truth[3], row[3]);
            Assert.Equal(truth[10], row[10]);
            Assert.Equal(truth[22].Length > 0 ? "1" : "0", row[11]);
            Assert.Equal(movedOut.TryGetValue(row[0], out var left) ? (left[1], left[2]) : ("", ""), (row[13], row[14]));
            Assert.Equal(addresses[truth[9]][12], row[9]);
            clean++;
        }
        Assert.True(clean > GeneratedCity.Residents * 0.9);
    }

    [Fact]
    public void DepartmentFiles_RowCounts_AreTheTruthPlusPlantedDuplicatesAndStaleRecords()
    {
        var residents = city["truth/residents.csv"].Rows;
        var asOf = new DateOnly(2025, 12, 31);
        int Planted(string kind, string file) => city["truth/dirt.csv"].Rows.Count(r => r[0] == kind && r[2] == file);
        int Rows(string path) => city[path].Rows.Count;
        int Age(string birth)
        {
            var born = DateOnly.ParseExact(birth, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            var age = asOf.Year - born.Year;
            return asOf < born.AddYears(age) ? age - 1 : age;
        }

        Assert.Equal(residents.Count + Planted("duplicate", "rk.csv"), Rows("departments/gaj/rk.csv"));
        Assert.Equal(residents.Count(r => Age(r[3]) >= 16) + Planted("duplicate", "persons.csv"), Rows("departments/rsj/persons.csv"));
        Assert.Equal(residents.Count(r => r[17] != "none") + Planted("duplicate", "insured.csv"), Rows("departments/ybj/insured.csv"));
        // Civil affairs still lists some who moved out of the city (its lag); the truth says their 低保 ended with the move.
        var movedOut = city["truth/moved_out.csv"].Rows;
        int StillListed(string dataset) => movedOut.Count(r => r[3].Split(';').Contains(dataset));
        Assert.Equal(residents.Count(r => r[20] == "true") + Planted("duplicate", "dibao.csv") + Planted("stale-death", "dibao.csv") + StillListed("mzj.dibao"),
            Rows("departments/mzj/dibao.csv"));
        Assert.Equal(residents.Count(r => r[22].Length > 0) + Planted("duplicate", "deaths.csv"), Rows("departments/mzj/deaths.csv"));
        Assert.Equal(residents.Count(r => r[22].Length > 0), Rows("departments/wjw/death_certificates.csv"));
        var leavers = movedOut.Select(r => r[0]).ToHashSet();
        Assert.Equal(residents.Count(r => r[18] != "0" && r[22].Length == 0 && !leavers.Contains(r[0])) + StillListed("mzj.disability"), Rows("departments/mzj/disability.csv"));
        Assert.Equal(Rows("truth/swipes.csv") + Planted("duplicate", "setl.csv") + Planted("stale-death", "setl.csv"), Rows("departments/ybj/setl.csv"));
        Assert.Equal(Rows("truth/vehicles.csv") + Planted("duplicate", "vehicles.csv"), Rows("departments/jtj/vehicles.csv"));
        Assert.Equal(Rows("truth/parking.csv") + Planted("duplicate", "parking.csv"), Rows("departments/jtj/parking.csv"));
        Assert.Equal(Rows("truth/enterprises.csv") + Planted("duplicate", "qy.csv"), Rows("departments/scjgj/qy.csv"));
        Assert.Equal(Rows("truth/tax_monthly.csv") + Planted("duplicate", "nsr.csv"), Rows("departments/swj/nsr.csv"));
        Assert.Equal(Rows("truth/enterprises.csv"), Rows("departments/rsj/units.csv"));
        Assert.Equal(Rows("truth/institutions.csv"), Rows("departments/ybj/fixmedins.csv"));
    }

    [Fact]
    public void LabourInsuranceAndTransportRecords_WithoutPlantedFaults_MatchTheTruth()
    {
        var residents = city["truth/residents.csv"].ByKey("resident_id");
        var faulty = city["truth/dirt.csv"].Rows.Select(r => (r[2], r[3])).ToHashSet();
        foreach (var row in city["departments/rsj/persons.csv"].Rows.Where(r => !faulty.Contains(("persons.csv", r[0]))))
        {
            var truth = residents[row[0]];
            Assert.Equal((truth[1], truth[13], truth[22].Length > 0 ? "deceased" : truth[12]), (row[1], row[3], row[4]));
            Assert.Equal(truth[12] == "employed" ? truth[14] : "", row[6]);
        }
        foreach (var row in city["departments/ybj/insured.csv"].Rows.Where(r => !faulty.Contains(("insured.csv", r[0]))))
        {
            var truth = residents[row[0]];
            Assert.Equal((truth[1], truth[17] == "employee" ? "310" : "390"), (row[1], row[2]));
        }
        var vehicles = city["truth/vehicles.csv"].ByKey("plate");
        foreach (var row in city["departments/jtj/vehicles.csv"].Rows.Where(r => !faulty.Contains(("vehicles.csv", r[0]))))
        {
            var owner = residents[vehicles[row[0]][1]];
            Assert.Equal((owner[0], owner[1]), (row[3], row[2]));
        }
        var enterprises = city["truth/enterprises.csv"].ByKey("uscc");
        foreach (var row in city["departments/scjgj/qy.csv"].Rows.Where(r => !faulty.Contains(("qy.csv", r[0]))))
        {
            var truth = enterprises[row[0]];
            Assert.Equal((truth[1], truth[2], truth[4], truth[6]), (row[1], row[2], row[4], row[6]));
            Assert.Equal(residents[truth[7]][1], row[8]);
        }
    }

    [Fact]
    public void DistrictColumns_WithoutPlantedMismatch_AreTheDistrictOfTheDwelling()
    {
        var residents = city["truth/residents.csv"].ByKey("resident_id");
        var addresses = city["truth/addresses.csv"].ByKey("address_id");
        var mismatches = Dirt("district-mismatch").Select(r => (r[2], r[3])).ToHashSet();
        Assert.NotEmpty(mismatches);
        foreach (var (file, column) in new[] { ("departments/rsj/persons.csv", "district_code"), ("departments/ybj/insured.csv", "insu_admdvs"), ("departments/mzj/dibao.csv", "districtCode"), ("departments/mzj/disability.csv", "districtCode") })
        {
            var csv = city[file];
            var i = csv.Column(column);
            foreach (var row in csv.Rows.Where(row => residents.ContainsKey(row[0])))
            {
                var district = addresses[residents[row[0]][9]][2];
                Assert.True(row[i] == district || mismatches.Contains((Path.GetFileName(file), row[0])), $"{file} {column} {row[0]}");
            }
        }
    }

    [Fact]
    public void DirtFile_KindsAndRates_AsDocumented()
    {
        var kinds = city["truth/dirt.csv"].Values("kind").GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(["address-variant", "bad-check-digit", "district-mismatch", "duplicate", "impossible-value", "missing-field", "stale-death"], kinds.Keys.Order(StringComparer.Ordinal));
        // 0.5 % of gaj's 20,000 records is about 100 duplicates there; allow sampling noise.
        var rkDuplicates = city["truth/dirt.csv"].Rows.Count(r => r[0] == "duplicate" && r[2] == "rk.csv");
        Assert.InRange(rkDuplicates, 60, 140);
    }
}

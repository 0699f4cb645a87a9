using System.Globalization;
using System.Text.RegularExpressions;

namespace CityBrain.SyntheticCity.Tests.Generation;

/// <summary>The truth files agree with each other, as a city's records would.</summary>
public sealed partial class IntegrityTests(GeneratedCity city) : IClassFixture<GeneratedCity>
{
    private Csv Residents => city["truth/residents.csv"];

    [Fact]
    public void Residents_References_PointAtExistingHouseholdsAddressesAndEmployers()
    {
        var households = city["truth/households.csv"].ByKey("household_id");
        var addresses = city["truth/addresses.csv"].ByKey("address_id");
        var enterprises = city["truth/enterprises.csv"].ByKey("uscc");
        foreach (var r in Residents.Rows)
        {
            Assert.True(households.ContainsKey(r[5]), r[5]);
            Assert.Equal("dwelling", addresses[r[9]][1]);
            Assert.Equal(households[r[5]][2], r[9]);
            if (r[13].Length > 0)
            {
                Assert.Equal("employed", r[12]);
                Assert.Equal("active", enterprises[r[13]][13]);
            }
        }
        var residentIds = Residents.ByKey("resident_id");
        Assert.All(households.Values, h => Assert.Equal("head", residentIds[h[1]][6]));
    }

    [Fact]
    public void Enterprises_EmployeeCounts_MatchTheResidentsWhoWorkThere()
    {
        var employed = Residents.Rows.Where(r => r[13].Length > 0).GroupBy(r => r[13]).ToDictionary(g => g.Key, g => g.Count());
        var enterprises = city["truth/enterprises.csv"];
        Assert.All(enterprises.Rows, e => Assert.Equal(employed.GetValueOrDefault(e[0]), int.Parse(e[8], CultureInfo.InvariantCulture)));
        Assert.Equal(Residents.Values("employment").Count(e => e == "employed"), employed.Values.Sum());
        Assert.All(enterprises.Rows, e => Assert.True(int.Parse(e[9], CultureInfo.InvariantCulture) <= int.Parse(e[8], CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Enterprises_AnnualTax_IsTheSumOfTwelveMonths()
    {
        var monthly = city["truth/tax_monthly.csv"].Rows.GroupBy(r => r[0])
            .ToDictionary(g => g.Key, g => (Count: g.Count(), Sum: g.Sum(r => decimal.Parse(r[2], CultureInfo.InvariantCulture))));
        Assert.All(city["truth/enterprises.csv"].Rows, e =>
        {
            Assert.Equal(12, monthly[e[0]].Count);
            Assert.Equal(decimal.Parse(e[11], CultureInfo.InvariantCulture), monthly[e[0]].Sum);
        });
    }

    [Fact]
    public void Benefits_DibaoRecipientsAreLowIncomeLocalsAndTheDeadDrawNothing()
    {
        var dibao = Residents.Rows.Where(r => r[20] == "true").ToList();
        Assert.NotEmpty(dibao);
        Assert.All(dibao, r =>
        {
            Assert.Equal("local", r[7]);
            Assert.True(int.Parse(r[14], CultureInfo.InvariantCulture) < 1314, "income under Hangzhou's dibao standard");
        });
        var dead = Residents.Rows.Where(r => r[22].Length > 0).ToList();
        Assert.NotEmpty(dead);
        Assert.All(dead, r => Assert.Equal(("none", "", "0", "0", "false"), (r[12], r[13], r[14], r[21], r[20])));
    }

    [Fact]
    public void Swipes_ByInsuredPeopleAtKnownInstitutions_NeverAfterDeath()
    {
        var residents = Residents.ByKey("resident_id");
        var institutions = city["truth/institutions.csv"].ByKey("code");
        var swipes = city["truth/swipes.csv"].Rows;
        Assert.NotEmpty(swipes);
        Assert.All(swipes, s =>
        {
            var person = residents[s[1]];
            Assert.NotEqual("none", person[17]);
            Assert.True(institutions.ContainsKey(s[2]), s[2]);
            Assert.True(person[22].Length == 0 || string.CompareOrdinal(s[3][..10], person[22]) < 0, $"{s[0]} after death {person[22]}");
        });
    }

    [Fact]
    public void MedicalInsuranceRegister_ListsExactlyTheInsuredResidents()
    {
        var faulty = city["truth/dirt.csv"].Rows.Where(r => r[2] == "insured.csv" && r[0] == "bad-check-digit").ToDictionary(r => r[6], r => r[5]);
        var listed = city["departments/ybj/insured.csv"].Values("psn_no").Select(id => faulty.GetValueOrDefault(id, id)).ToHashSet();
        var insured = Residents.Rows.Where(r => r[17] != "none").Select(r => r[0]).ToHashSet();
        Assert.Equal(insured.Order(StringComparer.Ordinal), listed.Order(StringComparer.Ordinal));
        var types = city["departments/ybj/insured.csv"].Rows.Where(r => !faulty.ContainsKey(r[0])).GroupBy(r => r[0]).ToDictionary(g => g.Key, g => g.First()[2]);
        Assert.All(Residents.Rows.Where(r => types.ContainsKey(r[0])), r => Assert.Equal(r[17] == "employee" ? "310" : "390", types[r[0]]));
    }

    [Fact]
    public void VehiclesAndParking_PlatesUniqueOwnersAdultResidents()
    {
        var residents = Residents.ByKey("resident_id");
        var vehicles = city["truth/vehicles.csv"];
        Assert.NotEmpty(vehicles.Rows);
        Assert.Equal(vehicles.Rows.Count, vehicles.Values("plate").Distinct().Count());
        Assert.All(vehicles.Rows, v =>
        {
            Assert.Matches(PlatePattern(), v[0]);
            var birth = DateOnly.ParseExact(residents[v[1]][3], "yyyy-MM-dd", CultureInfo.InvariantCulture);
            Assert.True(DateOnly.ParseExact(v[3], "yyyy-MM-dd", CultureInfo.InvariantCulture) >= birth.AddYears(18));
        });
        var plates = vehicles.Values("plate").ToHashSet();
        Assert.All(city["truth/parking.csv"].Rows, p =>
        {
            Assert.Contains(p[1], plates);
            Assert.True(string.CompareOrdinal(p[3], p[4]) < 0, "a session ends after it starts");
        });
    }

    [GeneratedRegex("^浙AD?[0-9A-HJ-NP-Z]{5}$")]
    private static partial Regex PlatePattern();

    [Fact]
    public void Births_HaveAMotherInTheHouseholdAndMatchTheEvents()
    {
        var residents = Residents.ByKey("resident_id");
        var births = city["departments/wjw/births.csv"].Rows;
        Assert.NotEmpty(births);
        var faulty = city["truth/dirt.csv"].Rows.Where(r => r[2] == "births.csv").Select(r => r[3]).ToHashSet();
        Assert.All(births.Where(b => !faulty.Contains(b[0])), b =>
        {
            var child = residents[b[1]];
            var mother = residents[b[3]];
            Assert.Equal(child[5], mother[5]);
            Assert.Equal("2", mother[2]);
            Assert.Equal(child[1], b[2]);
            Assert.StartsWith(child[3], b[4], StringComparison.Ordinal);
        });
        Assert.Equal(births.Count - city["truth/dirt.csv"].Rows.Count(r => r[2] == "births.csv" && r[0] == "duplicate"),
            city["truth/events.csv"].Values("kind").Count(k => k == "birth"));
    }

    [Fact]
    public void AgePyramid_RoughlyHangzhous()
    {
        var asOf = new DateOnly(2025, 12, 31);
        var ages = Residents.Values("birth_date").Select(d => asOf.Year - int.Parse(d[..4], CultureInfo.InvariantCulture)).ToList();
        double Share(Func<int, bool> f) => ages.Count(f) / (double)ages.Count;
        Assert.InRange(Share(a => a >= 60), 0.13, 0.21);  // 2020 census: 16.9 %
        Assert.InRange(Share(a => a <= 14), 0.10, 0.20);  // 13.2 %
        Assert.InRange(Residents.Values("hukou").Count(h => h == "nonlocal") / (double)ages.Count, 0.30, 0.45);
    }
}

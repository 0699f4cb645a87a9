using System.Globalization;
using CityBrain.SyntheticCity.Generation;

namespace CityBrain.SyntheticCity.Tests.Generation;

/// <summary>Households whose registration moved out of Hangzhou (迁出): the truth, the police register, and who still lists them.</summary>
public sealed class MovedOutTests(GeneratedCity city) : IClassFixture<GeneratedCity>
{
    private static readonly DateOnly AsOf = new(2025, 12, 31);

    private List<string[]> Leavers => city["truth/moved_out.csv"].Rows;

    [Fact]
    public void MovedOut_Share_AboutHalfToOnePercentOfResidentsLocalAndAliveWithinTwoYears()
    {
        var residents = city["truth/residents.csv"].ByKey("resident_id");

        Assert.InRange(Leavers.Count, GeneratedCity.Residents * 0.005, GeneratedCity.Residents * 0.01);
        Assert.All(Leavers, r =>
        {
            var person = residents[r[0]];
            Assert.Equal(("local", ""), (person[7], person[22]));
            var day = DateOnly.ParseExact(r[1], "yyyy-MM-dd", CultureInfo.InvariantCulture);
            Assert.InRange(day, AsOf.AddDays(-729), AsOf);
            Assert.True(string.CompareOrdinal(person[3], r[1]) < 0, "born before moving out");
            Assert.Matches("^[1-9][0-9]{5}$", r[2]);
            Assert.False(r[2].StartsWith("3301", StringComparison.Ordinal), $"{r[2]} is outside Hangzhou");
        });
        // Whole households leave together, on one day.
        var byHousehold = Leavers.GroupBy(r => residents[r[0]][5]).ToList();
        Assert.True(byHousehold.Count < Leavers.Count, "some households have several members");
        Assert.All(byHousehold, h => Assert.Single(h.Select(r => r[1]).Distinct()));
    }

    [Fact]
    public void PopulationRegister_EveryLeaver_HasTheMoveOutDateAndDestination()
    {
        var rk = city["departments/gaj/rk.csv"];
        var registered = rk.Rows.Where(r => r[13].Length > 0).GroupBy(r => r[0]).ToDictionary(g => g.Key, g => (g.First()[13], g.First()[14]));
        var badKeys = city["truth/dirt.csv"].Rows.Where(r => r[0] == "bad-check-digit" && r[2] == "rk.csv").Select(r => r[3]).ToHashSet();

        // Keyed by the ID as written: a leaver whose ID the clerk mistyped is there under the mistyped ID.
        Assert.Equal(Leavers.Count, registered.Count);
        Assert.All(Leavers, r => Assert.True(registered.TryGetValue(r[0], out var row) ? row == (r[1], r[2]) : registered.Keys.Any(k => badKeys.Contains(k) && k[..17] == r[0][..17]), r[0]));
        Assert.All(rk.Rows.Where(r => r[13].Length == 0), r => Assert.Equal("", r[14]));
    }

    [Fact]
    public void Departments_AfterTheMove_NoSwipesOrCallsInTheCityAndCivilAffairsListsOnlyWhereItLags()
    {
        var left = Leavers.ToDictionary(r => r[0], r => r[1], StringComparer.Ordinal);
        var stillListed = Leavers.ToDictionary(r => r[0], r => r[3].Split(';', StringSplitOptions.RemoveEmptyEntries).ToHashSet(), StringComparer.Ordinal);
        var residents = city["truth/residents.csv"].ByKey("resident_id");

        Assert.DoesNotContain(city["truth/swipes.csv"].Rows, s => left.TryGetValue(s[1], out var day) && string.CompareOrdinal(s[3][..10], day) >= 0);
        Assert.DoesNotContain(city["departments/ybj/setl.csv"].Rows, s => left.TryGetValue(s[1], out var day) && string.CompareOrdinal(s[3][..10], day) >= 0);
        Assert.DoesNotContain(city["truth/hotline.csv"].Rows, h => left.TryGetValue(h[2], out var day) && string.CompareOrdinal(h[1][..10], day) >= 0);
        // The truth: 低保 ends with the move (it is for local hukou); the disability itself stays.
        Assert.All(Leavers, r => Assert.Equal("false", residents[r[0]][20]));
        var dibao = city["departments/mzj/dibao.csv"].Rows.Select(r => r[0]).Where(left.ContainsKey).ToHashSet();
        var disability = city["departments/mzj/disability.csv"].Rows.Select(r => r[0]).Where(left.ContainsKey).ToHashSet();
        Assert.Equal(stillListed.Where(s => s.Value.Contains("mzj.dibao")).Select(s => s.Key).Order(), dibao.Order());
        Assert.Equal(stillListed.Where(s => s.Value.Contains("mzj.disability")).Select(s => s.Key).Order(), disability.Order());
        Assert.All(stillListed.Where(s => s.Value.Contains("mzj.disability")), s => Assert.NotEqual("0", residents[s.Key][18]));
    }

    [Fact]
    public async Task CivilAffairs_LagTurnedUp_StillListsTheDibaoAndDisabilityOfThoseItHasNotCaughtUpWith()
    {
        var folder = TempFolder.Create();
        try
        {
            await CityGenerator.GenerateAsync(new CityGenerationOptions { Residents = 3_000, Seed = 5, OutputDirectory = folder, MovedOutShare = 0.3, MovedOutLag = 0.5 },
                null, TestContext.Current.CancellationToken);
            var leavers = Csv.Read(Path.Combine(folder, "truth", "moved_out.csv")).Rows;
            var residents = Csv.Read(Path.Combine(folder, "truth", "residents.csv")).ByKey("resident_id");
            var dibao = Csv.Read(Path.Combine(folder, "departments", "mzj", "dibao.csv")).ByKey("idNumber");
            var disability = Csv.Read(Path.Combine(folder, "departments", "mzj", "disability.csv")).ByKey("idNumber");
            var lagging = leavers.Where(r => r[3].Length > 0).ToList();

            Assert.Contains(lagging, r => r[3].Contains("mzj.dibao", StringComparison.Ordinal));
            Assert.Contains(lagging, r => r[3].Contains("mzj.disability", StringComparison.Ordinal));
            Assert.All(lagging.Where(r => r[3].Contains("mzj.dibao", StringComparison.Ordinal)), r => Assert.Equal("active", dibao[r[0]][6]));
            Assert.All(lagging.Where(r => r[3].Contains("mzj.disability", StringComparison.Ordinal)), r => Assert.Equal(residents[r[0]][18], disability[r[0]][2][..1]));
            Assert.All(leavers.Where(r => r[3].Length == 0), r => Assert.False(dibao.ContainsKey(r[0]) || disability.ContainsKey(r[0]), r[0]));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void PolicyEligible_Leavers_NeverListedThoughSomeWouldQualifyByTheRule()
    {
        var left = Leavers.Select(r => r[0]).ToHashSet();
        var residents = city["truth/residents.csv"].ByKey("resident_id");
        int Age(string birth)
        {
            var born = DateOnly.ParseExact(birth, "yyyy-MM-dd", CultureInfo.InvariantCulture);
            return AsOf.Year - born.Year - (AsOf < born.AddYears(AsOf.Year - born.Year) ? 1 : 0);
        }

        Assert.DoesNotContain(city["truth/policy_eligible.csv"].Rows, r => left.Contains(r[1]));
        // The allowance for 80+ local residents and the childcare subsidy read what the police register still shows.
        Assert.Contains(left, id => Age(residents[id][3]) >= 80);
        Assert.Contains(left, id => Age(residents[id][3]) < 3);
    }

    [Fact]
    public void Events_EveryLeaver_OneMoveOutEventOnTheDayToTheDestination()
    {
        var moveOuts = city["truth/events.csv"].Rows.Where(e => e[1] == "move-out").ToDictionary(e => e[2]);

        Assert.Equal(Leavers.Count, moveOuts.Count);
        Assert.All(Leavers, r =>
        {
            Assert.StartsWith(r[1], moveOuts[r[0]][0], StringComparison.Ordinal);
            Assert.Equal("to=" + r[2], moveOuts[r[0]][3]);
        });
    }
}

using CityBrain.Cockpit.Evaluation;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.TestSupport;
using Dapper;
using Microsoft.Extensions.Options;
using static CityBrain.Cockpit.Tests.CockpitServices;

namespace CityBrain.Cockpit.Tests.Evaluation;

public sealed class ScenarioServiceTests
{
    public static TheoryData<string> Stores => TestStores.Kinds;

    private static Caller CitizenNo(int i) => new("citizen", HubRoles.Citizen, null, null, $"3301061990010{i:D4}X");

    private static async Task<ScenarioService> WithScenarioAsync(CockpitServices cockpit, long population = 100)
    {
        var scenarios = cockpit.Get<ScenarioService>();
        await scenarios.RegisterAsync(new ScenarioRegistration("elderly-meals", "老年助餐", "mzj", population), Leader, CancellationToken.None);
        return scenarios;
    }

    /// <summary>One day: <paramref name="users"/> distinct users (each twice) and one rating of <paramref name="score"/> from each of <paramref name="raters"/> citizens; then the next day.</summary>
    private static async Task DayAsync(CockpitServices cockpit, ScenarioService scenarios, int users, int score, int raters = 2)
    {
        for (var u = 0; u < users; u++)
        {
            await scenarios.RecordUseAsync("elderly-meals", $"user-{u}", CancellationToken.None);
            await scenarios.RecordUseAsync("elderly-meals", $"user-{u}", CancellationToken.None);
        }
        for (var r = 0; r < raters; r++)
        {
            await scenarios.RateAsync("elderly-meals", score, CitizenNo(r), CancellationToken.None);
        }
        cockpit.Time.Advance(TimeSpan.FromDays(1));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task List_UsesAndRatings_DistinctUsersUsageRateAndSatisfaction(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var scenarios = await WithScenarioAsync(cockpit, population: 40);

        await scenarios.RecordUseAsync("elderly-meals", "user-1", CancellationToken.None);
        await scenarios.RecordUseAsync("elderly-meals", "user-1", CancellationToken.None);
        await scenarios.RecordUseAsync("elderly-meals", "user-2", CancellationToken.None);
        await scenarios.RateAsync("elderly-meals", 5, CitizenNo(1), CancellationToken.None);
        await scenarios.RateAsync("elderly-meals", 2, CitizenNo(2), CancellationToken.None);

        var page = Assert.Single(await scenarios.ListAsync(null, CancellationToken.None));
        Assert.Equal((ScenarioState.Trial, 2, 0.05, 3.5, 2), (page.State, page.DailyActiveUsers, page.UsageRate, page.Satisfaction, page.RatingsLast30Days));
        Assert.Equal(30, page.Days.Count);
        await using var connection = await cockpit.Store.OpenConnectionAsync(CancellationToken.None);
        var stored = string.Join(",", await connection.QueryAsync<string>("SELECT user_hash FROM cockpit_scenario_usage") ) +
            string.Join(",", await connection.QueryAsync<string>("SELECT citizen_hash FROM cockpit_scenario_ratings"));
        Assert.DoesNotContain("user-1", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("33010619900100001X", stored, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Rate_TwiceADayOrOutOfRangeOrNotACitizen_RefusedWithTheRule(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var scenarios = await WithScenarioAsync(cockpit);
        await scenarios.RateAsync("elderly-meals", 4, CitizenNo(1), CancellationToken.None);

        var twice = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => scenarios.RateAsync("elderly-meals", 5, CitizenNo(1), CancellationToken.None));
        Assert.Equal("OneRatingPerCitizenPerScenarioPerDay", twice.Rule);
        await Assert.ThrowsAsync<ValidationFailedException>(() => scenarios.RateAsync("elderly-meals", 6, CitizenNo(2), CancellationToken.None));
        await Assert.ThrowsAsync<ForbiddenException>(() => scenarios.RateAsync("elderly-meals", 5, Leader, CancellationToken.None));
        await Assert.ThrowsAsync<NotFoundException>(() => scenarios.RateAsync("nope", 5, CitizenNo(2), CancellationToken.None));
        cockpit.Time.Advance(TimeSpan.FromDays(1));
        await scenarios.RateAsync("elderly-meals", 5, CitizenNo(1), CancellationToken.None); // a new day, a new rating
        Assert.Equal(2, (await scenarios.ListAsync(null, CancellationToken.None))[0].RatingsLast30Days);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Register_TwiceOrByAUnit_Refused(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var scenarios = await WithScenarioAsync(cockpit);

        var twice = await Assert.ThrowsAsync<BusinessRuleViolationException>(() =>
            scenarios.RegisterAsync(new ScenarioRegistration("elderly-meals", "again", "mzj", 5), Admin, CancellationToken.None));
        await Assert.ThrowsAsync<ForbiddenException>(() => scenarios.RegisterAsync(new ScenarioRegistration("x1", "x", "mzj", 5), CivilAffairs, CancellationToken.None));
        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => scenarios.RegisterAsync(new ScenarioRegistration("Bad Code", "", "mzj", 0), Leader, CancellationToken.None));

        Assert.Equal("AScenarioCodeIsRegisteredOnce", twice.Rule);
        Assert.Equal(["code", "name", "targetPopulation"], bad.Errors!.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Evaluate_LifecycleByTheRules_TrialOnlineReviewRetired(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var scenarios = await WithScenarioAsync(cockpit);

        // 13 good days are not yet 14; the 14th makes it online (usage 5% ≥ 1%, satisfaction 4.5 ≥ 4.0).
        for (var d = 0; d < 13; d++)
        {
            await DayAsync(cockpit, scenarios, users: 5, score: d % 2 == 0 ? 4 : 5);
        }
        Assert.Empty(await scenarios.EvaluateAsync(CancellationToken.None));
        await DayAsync(cockpit, scenarios, users: 5, score: 5);
        var online = Assert.Single(await scenarios.EvaluateAsync(CancellationToken.None));
        Assert.Equal((ScenarioState.Trial, ScenarioState.Online), (online.Transition.From, online.Transition.To));
        Assert.Empty(await scenarios.EvaluateAsync(CancellationToken.None)); // a second run the same day changes nothing

        // Seven bad days in a row: under review.
        for (var d = 0; d < 7; d++)
        {
            await DayAsync(cockpit, scenarios, users: 5, score: 2);
        }
        Assert.Equal(ScenarioState.UnderReview, Assert.Single(await scenarios.EvaluateAsync(CancellationToken.None)).Transition.To);

        // Thirty days under review without a good week: retired, and no more ratings.
        cockpit.Time.Advance(TimeSpan.FromDays(29));
        Assert.Empty(await scenarios.EvaluateAsync(CancellationToken.None));
        cockpit.Time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(ScenarioState.Retired, Assert.Single(await scenarios.EvaluateAsync(CancellationToken.None)).Transition.To);
        var page = (await scenarios.ListAsync(null, CancellationToken.None))[0];
        Assert.Equal([ScenarioState.Online, ScenarioState.UnderReview, ScenarioState.Retired], page.Transitions.Select(t => t.To));
        await Assert.ThrowsAsync<BusinessRuleViolationException>(() => scenarios.RateAsync("elderly-meals", 5, CitizenNo(9), CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Evaluate_UnderReviewThenAGoodWeek_BackOnline(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var scenarios = await WithScenarioAsync(cockpit);
        await using (var connection = await cockpit.Store.OpenConnectionAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("UPDATE cockpit_scenarios SET state = 'under-review'");
        }
        for (var d = 0; d < 7; d++)
        {
            await DayAsync(cockpit, scenarios, users: 0, score: 4);
        }

        var recovered = Assert.Single(await scenarios.EvaluateAsync(CancellationToken.None));

        Assert.Equal(ScenarioState.Online, recovered.Transition.To);
        Assert.StartsWith("reviewToOnline", recovered.Transition.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluate_CitysOwnRulesFile_MovesByItsDaysNotTheDefaults()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lifecycle-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "trialToOnline: { days: 2, minSatisfaction: 3.0, minUsageRate: 0.0 }\n", TestContext.Current.CancellationToken);
        try
        {
            await using var cockpit = await CreateAsync(TestStores.Sqlite, settings: new Dictionary<string, string?> { ["Cockpit:Tasks:LifecycleRulesFile"] = file });
            var scenarios = await WithScenarioAsync(cockpit);

            // Two days at 3 stars: online by the city's rule; the defaults would want 14 days at 4.
            await DayAsync(cockpit, scenarios, users: 1, score: 3);
            await DayAsync(cockpit, scenarios, users: 1, score: 3);
            var online = Assert.Single(await scenarios.EvaluateAsync(CancellationToken.None));

            Assert.Equal(ScenarioState.Online, online.Transition.To);
            Assert.StartsWith("trialToOnline: 2 days", online.Transition.Reason, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Start_WrongOrMissingRulesFile_RefusedNamingTheFileAndField()
    {
        var file = Path.Combine(Path.GetTempPath(), $"lifecycle-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(file, "reviewToRetired: { days: 0 }\n", TestContext.Current.CancellationToken);
        try
        {
            await using var cockpit = await CreateAsync(TestStores.Sqlite, settings: new Dictionary<string, string?>
            {
                ["Cockpit:Tasks:LifecycleRulesFile"] = file,
                ["Cockpit:Tasks:SupervisionRulesFile"] = "/no/such/supervision-rules.yaml",
            });

            var refused = Assert.Throws<OptionsValidationException>(() => cockpit.Get<IOptions<CityBrain.Cockpit.Tasks.TaskOptions>>().Value);

            Assert.Contains($"LifecycleRulesFile: {file}: reviewToRetired.days: 1 to 365 days", refused.Message, StringComparison.Ordinal);
            Assert.Contains("SupervisionRulesFile: /no/such/supervision-rules.yaml: the rules file does not exist", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Parse_EmbeddedRules_AsPublished()
    {
        var rules = LifecycleRules.Embedded();

        Assert.Equal((14, 4.0, 0.01), (rules.TrialToOnline.Days, rules.TrialToOnline.MinSatisfaction, rules.TrialToOnline.MinUsageRate));
        Assert.Equal((7, 3.5, 30), (rules.OnlineToReview.Days, rules.OnlineToReview.BelowSatisfaction, rules.ReviewToRetired.Days));
        var wrong = Assert.Throws<ValidationFailedException>(() => LifecycleRules.Parse("onlineToReview: { days: 0, belowSatisfaction: 7 }", "r.yaml"));
        Assert.Equal(["r.yaml: onlineToReview.belowSatisfaction", "r.yaml: onlineToReview.days"], wrong.Errors!.Keys.Order(StringComparer.Ordinal));
    }
}

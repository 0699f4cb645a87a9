using CityBrain.Cockpit.Supervision;
using CityBrain.Cockpit.Tasks;
using CityBrain.Hub.Registry;
using CityBrain.Kernel.Errors;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static CityBrain.Cockpit.Tests.CockpitServices;

namespace CityBrain.Cockpit.Tests.Supervision;

public sealed class SupervisionTests
{
    public static TheoryData<string> Stores => TestStores.Kinds;

    private static readonly Hub.Security.Caller District = new("operator@xh-gaj", Hub.Security.HubRoles.UnitOperator, "xh-gaj", null, null);

    /// <summary>
    /// gaj closes two tasks on time and one late; xh-gaj closes two on time; mzj leaves one open until it is 11 working
    /// days overdue. The clock ends on Friday 11 December 2026.
    /// </summary>
    private static async Task<CockpitServices> CityWithHistoryAsync(string kind, Action<IServiceCollection>? configure = null)
    {
        var cockpit = await CreateAsync(kind, configure);
        var tasks = cockpit.Get<TaskService>();
        async Task<CockpitTask> Dispatch(string unit) =>
            await tasks.DispatchAsync(new TaskDispatch("整改", "按要求整改", unit, null, 1, TaskSource.Manual, null), Leader, [], CancellationToken.None);
        async Task Finish(CockpitTask task, Hub.Security.Caller unit)
        {
            await tasks.AcceptAsync(task.Id, unit, CancellationToken.None);
            await tasks.CompleteAsync(task.Id, null, [], unit, CancellationToken.None);
            cockpit.Time.Advance(TimeSpan.FromHours(2));
            await tasks.CloseAsync(task.Id, null, Leader, CancellationToken.None);
        }

        var late = await Dispatch("gaj");
        await Dispatch("mzj");
        await Finish(await Dispatch("gaj"), Police);
        await Finish(await Dispatch("gaj"), Police);
        await Finish(await Dispatch("xh-gaj"), District);
        await Finish(await Dispatch("xh-gaj"), District);
        await tasks.AcceptAsync(late.Id, Police, CancellationToken.None);
        cockpit.Time.Advance(TimeSpan.FromDays(3)); // Friday: the deadline was the end of Wednesday
        await tasks.CompleteAsync(late.Id, null, [], Police, CancellationToken.None);
        await tasks.CloseAsync(late.Id, null, Leader, CancellationToken.None);
        cockpit.Time.Advance(TimeSpan.FromDays(14));
        return cockpit;
    }

    private static SupervisionService WithRules(CockpitServices cockpit, string yaml) => new(
        cockpit.Store, cockpit.Get<IRegistryReader>(), SupervisionRules.Parse(yaml, "test.yaml"), cockpit.Time, cockpit.Get<IOptions<TaskOptions>>());

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Board_TasksClosedOnTimeLateAndOverdue_RatesAgesAndLists(string kind)
    {
        await using var cockpit = await CityWithHistoryAsync(kind);
        var supervision = WithRules(cockpit, """
            minClosedTasks: 2
            red: { minOnTimeRate: 0.95 }
            yellow: { belowOnTimeRate: 0.80 }
            black: { overdueWorkingDaysOver: 10, belowOnTimeRate: 0.60 }
            """);

        var board = await supervision.BoardAsync(CancellationToken.None);

        Assert.Equal(["gaj", "mzj", "xh-gaj"], board.Units.Select(u => u.Unit));
        var gaj = board.Units[0];
        Assert.Equal((3, 2, 0, 0), (gaj.Closed, gaj.ClosedOnTime, gaj.Open, gaj.Overdue));
        Assert.Equal(2.0 / 3, gaj.OnTimeRate!.Value, 6);
        Assert.Equal(3, gaj.ByStatus[TaskState.Closed]);
        var mzj = board.Units[1];
        Assert.Equal((1, 1, 11, 1), (mzj.Open, mzj.Overdue, mzj.MaxOverdueWorkingDays, mzj.OpenByAge["over-7d"]));
        Assert.Null(mzj.OnTimeRate);
        Assert.Equal(["xh-gaj"], board.Red);
        Assert.Equal(["gaj"], board.Yellow);
        Assert.Equal(["mzj"], board.Black);
        Assert.Contains("overdue by 11 working days", Assert.Single(mzj.Reasons), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Board_PublishedDefaultRules_FewClosedTasksDecideNoRateListButOverdueStillBlack(string kind)
    {
        await using var cockpit = await CityWithHistoryAsync(kind);

        var board = await cockpit.Get<SupervisionService>().BoardAsync(CancellationToken.None);

        Assert.Equal(5, cockpit.Get<SupervisionService>().Rules.MinClosedTasks);
        Assert.Empty(board.Red);
        Assert.Empty(board.Yellow);
        Assert.Equal(["mzj"], board.Black);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Rank_ByUnitAndByDistrict_OrderedByTheMetric(string kind)
    {
        await using var cockpit = await CityWithHistoryAsync(kind);
        var leaderboard = cockpit.Get<LeaderboardService>();

        var byUnit = await leaderboard.RankAsync("unit", "on-time-rate", CancellationToken.None);
        var byDistrict = await leaderboard.RankAsync("district", "on-time-rate", CancellationToken.None);
        var fastest = await leaderboard.RankAsync("unit", "average-closure-days", CancellationToken.None);

        Assert.Equal([(1, "xh-gaj", 1.0), (2, "gaj", 0.6667)], byUnit.Entries.Select(e => (e.Rank, e.Key, e.Value)));
        Assert.Equal("西湖区公安分局", byUnit.Entries[0].Name);
        Assert.Equal([("330106", 1.0, 2), ("330100", 0.6667, 3)], byDistrict.Entries.Select(e => (e.Key, e.Value, e.Weight)));
        Assert.False(fastest.HigherIsBetter);
        Assert.Equal("xh-gaj", fastest.Entries[0].Key);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Rank_PluggedInMetric_RankedLikeTheBuiltIns(string kind)
    {
        await using var cockpit = await CreateAsync(kind, services => services.AddSingleton<ILeaderboardMetric>(new FixedMetric()));

        var board = await cockpit.Get<LeaderboardService>().RankAsync("unit", "hotline-satisfaction", CancellationToken.None);
        var unknown = await Assert.ThrowsAsync<ValidationFailedException>(() => cockpit.Get<LeaderboardService>().RankAsync("unit", "nope", CancellationToken.None));
        var badBy = await Assert.ThrowsAsync<ValidationFailedException>(() => cockpit.Get<LeaderboardService>().RankAsync("street", null, CancellationToken.None));

        Assert.Equal([(1, "mzj"), (1, "xh-gaj"), (3, "gaj")], board.Entries.Select(e => (e.Rank, e.Key)));
        Assert.Contains("on-time-rate, average-closure-days, hotline-satisfaction", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("by", badBy.Errors!.Keys);
    }

    private sealed class FixedMetric : ILeaderboardMetric
    {
        public string Code => "hotline-satisfaction";

        public string Name => "热线满意度";

        public bool HigherIsBetter => true;

        public Task<IReadOnlyList<LeaderboardScore>> ScoresAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<LeaderboardScore>>([new("gaj", 0.91, 1), new("xh-gaj", 0.97, 1), new("mzj", 0.97, 1)]);
    }

    [Fact]
    public void Parse_RateOutOfRange_NamesTheRule()
    {
        var wrong = Assert.Throws<ValidationFailedException>(() => SupervisionRules.Parse("red: { minOnTimeRate: 1.5 }", "rules.yaml"));

        Assert.Equal(["rules.yaml: red.minOnTimeRate"], wrong.Errors!.Keys);
    }

    [Fact]
    public void Parse_UnknownKey_NamesTheLine()
    {
        var wrong = Assert.Throws<ValidationFailedException>(() => SupervisionRules.Parse("minClosedTasks: 3\nredd: { minOnTimeRate: 0.9 }", "rules.yaml"));

        Assert.Contains("line 2", wrong.Message, StringComparison.Ordinal);
    }
}

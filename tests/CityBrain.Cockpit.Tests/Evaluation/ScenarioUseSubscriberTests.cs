using CityBrain.Cockpit.Evaluation;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Messaging.Contracts;
using CityBrain.TestSupport;
using static CityBrain.Cockpit.Tests.CockpitServices;

namespace CityBrain.Cockpit.Tests.Evaluation;

public sealed class ScenarioUseSubscriberTests
{
    public static TheoryData<string> Stores => TestStores.Kinds;

    private static async Task<CockpitServices> WithScenarioAsync(string kind)
    {
        var cockpit = await CreateAsync(kind);
        await cockpit.Get<ScenarioService>().RegisterAsync(new ScenarioRegistration("elderly-meals", "老年助餐", "mzj", 100), Leader, CancellationToken.None);
        return cockpit;
    }

    private static async Task<ScenarioEvaluation> PageAsync(CockpitServices cockpit) =>
        Assert.Single(await cockpit.Get<ScenarioService>().ListAsync("elderly-meals", CancellationToken.None));

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task HandleAsync_SameEventTwice_CountsOneUse(string kind)
    {
        await using var cockpit = await WithScenarioAsync(kind);
        var use = new ScenarioUsed("elderly-meals", cockpit.Get<HubKeyring>().UserKey(Citizen), cockpit.Time.GetUtcNow());
        var subscriber = cockpit.Get<ScenarioUseSubscriber>();

        await subscriber.HandleAsync(use, CancellationToken.None);
        await subscriber.HandleAsync(use, CancellationToken.None); // redelivered after a crash before the delivery was recorded

        Assert.Equal(1, (await PageAsync(cockpit)).DailyActiveUsers);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task HandleAsync_UserAlsoReportedOverHttp_CountedOnceAsTheSameUser(string kind)
    {
        await using var cockpit = await WithScenarioAsync(kind);
        var staff = new Caller("zhang.wei", HubRoles.UnitOperator, "mzj", null, null);

        await cockpit.Get<ScenarioService>().RecordUseAsync("elderly-meals", "zhang.wei", CancellationToken.None);
        await cockpit.Get<ScenarioUseSubscriber>().HandleAsync(
            new ScenarioUsed("elderly-meals", cockpit.Get<HubKeyring>().UserKey(staff), cockpit.Time.GetUtcNow()), CancellationToken.None);

        Assert.Equal(1, (await PageAsync(cockpit)).DailyActiveUsers);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task HandleAsync_DeliveredTheNextDay_CountedOnTheDayOfUse(string kind)
    {
        await using var cockpit = await WithScenarioAsync(kind);
        var use = new ScenarioUsed("elderly-meals", cockpit.Get<HubKeyring>().UserKey(Citizen), cockpit.Time.GetUtcNow());
        cockpit.Time.Advance(TimeSpan.FromDays(1)); // the bus was down overnight

        await cockpit.Get<ScenarioUseSubscriber>().HandleAsync(use, CancellationToken.None);

        var page = await PageAsync(cockpit);
        Assert.Equal((0, 1), (page.DailyActiveUsers, page.Days[^2].ActiveUsers));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task HandleAsync_UnregisteredScenario_DroppedWithoutRetry(string kind)
    {
        await using var cockpit = await WithScenarioAsync(kind);

        // Throwing would make the bus retry for ever; the use is dropped (and logged) instead.
        await cockpit.Get<ScenarioUseSubscriber>().HandleAsync(
            new ScenarioUsed("no-such-scenario", cockpit.Get<HubKeyring>().UserKey(Citizen), cockpit.Time.GetUtcNow()), CancellationToken.None);

        Assert.Equal(0, (await PageAsync(cockpit)).DailyActiveUsers);
    }
}

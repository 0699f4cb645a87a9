using CityBrain.Hub.Security;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using CityBrain.TestSupport;

namespace CityBrain.Hub.Tests.Sharing;

public sealed class SharingServiceTests
{
    private static readonly Caller Consumer = new("system:mz-dibao", HubRoles.System, "mzj", "mz-dibao", null);
    private static readonly Caller Owner = new("operator@gaj", HubRoles.UnitOperator, "gaj", null, null);
    private static readonly Caller ConsumerUnit = new("operator@mzj", HubRoles.UnitOperator, "mzj", null, null);

    public static TheoryData<string> Stores => TestStores.Kinds;

    private static FileRequest Request(params string[] fields) =>
        new("mz-dibao", "police-pop/person", [.. fields], "dibao-eligibility", "《社会救助暂行办法》", 90, 1000);

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task File_ConditionalResource_PendingWithDeadlineThreeWorkingDaysLater(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var request = await hub.Get<SharingService>().FileAsync(Request("XM", "XB"), Consumer, CancellationToken.None);

        Assert.Equal(RequestStatus.Pending, request.Status);
        Assert.Null(request.GrantId);
        // Filed Tuesday 24 Nov: Wed, Thu, Fri are the three working days; the deadline is the end of Friday, Hangzhou time.
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.FromHours(8)), request.DeadlineAt);
        Assert.Equal("gaj", request.OwnerUnit);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task File_UnconditionalResource_GrantedAtOnce(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync(sharing: "unconditional");
        var request = await hub.Get<SharingService>().FileAsync(Request("XB"), Consumer, CancellationToken.None);

        Assert.Equal(RequestStatus.Granted, request.Status);
        var grant = await hub.Get<IGrantLookup>().FindActiveAsync("mz-dibao", "police-pop/person", hub.Time.GetUtcNow(), CancellationToken.None);
        Assert.NotNull(grant);
        Assert.Equal(["XB"], grant.Fields);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task File_UnknownFieldOrBadPurpose_NamesWhatIsWrong(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var sharing = hub.Get<SharingService>();

        var unknown = await Assert.ThrowsAsync<ValidationFailedException>(() => sharing.FileAsync(Request("XM", "INCOME"), Consumer, CancellationToken.None));
        Assert.Contains("INCOME", unknown.Errors!["fields"][0], StringComparison.Ordinal);
        var purpose = await Assert.ThrowsAsync<ValidationFailedException>(() => sharing.FileAsync(Request("XM") with { Purpose = "低保\n审核" }, Consumer, CancellationToken.None));
        Assert.True(purpose.Errors!.ContainsKey("purpose"));
        var other = new Caller("system:other", HubRoles.System, "gaj", "police-pop", null);
        await Assert.ThrowsAsync<ForbiddenException>(() => sharing.FileAsync(Request("XM"), other, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Decide_OwnerApprovesFewerMaskedShorter_GrantSaysExactlyThat(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var sharing = hub.Get<SharingService>();
        var request = await sharing.FileAsync(Request("XM", "SFZH", "XB", "SJHM"), Consumer, CancellationToken.None);

        var (decided, grant) = await sharing.DecideAsync(request.Id, new Decision(true, ["XB"], ["XM", "SFZH"], 30, 50, "phone not needed"), Owner, CancellationToken.None);

        Assert.Equal(RequestStatus.Granted, decided.Status);
        Assert.NotNull(grant);
        Assert.Equal(["XB"], grant.Fields);
        Assert.Equal(["XM", "SFZH"], grant.MaskedFields);
        Assert.Equal(50, grant.DailyQuota);
        Assert.Equal(hub.Time.GetUtcNow().AddDays(30), grant.ExpiresAt);
        var active = await hub.Get<IGrantLookup>().FindActiveAsync("mz-dibao", "police-pop/person", hub.Time.GetUtcNow(), CancellationToken.None);
        Assert.Equal(grant.Id, active!.Id);
        // Expired: no longer active.
        Assert.Null(await hub.Get<IGrantLookup>().FindActiveAsync("mz-dibao", "police-pop/person", hub.Time.GetUtcNow().AddDays(31), CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Decide_BrokenRules_RefusedWithTheRuleNamed(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var sharing = hub.Get<SharingService>();
        var request = await sharing.FileAsync(Request("XM", "XB"), Consumer, CancellationToken.None);

        var beyond = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => sharing.DecideAsync(request.Id, new Decision(true, ["XM", "SJHM"], null, null, null, null), Owner, CancellationToken.None));
        Assert.Equal("GrantCannotExceedRequestedFields", beyond.Rule);
        var longer = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => sharing.DecideAsync(request.Id, new Decision(true, null, null, 365, null, null), Owner, CancellationToken.None));
        Assert.Equal("GrantCannotOutlastRequest", longer.Rule);
        await Assert.ThrowsAsync<ValidationFailedException>(() => sharing.DecideAsync(request.Id, new Decision(false, null, null, null, null, " "), Owner, CancellationToken.None));
        await Assert.ThrowsAsync<ForbiddenException>(() => sharing.DecideAsync(request.Id, new Decision(true, null, null, null, null, null), ConsumerUnit, CancellationToken.None));
        await Assert.ThrowsAsync<ForbiddenException>(() => sharing.DecideAsync(request.Id, new Decision(true, null, null, null, null, null), HubServices.Admin, CancellationToken.None));

        await sharing.DecideAsync(request.Id, new Decision(false, null, null, null, null, "no legal basis for the address"), Owner, CancellationToken.None);
        var twice = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => sharing.DecideAsync(request.Id, new Decision(true, null, null, null, null, null), Owner, CancellationToken.None));
        Assert.Equal("OnlyOpenRequestsCanBeDecided", twice.Rule);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Escalate_UnansweredPastDeadline_GoesToDataBureauWhichDecides(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var sharing = hub.Get<SharingService>();
        var request = await sharing.FileAsync(Request("XB"), Consumer, CancellationToken.None);

        hub.Time.Advance(TimeSpan.FromDays(2));
        Assert.Equal(0, await sharing.EscalateLapsedAsync(CancellationToken.None));
        hub.Time.Advance(TimeSpan.FromDays(2)); // Saturday morning: Friday's deadline has passed
        Assert.Equal(1, await sharing.EscalateLapsedAsync(CancellationToken.None));
        Assert.Equal(0, await sharing.EscalateLapsedAsync(CancellationToken.None));

        var escalated = await sharing.GetRequestAsync(request.Id, HubServices.Admin, CancellationToken.None);
        Assert.Equal(RequestStatus.Escalated, escalated.Status);
        var (decided, grant) = await sharing.DecideAsync(request.Id, new Decision(true, null, null, null, null, "decided by the bureau"), HubServices.Admin, CancellationToken.None);
        Assert.Equal(RequestStatus.Granted, decided.Status);
        Assert.NotNull(grant);

        var figures = await hub.Get<IHubMetrics>().GetAsync(CancellationToken.None);
        Assert.Equal(1.0, figures.SatisfactionRate);
        Assert.Equal(0.0, figures.AnsweredInTimeRate);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Dispute_RejectionOverturnedByBureau_GrantsAndBindsOnce(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var sharing = hub.Get<SharingService>();
        var request = await sharing.FileAsync(Request("XM", "XB"), Consumer, CancellationToken.None);

        var notYet = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => sharing.OpenDisputeAsync(request.Id, "please", Consumer, CancellationToken.None));
        Assert.Equal("OnlyRejectedRequestsCanBeDisputed", notYet.Rule);
        await sharing.DecideAsync(request.Id, new Decision(false, null, null, null, null, "not our business"), Owner, CancellationToken.None);
        await Assert.ThrowsAsync<ForbiddenException>(() => sharing.OpenDisputeAsync(request.Id, "I own it", Owner, CancellationToken.None));
        var dispute = await sharing.OpenDisputeAsync(request.Id, "《社会救助暂行办法》 requires the check", ConsumerUnit, CancellationToken.None);
        Assert.Equal(RequestStatus.Disputed, (await sharing.GetRequestAsync(request.Id, Owner, CancellationToken.None)).Status);

        await Assert.ThrowsAsync<ForbiddenException>(() => sharing.DecideDisputeAsync(dispute.Id, new DisputeDecision(true, null, ["XM"], null, null, "x"), Owner, CancellationToken.None));
        var (decided, grant) = await sharing.DecideDisputeAsync(dispute.Id, new DisputeDecision(true, ["XB"], ["XM"], 30, null, "the law requires the check"), HubServices.Admin, CancellationToken.None);
        Assert.Equal("overturned", decided.Status);
        Assert.Equal(["XM"], grant!.MaskedFields);
        Assert.Equal(RequestStatus.Granted, (await sharing.GetRequestAsync(request.Id, Owner, CancellationToken.None)).Status);

        var again = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => sharing.DecideDisputeAsync(dispute.Id, new DisputeDecision(false, null, null, null, null, "changed my mind"), HubServices.Admin, CancellationToken.None));
        Assert.Equal("DisputeIsDecidedOnce", again.Rule);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Revoke_Grant_NoLongerActiveAndOnlyOnce(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var sharing = hub.Get<SharingService>();
        var request = await sharing.FileAsync(Request("XB"), Consumer, CancellationToken.None);
        var (_, grant) = await sharing.DecideAsync(request.Id, new Decision(true, null, null, null, null, null), Owner, CancellationToken.None);

        var stranger = new Caller("operator@mzj2", HubRoles.UnitOperator, "other", null, null);
        await Assert.ThrowsAsync<ForbiddenException>(() => sharing.RevokeAsync(grant!.Id, null, stranger, CancellationToken.None));
        await sharing.RevokeAsync(grant!.Id, "audit finding", Owner, CancellationToken.None);
        Assert.Null(await hub.Get<IGrantLookup>().FindActiveAsync("mz-dibao", "police-pop/person", hub.Time.GetUtcNow(), CancellationToken.None));
        var twice = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => sharing.RevokeAsync(grant.Id, null, Owner, CancellationToken.None));
        Assert.Equal("GrantIsRevokedOnce", twice.Rule);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task List_UnitSeesOnlyItsOwnRequests(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var sharing = hub.Get<SharingService>();
        await sharing.FileAsync(Request("XB"), Consumer, CancellationToken.None);

        Assert.Single(await sharing.ListRequestsAsync(null, Owner, CancellationToken.None));
        Assert.Single(await sharing.ListRequestsAsync(null, ConsumerUnit, CancellationToken.None));
        var outsider = new Caller("operator@jtj", HubRoles.UnitOperator, "jtj", null, null);
        Assert.Empty(await sharing.ListRequestsAsync(null, outsider, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Metrics_SatisfactionAndTimeliness_PerUnitAndCityWide(string kind)
    {
        await using var hub = await HubServices.CreateAsync(kind);
        await hub.RegisterCityAsync();
        var sharing = hub.Get<SharingService>();
        var granted = await sharing.FileAsync(Request("XB"), Consumer, CancellationToken.None);
        var rejected = await sharing.FileAsync(Request("XM"), Consumer, CancellationToken.None);
        await sharing.FileAsync(Request("SJHM"), Consumer, CancellationToken.None); // still pending, within its deadline
        await sharing.DecideAsync(granted.Id, new Decision(true, null, null, null, null, null), Owner, CancellationToken.None);
        await sharing.DecideAsync(rejected.Id, new Decision(false, null, null, null, null, "not needed"), Owner, CancellationToken.None);

        var figures = await hub.Get<IHubMetrics>().GetAsync(CancellationToken.None);
        Assert.Equal(1, figures.Interfaces);
        Assert.Equal(3, figures.RequestsFiled);
        Assert.Equal(0.3333, figures.SatisfactionRate);
        Assert.Equal(1.0, figures.AnsweredInTimeRate);
        var gaj = figures.Units.Single(u => u.Unit == "gaj");
        Assert.Equal(3, gaj.RequestsFiled);
        Assert.Equal(1, gaj.Interfaces);
        Assert.Null(figures.Units.Single(u => u.Unit == "mzj").SatisfactionRate);
    }
}

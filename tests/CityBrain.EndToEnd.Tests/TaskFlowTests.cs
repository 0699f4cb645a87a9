using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Hub.Security;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace CityBrain.EndToEnd.Tests;

/// <summary>The closed loop of a dispatched task over real HTTP against the real host, on SQLite and on PostgreSQL.</summary>
public sealed class TaskFlowTests
{
    public static TheoryData<string> Stores => TestStores.Kinds;

    private const string Units = """
        units:
          - { code: gaj, name: 杭州市公安局, divisionCode: "330100", parent: dsj }
          - { code: xh-gaj, name: 西湖区公安分局, divisionCode: "330106", parent: gaj }
        """;

    private static readonly byte[] Photo = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9];

    private static readonly byte[] Pdf = "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"u8.ToArray();

    private static ByteArrayContent FilePart(byte[] bytes, string type)
    {
        var part = new ByteArrayContent(bytes);
        part.Headers.ContentType = new MediaTypeHeaderValue(type);
        return part;
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task DispatchFromWarning_UnitAcceptsReportsPhotoCompletes_LeaderClosesBoardReflectsOverdueEscalates(string storeKind)
    {
        // The host's clock is one the test moves; it starts at the real time so that tokens are valid to the framework too.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var node = await HubNode.StartAsync(storeKind, builder => builder.Services.AddSingleton<TimeProvider>(clock));
        var tokens = node.Services.GetRequiredService<TokenService>();
        string Token(Caller caller) => tokens.Issue(caller, TimeSpan.FromDays(30));
        var admin = node.Client(Token(new Caller("admin", HubRoles.Admin, "dsj", null, null)));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await admin.PostAsync("/api/hub/registry", new StringContent(Units, Encoding.UTF8, "application/yaml")));
        // The leader's token comes from the verb, as a city would hand it out.
        var (exit, output) = await node.RunCliAsync("token", "--as", "leader");
        Assert.Equal(0, exit);
        var leader = node.Client(output.Trim().Split('\n')[^1].Trim());
        var district = node.Client(Token(new Caller("operator@xh-gaj", HubRoles.UnitOperator, "xh-gaj", null, null)));
        var police = node.Client(Token(new Caller("operator@gaj", HubRoles.UnitOperator, "gaj", null, null)));

        // One action from a warning: instructions, deadline, an attached PDF.
        using var dispatchForm = new MultipartFormDataContent
        {
            { new StringContent("""{"title":"断桥人流超限","instructions":"增派警力疏导，30分钟内回报","unit":"xh-gaj","deadlineWorkingDays":2,"source":"warning","sourceRef":"warn-42"}"""), "task" },
            { FilePart(Pdf, "application/pdf"), "files", "预案.pdf" },
        };
        var dispatched = await leader.PostAsync("/api/cockpit/tasks", dispatchForm);
        await HttpAssert.StatusAsync(HttpStatusCode.Created, dispatched);
        var id = (string)(await dispatched.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;

        // The unit's inbox shows it; the unit above does not act on it.
        var inbox = (await district.GetFromJsonAsync<JsonArray>("/api/cockpit/tasks"))!;
        Assert.Equal(id, (string)Assert.Single(inbox)!["id"]!);
        var notTheirs = await police.PostAsync($"/api/cockpit/tasks/{id}/accept", null);
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, notTheirs);
        Assert.Equal("application/problem+json", notTheirs.Content.Headers.ContentType?.MediaType);
        Assert.Contains("assigned to unit 'xh-gaj'", await notTheirs.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await HttpAssert.StatusAsync(HttpStatusCode.OK, await district.PostAsync($"/api/cockpit/tasks/{id}/accept", null));
        clock.Advance(TimeSpan.FromMinutes(20));

        // Evidence that is not a photo is refused whole; a real photo is kept.
        using var fake = new MultipartFormDataContent { { new StringContent("进展"), "note" }, { FilePart("MZ\u0090 not a photo"u8.ToArray(), "image/jpeg"), "files", "photo.jpg" } };
        var refused = await district.PostAsync($"/api/cockpit/tasks/{id}/progress", fake);
        await HttpAssert.StatusAsync(HttpStatusCode.UnsupportedMediaType, refused);
        Assert.Contains("photo.jpg", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var progress = new MultipartFormDataContent { { new StringContent("已增派12名警力"), "note" }, { FilePart(Photo, "image/jpeg"), "files", "断桥.jpg" } };
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await district.PostAsync($"/api/cockpit/tasks/{id}/progress", progress));
        clock.Advance(TimeSpan.FromMinutes(10));
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await district.PostAsJsonAsync($"/api/cockpit/tasks/{id}/complete", new { note = "人流恢复正常" }));
        var returnWithoutReason = await leader.PostAsJsonAsync($"/api/cockpit/tasks/{id}/return", new { reason = "" });
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, returnWithoutReason);
        await HttpAssert.StatusAsync(HttpStatusCode.OK, await leader.PostAsJsonAsync($"/api/cockpit/tasks/{id}/close", new { note = "核实无误" }));

        // A closed task cannot change.
        var late = await district.PostAsJsonAsync($"/api/cockpit/tasks/{id}/progress", new { note = "补充" });
        await HttpAssert.StatusAsync(HttpStatusCode.Conflict, late);
        Assert.Equal("AClosedTaskCannotChange", (string)(await late.Content.ReadFromJsonAsync<JsonObject>())!["rule"]!);

        // The timeline: every step with its actor; the photo downloads as uploaded, only for those who may see the task.
        var detail = (await leader.GetFromJsonAsync<JsonObject>($"/api/cockpit/tasks/{id}"))!;
        var timeline = detail["timeline"]!.AsArray();
        Assert.Equal(["dispatch", "accept", "progress", "complete", "close"], timeline.Select(e => (string)e!["action"]!));
        Assert.Equal("closed", (string)detail["task"]!["status"]!);
        var photoId = (string)timeline[2]!["attachments"]![0]!["id"]!;
        var download = await district.GetAsync($"/api/cockpit/attachments/{photoId}");
        await HttpAssert.StatusAsync(HttpStatusCode.OK, download);
        Assert.Equal("image/jpeg", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Photo, await download.Content.ReadAsByteArrayAsync());
        await HttpAssert.StatusAsync(HttpStatusCode.NotFound, await police.GetAsync($"/api/cockpit/attachments/{photoId}"));
        Assert.True(File.Exists(Path.Combine(node.DataDirectory, "attachments", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Photo))[..2],
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Photo)))));

        // The board and the unit's on-time rate reflect it; units do not see the board.
        var board = (await leader.GetFromJsonAsync<JsonObject>("/api/cockpit/supervision"))!;
        var row = board["units"]!.AsArray().Single(u => (string)u!["unit"]! == "xh-gaj")!;
        Assert.Equal((1, 1, 1.0), ((int)row["closed"]!, (int)row["closedOnTime"]!, (double)row["onTimeRate"]!));
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, await district.GetAsync("/api/cockpit/supervision"));
        var ranking = (await leader.GetFromJsonAsync<JsonObject>("/api/cockpit/leaderboard?by=district&metric=on-time-rate"))!;
        Assert.Equal("330106", (string)ranking["entries"]![0]!["key"]!);

        // An overdue task escalates to the unit's superior, once, on the escalation service's own timer.
        var second = await leader.PostAsJsonAsync("/api/cockpit/tasks", new { title = "复查", instructions = "复查断桥周边", unit = "xh-gaj", deadlineWorkingDays = 1 });
        await HttpAssert.StatusAsync(HttpStatusCode.Created, second);
        var overdueId = (string)(await second.Content.ReadFromJsonAsync<JsonObject>())!["id"]!;
        clock.Advance(TimeSpan.FromDays(4));
        JsonObject overdue;
        var until = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(100);
            overdue = (await leader.GetFromJsonAsync<JsonObject>($"/api/cockpit/tasks/{overdueId}"))!;
        }
        while (overdue["task"]!["escalatedTo"] is null && DateTime.UtcNow < until);
        Assert.Equal("gaj", (string)overdue["task"]!["escalatedTo"]!);
        Assert.Single(overdue["timeline"]!.AsArray(), e => (string)e!["action"]! == "escalate");
        Assert.Equal(HttpStatusCode.OK, (await police.GetAsync($"/api/cockpit/tasks/{overdueId}")).StatusCode);
        board = (await leader.GetFromJsonAsync<JsonObject>("/api/cockpit/supervision"))!;
        Assert.Equal(1, (int)board["units"]!.AsArray().Single(u => (string)u!["unit"]! == "xh-gaj")!["overdue"]!);

        // Every change went to the audit chain.
        var audit = (await admin.GetFromJsonAsync<JsonArray>("/api/hub/audit?limit=1000"))!;
        var actions = audit.Select(r => (string)r!["action"]!).Where(a => a.StartsWith("cockpit.task-", StringComparison.Ordinal)).ToList();
        Assert.Equal(["cockpit.task-dispatch", "cockpit.task-accept", "cockpit.task-progress", "cockpit.task-complete", "cockpit.task-close", "cockpit.task-dispatch", "cockpit.task-escalate"], actions);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Dispatch_WrongRoleOrBadBody_ClearProblemAndNoTask(string storeKind)
    {
        await using var node = await HubNode.StartAsync(storeKind);
        var tokens = node.Services.GetRequiredService<TokenService>();
        var leader = node.Client(tokens.Issue(new Caller("leader", HubRoles.Leader, null, null, null), TimeSpan.FromHours(1)));
        var citizen = node.Client(tokens.Issue(new Caller("citizen", HubRoles.Citizen, null, null, "33010619900101123X"), TimeSpan.FromHours(1)));

        var byCitizen = await citizen.PostAsJsonAsync("/api/cockpit/tasks", new { title = "t", instructions = "i", unit = "dsj", deadlineWorkingDays = 1 });
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, byCitizen);
        var misspelt = await leader.PostAsJsonAsync("/api/cockpit/tasks", new { titel = "t", instructions = "i", unit = "dsj", deadlineWorkingDays = 1 });
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, misspelt);
        Assert.Contains("titel", await misspelt.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var noDeadline = await leader.PostAsJsonAsync("/api/cockpit/tasks", new { title = "t", instructions = "i", unit = "dsj" });
        await HttpAssert.StatusAsync(HttpStatusCode.BadRequest, noDeadline);
        Assert.Contains("deadline", (await noDeadline.Content.ReadFromJsonAsync<JsonObject>())!["errors"]!.AsObject().Select(e => e.Key));
        await HttpAssert.StatusAsync(HttpStatusCode.UnsupportedMediaType, await leader.PostAsync("/api/cockpit/tasks", new StringContent("title=t", Encoding.UTF8, "text/plain")));

        Assert.Empty((await leader.GetFromJsonAsync<JsonArray>("/api/cockpit/tasks"))!);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Scenario_RegisteredUsedAndRated_OnThePage(string storeKind)
    {
        await using var node = await HubNode.StartAsync(storeKind);
        var tokens = node.Services.GetRequiredService<TokenService>();
        var leader = node.Client(tokens.Issue(new Caller("leader", HubRoles.Leader, null, null, null), TimeSpan.FromHours(1)));
        var bureau = node.Client(tokens.Issue(new Caller("admin", HubRoles.Admin, "dsj", null, null), TimeSpan.FromHours(1)));
        var citizen = node.Client(tokens.Issue(new Caller("citizen", HubRoles.Citizen, null, null, "33010619900101123X"), TimeSpan.FromHours(1)));

        await HttpAssert.StatusAsync(HttpStatusCode.Created, await leader.PostAsJsonAsync("/api/cockpit/scenarios", new { code = "policy-reach", name = "政策直达", ownerUnit = "dsj", targetPopulation = 4 }));
        foreach (var user in new[] { "u1", "u2", "u1" })
        {
            await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await bureau.PostAsJsonAsync("/api/cockpit/scenarios/policy-reach/usage", new { userId = user }));
        }
        await HttpAssert.StatusAsync(HttpStatusCode.NoContent, await citizen.PostAsJsonAsync("/api/cockpit/scenarios/policy-reach/ratings", new { score = 4 }));
        var again = await citizen.PostAsJsonAsync("/api/cockpit/scenarios/policy-reach/ratings", new { score = 5 });
        await HttpAssert.StatusAsync(HttpStatusCode.Conflict, again);
        Assert.Equal("OneRatingPerCitizenPerScenarioPerDay", (string)(await again.Content.ReadFromJsonAsync<JsonObject>())!["rule"]!);
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, await leader.PostAsJsonAsync("/api/cockpit/scenarios/policy-reach/ratings", new { score = 5 }));

        var page = (await leader.GetFromJsonAsync<JsonArray>("/api/cockpit/scenarios"))!;
        var scenario = Assert.Single(page, s => (string)s!["code"]! == "policy-reach")!; // beside the platform's own, registered at start
        Assert.Equal(("trial", 2, 0.5, 4.0), ((string)scenario["state"]!, (int)scenario["dailyActiveUsers"]!, (double)scenario["usageRate"]!, (double)scenario["satisfaction"]!));
        await HttpAssert.StatusAsync(HttpStatusCode.Forbidden, await citizen.GetAsync("/api/cockpit/scenarios"));
        Assert.DoesNotContain(node.Logs, line => line.Contains("33010619900101123X", StringComparison.Ordinal));
    }
}

using CityBrain.Cockpit.Tasks;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using CityBrain.TestSupport;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using static CityBrain.Cockpit.Tests.CockpitServices;

namespace CityBrain.Cockpit.Tests.Tasks;

public sealed class TaskServiceTests
{
    public static TheoryData<string> Stores => TestStores.Kinds;

    /// <summary>The first bytes of a real JPEG (SOI + JFIF APP0), then filler.</summary>
    internal static byte[] Jpeg(int size = 2048)
    {
        var bytes = new byte[size];
        new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00 }.CopyTo(bytes, 0);
        for (var i = 11; i < size; i++)
        {
            bytes[i] = (byte)(i * 31);
        }
        return bytes;
    }

    private static UploadedFile File(string name, string type, byte[] content) => new(name, type, new MemoryStream(content));

    private static TaskDispatch FromWarning(string unit = "gaj", int days = 3) =>
        new("西湖景区人流超限", "立即增派警力疏导断桥一带人流，30分钟内回报", unit, null, days, TaskSource.Warning, "warn-2026-0042");

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Dispatch_FromWarning_InTheUnitsInboxWithDeadlineAndTimeline(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();

        var task = await tasks.DispatchAsync(FromWarning(), Leader, [], CancellationToken.None);

        Assert.Equal(TaskState.Dispatched, task.Status);
        // Dispatched Tuesday 24 Nov: Wed, Thu, Fri; due at the end of Friday, Hangzhou time.
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.FromHours(8)), task.DeadlineAt);
        var inbox = await tasks.ListAsync(null, Police, CancellationToken.None);
        Assert.Equal(task.Id, Assert.Single(inbox).Id);
        Assert.Empty(await tasks.ListAsync(null, CivilAffairs, CancellationToken.None));
        var detail = await tasks.GetAsync(task.Id, Police, CancellationToken.None);
        var dispatched = Assert.Single(detail.Timeline);
        Assert.Equal(("dispatch", "leader", TaskState.Dispatched), (dispatched.Action, dispatched.Actor, dispatched.Status));
        Assert.Equal("warn-2026-0042", detail.Task.SourceRef);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task ClosedLoop_AcceptProgressWithPhotoCompleteClose_EveryStepTimedAndAudited(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();
        var task = await tasks.DispatchAsync(FromWarning(), Leader, [], CancellationToken.None);

        cockpit.Time.Advance(TimeSpan.FromMinutes(5));
        await tasks.AcceptAsync(task.Id, Police, CancellationToken.None);
        cockpit.Time.Advance(TimeSpan.FromMinutes(20));
        var photo = Jpeg();
        await tasks.ReportProgressAsync(task.Id, "已增派12名警力，人流回落", [File("断桥.jpg", "image/jpeg", photo)], Police, CancellationToken.None);
        cockpit.Time.Advance(TimeSpan.FromMinutes(10));
        await tasks.CompleteAsync(task.Id, "人流恢复正常", [], Police, CancellationToken.None);
        cockpit.Time.Advance(TimeSpan.FromHours(1));
        var closed = await tasks.CloseAsync(task.Id, "核实无误", Leader, CancellationToken.None);

        Assert.Equal(TaskState.Closed, closed.Status);
        var timeline = (await tasks.GetAsync(task.Id, Leader, CancellationToken.None)).Timeline;
        Assert.Equal(["dispatch", "accept", "progress", "complete", "close"], timeline.Select(e => e.Action));
        Assert.Equal(["leader", "unit:gaj", "unit:gaj", "unit:gaj", "leader"], timeline.Select(e => e.Actor));
        Assert.True(timeline.Zip(timeline.Skip(1)).All(p => p.First.At < p.Second.At));
        var evidence = Assert.Single(timeline[2].Attachments);
        Assert.Equal(("断桥.jpg", "image/jpeg", (long)photo.Length), (evidence.FileName, evidence.ContentType, evidence.Size));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(photo)), evidence.Sha256);
        var (_, content) = await tasks.OpenAttachmentAsync(evidence.Id, Leader, CancellationToken.None);
        await using (content)
        {
            using var copy = new MemoryStream();
            await content.CopyToAsync(copy);
            Assert.Equal(photo, copy.ToArray());
        }

        await using var connection = await cockpit.Store.OpenConnectionAsync(CancellationToken.None);
        var audited = (await connection.QueryAsync<string>("SELECT action FROM hub_audit WHERE resource = @r ORDER BY seq", new { r = "task:" + task.Id })).ToList();
        Assert.Equal(["cockpit.task-dispatch", "cockpit.task-accept", "cockpit.task-progress", "cockpit.task-complete", "cockpit.task-close"], audited);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Accept_ByAnotherUnit_ForbiddenAndTaskUnchanged(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();
        var task = await tasks.DispatchAsync(FromWarning(), Leader, [], CancellationToken.None);
        var superior = new Hub.Security.Caller("operator@dsj", Hub.Security.HubRoles.UnitOperator, "dsj", null, null);

        var otherUnit = await Assert.ThrowsAsync<ForbiddenException>(() => tasks.AcceptAsync(task.Id, CivilAffairs, CancellationToken.None));
        Assert.Contains("assigned to unit 'gaj', not to 'mzj'", otherUnit.Message, StringComparison.Ordinal);
        var leaderAsUnit = await Assert.ThrowsAsync<ForbiddenException>(() => tasks.AcceptAsync(task.Id, Leader, CancellationToken.None));
        Assert.Contains("only an operator of unit 'gaj'", leaderAsUnit.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ForbiddenException>(() => tasks.AcceptAsync(task.Id, superior, CancellationToken.None));
        // Nor may they read it.
        await Assert.ThrowsAsync<NotFoundException>(() => tasks.GetAsync(task.Id, CivilAffairs, CancellationToken.None));
        var unchanged = await tasks.GetAsync(task.Id, Leader, CancellationToken.None);
        Assert.Equal(TaskState.Dispatched, unchanged.Task.Status);
        Assert.Single(unchanged.Timeline);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Dispatch_ByUnitOperatorOrCitizen_Forbidden(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();

        await Assert.ThrowsAsync<ForbiddenException>(() => tasks.DispatchAsync(FromWarning("mzj"), Police, [], CancellationToken.None));
        await Assert.ThrowsAsync<ForbiddenException>(() => tasks.DispatchAsync(FromWarning("mzj"), Citizen, [], CancellationToken.None));
        await Assert.ThrowsAsync<ForbiddenException>(() => tasks.ListAsync(null, Citizen, CancellationToken.None));
        Assert.Empty(await tasks.ListAsync(null, Leader, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Dispatch_BadInput_NamesEveryWrongField(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();

        var bad = await Assert.ThrowsAsync<ValidationFailedException>(() => tasks.DispatchAsync(
            new TaskDispatch("", null, "gaj", cockpit.Time.GetUtcNow().AddHours(-1), null, TaskSource.Warning, null), Leader, [], CancellationToken.None));
        Assert.Equal(["deadline", "instructions", "sourceRef", "title"], bad.Errors!.Keys.Order(StringComparer.Ordinal));
        var unknownUnit = await Assert.ThrowsAsync<ValidationFailedException>(() => tasks.DispatchAsync(FromWarning("nope"), Leader, [], CancellationToken.None));
        Assert.Contains("unit 'nope' is not registered", unknownUnit.Message, StringComparison.Ordinal);
        Assert.Empty(await tasks.ListAsync(null, Leader, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Progress_OnAClosedTask_ConflictNamingTheRule(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();
        var task = await tasks.DispatchAsync(FromWarning(), Leader, [], CancellationToken.None);
        await tasks.AcceptAsync(task.Id, Police, CancellationToken.None);
        await tasks.CompleteAsync(task.Id, null, [], Police, CancellationToken.None);
        await tasks.CloseAsync(task.Id, null, Leader, CancellationToken.None);

        var broken = await Assert.ThrowsAsync<BusinessRuleViolationException>(() =>
            tasks.ReportProgressAsync(task.Id, "补充材料", [File("a.jpg", "image/jpeg", Jpeg())], Police, CancellationToken.None));
        Assert.Equal(nameof(AClosedTaskCannotChange), broken.Rule);
        Assert.Equal(409, broken.Status);
        await Assert.ThrowsAsync<BusinessRuleViolationException>(() => tasks.ReturnAsync(task.Id, "再查", Leader, CancellationToken.None));
        Assert.Equal(4, (await tasks.GetAsync(task.Id, Leader, CancellationToken.None)).Timeline.Count);
        Assert.False(Directory.Exists(cockpit.AttachmentDirectory) && Directory.EnumerateFiles(cockpit.AttachmentDirectory, "*", SearchOption.AllDirectories).Any());
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Complete_BeforeAccepting_ConflictAlongTheWorkflow(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();
        var task = await tasks.DispatchAsync(FromWarning(), Leader, [], CancellationToken.None);

        var broken = await Assert.ThrowsAsync<BusinessRuleViolationException>(() => tasks.CompleteAsync(task.Id, null, [], Police, CancellationToken.None));

        Assert.Equal(nameof(ATaskMovesOnlyAlongItsWorkflow), broken.Rule);
        Assert.Contains("is dispatched", broken.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SendBack_WithReasonThenRedispatch_TheOtherUnitGetsIt(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();
        var task = await tasks.DispatchAsync(FromWarning(), Leader, [], CancellationToken.None);

        await Assert.ThrowsAsync<ValidationFailedException>(() => tasks.SendBackAsync(task.Id, "  ", Police, CancellationToken.None));
        var sentBack = await tasks.SendBackAsync(task.Id, "不属于本单位职责", Police, CancellationToken.None);
        var redispatched = await tasks.RedispatchAsync(task.Id, "mzj", 2, "改派民政局", Leader, CancellationToken.None);

        Assert.Equal(TaskState.SentBack, sentBack.Status);
        Assert.Equal((TaskState.Dispatched, "mzj"), (redispatched.Status, redispatched.Unit));
        Assert.Equal("不属于本单位职责", (await tasks.GetAsync(task.Id, Leader, CancellationToken.None)).Timeline[1].Note);
        Assert.Single(await tasks.ListAsync(null, CivilAffairs, CancellationToken.None));
        Assert.Empty(await tasks.ListAsync(null, Police, CancellationToken.None));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Return_CompletedWork_ReopenedThenCompletedAgain(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();
        var task = await tasks.DispatchAsync(FromWarning(), Leader, [], CancellationToken.None);
        await tasks.AcceptAsync(task.Id, Police, CancellationToken.None);
        await tasks.CompleteAsync(task.Id, null, [], Police, CancellationToken.None);

        var reopened = await tasks.ReturnAsync(task.Id, "缺少现场照片", Leader, CancellationToken.None);
        Assert.Equal(TaskState.Reopened, reopened.Status);
        Assert.Null(reopened.CompletedAt);
        var again = await tasks.CompleteAsync(task.Id, "已补照片", [File("p.png", "image/png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2, 3])], Police, CancellationToken.None);
        Assert.Equal(TaskState.Completed, again.Status);
    }

    public static TheoryData<string, string, byte[], int> BadFiles => new()
    {
        { "report.exe", "application/pdf", [0x4D, 0x5A, 0x90, 0x00, 0x03], 415 },
        { "photo.png", "image/png", Jpeg(), 415 },
        { "huge.jpg", "image/jpeg", Jpeg(1024 * 1024 + 1), 413 },
        { "empty.pdf", "application/pdf", [], 400 },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public async Task Progress_BadFile_ClearStatusAndNothingWritten(string name, string type, byte[] content, int status)
    {
        await using var cockpit = await CreateAsync(TestStores.Sqlite, services =>
            services.PostConfigure<TaskOptions>(o => o.MaxAttachmentBytes = 1024 * 1024));
        var tasks = cockpit.Get<TaskService>();
        var task = await tasks.DispatchAsync(FromWarning(), Leader, [], CancellationToken.None);
        await tasks.AcceptAsync(task.Id, Police, CancellationToken.None);

        // A good photo first in the same report: it must not be kept either.
        var refused = await Assert.ThrowsAnyAsync<ProblemException>(() => tasks.ReportProgressAsync(
            task.Id, "进展", [File("ok.jpg", "image/jpeg", Jpeg()), File(name, type, content)], Police, CancellationToken.None));

        Assert.Equal(status, refused.Status);
        Assert.Contains(name, refused.Message, StringComparison.Ordinal);
        Assert.Contains("files[1]", refused.Errors!.Keys);
        var detail = await tasks.GetAsync(task.Id, Leader, CancellationToken.None);
        Assert.Equal(TaskState.Accepted, detail.Task.Status);
        Assert.Equal(2, detail.Timeline.Count);
        Assert.Empty(Directory.EnumerateFiles(cockpit.AttachmentDirectory, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Progress_CommitFails_TheStagedPhotoIsRemoved(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();
        var task = await tasks.DispatchAsync(FromWarning(), Leader, [], CancellationToken.None);
        await tasks.AcceptAsync(task.Id, Police, CancellationToken.None);
        var raced = await RacingUpdate(tasks, task.Id, cockpit);

        Assert.Equal("OneChangeAtATime", raced.Rule);
        Assert.Empty(Directory.EnumerateFiles(cockpit.AttachmentDirectory, "*", SearchOption.AllDirectories));
        Assert.Equal(2, (await tasks.GetAsync(task.Id, Leader, CancellationToken.None)).Timeline.Count);
    }

    private static async Task<BusinessRuleViolationException> RacingUpdate(TaskService tasks, string id, CockpitServices cockpit)
    {
        // Another node changes the task while the photo is being staged (after the service read it, before it writes).
        var bumping = new BumpingStream(Jpeg(), async () =>
        {
            await using var connection = await cockpit.Store.OpenConnectionAsync(CancellationToken.None);
            await connection.ExecuteAsync("UPDATE cockpit_tasks SET version = version + 1 WHERE id = @id", new { id });
        });
        return await Assert.ThrowsAsync<BusinessRuleViolationException>(() =>
            tasks.ReportProgressAsync(id, "进展", [new UploadedFile("x.jpg", "image/jpeg", bumping)], Police, CancellationToken.None));
    }

    /// <summary>Runs an action once, when the content is first read.</summary>
    private sealed class BumpingStream(byte[] content, Func<Task> onFirstRead) : MemoryStream(content)
    {
        private bool _done;

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (!_done)
            {
                _done = true;
                await onFirstRead();
            }
            return await base.ReadAsync(buffer, cancellationToken);
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task EscalateOverdue_DeadlinePassed_EscalatedToTheParentOnceAndVisibleToIt(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();
        var district = await tasks.DispatchAsync(FromWarning("xh-gaj", 1), Leader, [], CancellationToken.None);
        var orphan = await tasks.DispatchAsync(FromWarning("mzj", 1), Leader, [], CancellationToken.None);
        var done = await tasks.DispatchAsync(FromWarning("gaj", 1), Leader, [], CancellationToken.None);
        await tasks.AcceptAsync(done.Id, Police, CancellationToken.None);
        await tasks.CompleteAsync(done.Id, null, [], Police, CancellationToken.None);

        Assert.Equal(0, await tasks.EscalateOverdueAsync(CancellationToken.None));
        cockpit.Time.Advance(TimeSpan.FromDays(2)); // Thursday morning: Wednesday's deadline has passed
        Assert.Equal(2, await tasks.EscalateOverdueAsync(CancellationToken.None));
        Assert.Equal(0, await tasks.EscalateOverdueAsync(CancellationToken.None));

        var escalated = await tasks.GetAsync(district.Id, Police, CancellationToken.None); // the police see their district office's overdue task
        Assert.Equal("gaj", escalated.Task.EscalatedTo);
        Assert.Equal(("escalate", "system:cockpit"), (escalated.Timeline[^1].Action, escalated.Timeline[^1].Actor));
        Assert.Equal("dsj", (await tasks.GetAsync(orphan.Id, Leader, CancellationToken.None)).Task.EscalatedTo);
        Assert.Null((await tasks.GetAsync(done.Id, Leader, CancellationToken.None)).Task.EscalatedAt);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task EscalationService_ClockPassesDeadline_EscalatesWithoutBeingCalled(string kind)
    {
        await using var cockpit = await CreateAsync(kind);
        var tasks = cockpit.Get<TaskService>();
        var task = await tasks.DispatchAsync(FromWarning("gaj", 1), Leader, [], CancellationToken.None);
        var service = cockpit.Get<IEnumerable<Microsoft.Extensions.Hosting.IHostedService>>().OfType<TaskEscalationService>().Single();
        await service.StartAsync(CancellationToken.None);
        try
        {
            cockpit.Time.Advance(TimeSpan.FromDays(2));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            CockpitTask current;
            do
            {
                await Task.Delay(50);
                current = (await tasks.GetAsync(task.Id, Leader, CancellationToken.None)).Task;
            }
            while (current.EscalatedAt is null && DateTime.UtcNow < deadline);
            Assert.Equal("dsj", current.EscalatedTo);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task DispatchThroughTheSeam_DataQualityProblem_ListenersHearEveryChange(string kind)
    {
        var heard = new List<string>();
        await using var cockpit = await CreateAsync(kind, services => services.AddSingleton<ITaskEvents>(new Recorder(heard)));
        var dispatcher = cockpit.Get<ITaskDispatcher>();

        var task = await dispatcher.DispatchAsync(
            new TaskDispatch("低保名单身份证号校验失败 12 条", "核对并更正", "mzj", null, 5, TaskSource.DataQuality, "dq-rule-sfzh-checksum"), "system:data-quality", CancellationToken.None);
        await cockpit.Get<TaskService>().AcceptAsync(task.Id, CivilAffairs, CancellationToken.None);

        Assert.Equal([$"dispatch:{task.Id}:dispatched", $"accept:{task.Id}:accepted"], heard);
        Assert.Equal("system:data-quality", task.DispatchedBy);
    }

    private sealed class Recorder(List<string> heard) : ITaskEvents
    {
        public ValueTask OnTaskChangedAsync(TaskChange change, CancellationToken cancellationToken)
        {
            heard.Add($"{change.Action}:{change.Task.Id}:{change.Task.Status}");
            return ValueTask.CompletedTask;
        }
    }
}

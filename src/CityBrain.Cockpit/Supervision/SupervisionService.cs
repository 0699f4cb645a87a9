using CityBrain.Cockpit.Tasks;
using CityBrain.Hub.Registry;
using CityBrain.Kernel.Storage;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Supervision;

/// <summary>Computes the supervision board from the tasks, as of now, by the published rules.</summary>
internal sealed class SupervisionService(
    IOperationalStore store,
    IRegistryReader registry,
    SupervisionRules rules,
    TimeProvider time,
    IOptions<TaskOptions> options)
{
    private static readonly string[] States =
        [TaskState.Dispatched, TaskState.Accepted, TaskState.SentBack, TaskState.InProgress, TaskState.Completed, TaskState.Reopened, TaskState.Closed];

    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);
    private readonly IReadOnlyCollection<DateOnly> _holidays = options.Value.Holidays;

    public SupervisionRules Rules => rules;

    public async Task<SupervisionBoard> BoardAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        IReadOnlyList<CockpitTask> tasks;
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            tasks = await TaskStore.AllAsync(connection, cancellationToken);
        }
        var units = new List<UnitSupervision>();
        foreach (var group in tasks.GroupBy(t => t.Unit, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var name = (await registry.FindUnitAsync(group.Key, cancellationToken))?.Name;
            units.Add(Supervise(group.Key, name, group.ToList(), now));
        }
        return new SupervisionBoard(
            now, units,
            units.Where(u => u.List == "red").Select(u => u.Unit).ToList(),
            units.Where(u => u.List == "yellow").Select(u => u.Unit).ToList(),
            units.Where(u => u.List == "black").Select(u => u.Unit).ToList());
    }

    private UnitSupervision Supervise(string unit, string? name, List<CockpitTask> tasks, DateTimeOffset now)
    {
        var byStatus = States.ToDictionary(s => s, s => tasks.Count(t => t.Status == s), StringComparer.Ordinal);
        // Open: the work is not yet verified and closed. Overdue: not completed and the deadline has passed.
        var open = tasks.Where(t => t.Status != TaskState.Closed).ToList();
        var overdue = tasks.Where(t => t.Status is not (TaskState.Completed or TaskState.Closed) && t.DeadlineAt < now).ToList();
        var maxOverdueDays = overdue.Count == 0 ? 0 : overdue.Max(t => WorkingDays.Between(t.DeadlineAt, now, _zone, _holidays));
        var byAge = new Dictionary<string, int>(StringComparer.Ordinal) { ["under-1d"] = 0, ["1-3d"] = 0, ["3-7d"] = 0, ["over-7d"] = 0 };
        foreach (var task in open)
        {
            var days = (now - task.DispatchedAt).TotalDays;
            byAge[days < 1 ? "under-1d" : days < 3 ? "1-3d" : days < 7 ? "3-7d" : "over-7d"]++;
        }
        var closed = tasks.Where(t => t.Status == TaskState.Closed && t.CompletedAt is not null).ToList();
        var onTime = closed.Count(t => t.CompletedAt <= t.DeadlineAt);
        double? rate = closed.Count == 0 ? null : (double)onTime / closed.Count;
        double? averageDays = closed.Count == 0 ? null : closed.Average(t => (t.ClosedAt!.Value - t.DispatchedAt).TotalDays);

        var reasons = new List<string>();
        string? list = null;
        var rated = closed.Count >= rules.MinClosedTasks;
        if (maxOverdueDays > rules.Black.OverdueWorkingDaysOver)
        {
            reasons.Add($"a task is overdue by {maxOverdueDays} working days (more than {rules.Black.OverdueWorkingDaysOver})");
        }
        if (rated && rate < rules.Black.BelowOnTimeRate)
        {
            reasons.Add($"on-time closure rate {rate:P0} is below {rules.Black.BelowOnTimeRate:P0}");
        }
        if (reasons.Count > 0)
        {
            list = "black";
        }
        else if (rated && rate < rules.Yellow.BelowOnTimeRate)
        {
            list = "yellow";
            reasons.Add($"on-time closure rate {rate:P0} is below {rules.Yellow.BelowOnTimeRate:P0}");
        }
        else if (rated && rate >= rules.Red.MinOnTimeRate)
        {
            list = "red";
            reasons.Add($"on-time closure rate {rate:P0} is at least {rules.Red.MinOnTimeRate:P0} over {closed.Count} closed tasks");
        }
        return new UnitSupervision(unit, name, byStatus, open.Count, byAge, overdue.Count, maxOverdueDays, closed.Count, onTime, rate, averageDays, list, reasons);
    }
}

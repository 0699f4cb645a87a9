using System.Globalization;
using CityBrain.Cockpit.Tasks;
using CityBrain.Kernel.Errors;
using MudBlazor;

namespace CityBrain.Cockpit.Web;

/// <summary>How the task pages name states and actions and show times (Hangzhou time) and refusals.</summary>
internal static class TaskDisplay
{
    private static readonly TimeSpan Hangzhou = TimeSpan.FromHours(8);

    public static string Status(string status) => status switch
    {
        TaskState.Dispatched => "待签收 dispatched",
        TaskState.Accepted => "已签收 accepted",
        TaskState.SentBack => "已退回 sent back",
        TaskState.InProgress => "办理中 in progress",
        TaskState.Completed => "待核验 completed",
        TaskState.Reopened => "重办 reopened",
        TaskState.Closed => "已办结 closed",
        _ => status,
    };

    public static Color StatusColor(string status) => status switch
    {
        TaskState.Dispatched => Color.Info,
        TaskState.SentBack or TaskState.Reopened => Color.Warning,
        TaskState.Completed => Color.Secondary,
        TaskState.Closed => Color.Success,
        _ => Color.Primary,
    };

    public static string Action(string action) => action switch
    {
        TaskActions.Dispatch => "派发 dispatched",
        TaskActions.Accept => "签收 accepted",
        TaskActions.SendBack => "退回 sent back",
        TaskActions.Redispatch => "重新派发 redispatched",
        TaskActions.Progress => "进展 progress",
        TaskActions.Complete => "办结 completed",
        TaskActions.Close => "核验办结 closed",
        TaskActions.Return => "退回重办 returned",
        TaskActions.Escalate => "超期升级 escalated",
        _ => action,
    };

    public static string Time(DateTimeOffset at) => at.ToOffset(Hangzhou).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>Overdue as the board counts it: not completed and the deadline has passed.</summary>
    public static bool Overdue(CockpitTask task, DateTimeOffset now) =>
        task.Status is not (TaskState.Completed or TaskState.Closed) && task.DeadlineAt < now;

    /// <summary>A refusal as the person should read it: what was wrong and where.</summary>
    public static string Refusal(ProblemException problem) =>
        problem.Errors is { Count: > 0 } errors
            ? string.Join("; ", errors.Select(e => $"{e.Key}: {string.Join(", ", e.Value)}"))
            : problem.Message;
}

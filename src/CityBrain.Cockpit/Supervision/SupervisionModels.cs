namespace CityBrain.Cockpit.Supervision;

/// <summary>One unit on the supervision board (督办看板).</summary>
public sealed record UnitSupervision(
    string Unit,
    string? Name,
    IReadOnlyDictionary<string, int> ByStatus,
    int Open,
    IReadOnlyDictionary<string, int> OpenByAge,
    int Overdue,
    int MaxOverdueWorkingDays,
    int Closed,
    int ClosedOnTime,
    double? OnTimeRate,
    double? AverageClosureDays,
    string? List,
    IReadOnlyList<string> Reasons);

/// <summary>The board: every unit with tasks, and the red, yellow and black lists by the published rules.</summary>
public sealed record SupervisionBoard(
    DateTimeOffset GeneratedAt,
    IReadOnlyList<UnitSupervision> Units,
    IReadOnlyList<string> Red,
    IReadOnlyList<string> Yellow,
    IReadOnlyList<string> Black);

/// <summary>A unit's score on one metric; <paramref name="Weight"/> weighs it when units are grouped by district.</summary>
public sealed record LeaderboardScore(string Unit, double Value, int Weight);

/// <summary>
/// A metric the leaderboard (赛马榜) can rank by. The task metrics are built in; another module registers its own as more
/// <see cref="ILeaderboardMetric"/> singletons. (The cockpit's indicators, which come and go, rank districts as
/// <c>indicator:&lt;code&gt;</c>.)
/// </summary>
public interface ILeaderboardMetric
{
    /// <summary>The code in <c>?metric=</c>, e.g. <c>on-time-rate</c>.</summary>
    string Code { get; }

    string Name { get; }

    bool HigherIsBetter { get; }

    /// <summary>Scores of the units that have one (a unit without data is left out, not ranked last).</summary>
    Task<IReadOnlyList<LeaderboardScore>> ScoresAsync(CancellationToken cancellationToken);
}

/// <summary>One place on the leaderboard; <paramref name="Key"/> is a unit code or a district's division code.</summary>
public sealed record LeaderboardEntry(int Rank, string Key, string? Name, double Value, int Weight);

public sealed record Leaderboard(string By, string Metric, string MetricName, bool HigherIsBetter, IReadOnlyList<LeaderboardEntry> Entries);

namespace CityBrain.Cockpit.Evaluation;

/// <summary>A scenario's lifecycle states (上线、评价、退出).</summary>
public static class ScenarioState
{
    public const string Trial = "trial";
    public const string Online = "online";
    public const string UnderReview = "under-review";
    public const string Retired = "retired";
}

/// <summary>A scenario as registered: its code, name, owning unit and the population it serves (for the usage rate).</summary>
public sealed record ScenarioRegistration(string? Code, string? Name, string? OwnerUnit, long? TargetPopulation);

/// <summary>One day of a scenario: distinct users, usage rate, ratings and their average.</summary>
public sealed record ScenarioDay(DateOnly Day, int ActiveUsers, double UsageRate, int Ratings, double? Satisfaction);

/// <summary>A lifecycle change, with the rule that made it.</summary>
public sealed record ScenarioTransition(DateTimeOffset At, string From, string To, string Reason);

/// <summary>A scenario on the evaluation page: state, yesterday's figures, the last 30 days, its lifecycle history.</summary>
public sealed record ScenarioEvaluation(
    string Code,
    string Name,
    string OwnerUnit,
    long TargetPopulation,
    string State,
    DateTimeOffset StateSince,
    int DailyActiveUsers,
    double UsageRate,
    double? Satisfaction,
    int RatingsLast30Days,
    IReadOnlyList<ScenarioDay> Days,
    IReadOnlyList<ScenarioTransition> Transitions);

/// <summary>
/// Records a use by a named user (hashed with the hub's key before it is stored; never kept in clear), for the host and
/// tests. Modules never reference the cockpit: they publish ScenarioUsed on the bus (docs/cockpit.md).
/// </summary>
public interface IScenarioUsage
{
    Task RecordUseAsync(string scenario, string userId, CancellationToken cancellationToken);
}

using CityBrain.Hub.Registry;
using CityBrain.Kernel.Errors;

namespace CityBrain.Cockpit.Supervision;

/// <summary>The on-time closure rate of each unit with closed tasks (higher is better).</summary>
internal sealed class OnTimeRateMetric(SupervisionService supervision) : ILeaderboardMetric
{
    public string Code => "on-time-rate";

    public string Name => "按时办结率";

    public bool HigherIsBetter => true;

    public async Task<IReadOnlyList<LeaderboardScore>> ScoresAsync(CancellationToken cancellationToken) =>
        (await supervision.BoardAsync(cancellationToken)).Units
            .Where(u => u.OnTimeRate is not null)
            .Select(u => new LeaderboardScore(u.Unit, u.OnTimeRate!.Value, u.Closed)).ToList();
}

/// <summary>The average days from dispatch to close of each unit's closed tasks (lower is better).</summary>
internal sealed class AverageClosureDaysMetric(SupervisionService supervision) : ILeaderboardMetric
{
    public string Code => "average-closure-days";

    public string Name => "平均办结天数";

    public bool HigherIsBetter => false;

    public async Task<IReadOnlyList<LeaderboardScore>> ScoresAsync(CancellationToken cancellationToken) =>
        (await supervision.BoardAsync(cancellationToken)).Units
            .Where(u => u.AverageClosureDays is not null)
            .Select(u => new LeaderboardScore(u.Unit, u.AverageClosureDays!.Value, u.Closed)).ToList();
}

/// <summary>Metrics that come and go with their module's data (the cockpit's indicators); read each time the list is needed.</summary>
internal interface ILeaderboardMetricProvider
{
    IReadOnlyList<ILeaderboardMetric> Metrics { get; }
}

/// <summary>A metric whose figures belong to districts themselves (an indicator's values by area), not to units.</summary>
internal interface IDistrictLeaderboardMetric
{
    IReadOnlyDictionary<string, double> DistrictScores();
}

/// <summary>
/// The leaderboard (赛马榜): units, or districts (units grouped by division code, scores weighted), ranked on one metric;
/// districts also on an indicator's latest values by district.
/// </summary>
internal sealed class LeaderboardService(IEnumerable<ILeaderboardMetric> metrics, IEnumerable<ILeaderboardMetricProvider> providers, IRegistryReader registry)
{
    private readonly IReadOnlyList<ILeaderboardMetric> _fixed = metrics.ToList();

    public IReadOnlyList<ILeaderboardMetric> Metrics => [.. _fixed, .. providers.SelectMany(p => p.Metrics)];

    public async Task<Leaderboard> RankAsync(string? by, string? metricCode, CancellationToken cancellationToken)
    {
        by ??= "unit";
        if (by is not ("unit" or "district"))
        {
            throw new ValidationFailedException("by", "rank by 'unit' or 'district'");
        }
        metricCode ??= "on-time-rate";
        var metric = Metrics.FirstOrDefault(m => m.Code == metricCode)
            ?? throw new ValidationFailedException("metric", $"'{metricCode}' is not a metric; the metrics are {string.Join(", ", Metrics.Select(m => m.Code))}");

        var rows = new List<(string Key, string? Name, double Value, int Weight)>();
        if (metric is IDistrictLeaderboardMetric districtMetric)
        {
            if (by != "district")
            {
                throw new ValidationFailedException("by", $"'{metric.Code}' is an indicator's figure by district: rank it by 'district'");
            }
            rows.AddRange(districtMetric.DistrictScores().Select(d => (d.Key, (string?)null, d.Value, 1)));
            return Ordered(metric, by, rows);
        }
        var scores = await metric.ScoresAsync(cancellationToken);
        if (by == "unit")
        {
            foreach (var score in scores)
            {
                rows.Add((score.Unit, (await registry.FindUnitAsync(score.Unit, cancellationToken))?.Name, score.Value, score.Weight));
            }
        }
        else
        {
            var byDistrict = new Dictionary<string, List<LeaderboardScore>>(StringComparer.Ordinal);
            foreach (var score in scores)
            {
                var district = (await registry.FindUnitAsync(score.Unit, cancellationToken))?.DivisionCode ?? "unknown";
                (byDistrict.TryGetValue(district, out var list) ? list : byDistrict[district] = []).Add(score);
            }
            foreach (var (district, list) in byDistrict)
            {
                var weight = list.Sum(s => s.Weight);
                var value = weight > 0 ? list.Sum(s => s.Value * s.Weight) / weight : list.Average(s => s.Value);
                rows.Add((district, null, value, weight));
            }
        }
        return Ordered(metric, by, rows);
    }

    private static Leaderboard Ordered(ILeaderboardMetric metric, string by, List<(string Key, string? Name, double Value, int Weight)> rows)
    {
        var ordered = (metric.HigherIsBetter ? rows.OrderByDescending(r => r.Value) : rows.OrderBy(r => r.Value)).ThenBy(r => r.Key, StringComparer.Ordinal).ToList();
        var entries = new List<LeaderboardEntry>();
        for (var i = 0; i < ordered.Count; i++)
        {
            // Equal values share a rank (1, 1, 3).
            var rank = i > 0 && ordered[i].Value.Equals(ordered[i - 1].Value) ? entries[i - 1].Rank : i + 1;
            entries.Add(new LeaderboardEntry(rank, ordered[i].Key, ordered[i].Name, Math.Round(ordered[i].Value, 4), ordered[i].Weight));
        }
        return new Leaderboard(by, metric.Code, metric.Name, metric.HigherIsBetter, entries);
    }
}

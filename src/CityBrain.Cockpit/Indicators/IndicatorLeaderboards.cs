using CityBrain.Cockpit.Live;
using CityBrain.Cockpit.Supervision;

namespace CityBrain.Cockpit.Indicators;

/// <summary>
/// Every indicator whose latest value breaks down by district becomes a leaderboard metric (<c>indicator:&lt;code&gt;</c>),
/// ranking districts on their latest values in the indicator's own direction. Indicators come and go (the API adds them),
/// so the list is read each time.
/// </summary>
internal sealed class IndicatorLeaderboards(IndicatorCatalog catalog, CockpitFeed feed) : ILeaderboardMetricProvider
{
    public const string Prefix = "indicator:";

    public IReadOnlyList<ILeaderboardMetric> Metrics =>
        [.. catalog.All.Where(d => Districts(feed.Find(d.Code)).Count > 0).Select(d => new IndicatorMetric(d, feed))];

    /// <summary>The six-digit district codes of a snapshot's areas (streets are nine digits and left out).</summary>
    private static IReadOnlyDictionary<string, double> Districts(IndicatorSnapshot? snapshot) =>
        snapshot is null ? new Dictionary<string, double>() : snapshot.ByArea.Where(a => a.Key.Length == 6).ToDictionary(a => a.Key, a => a.Value, StringComparer.Ordinal);

    private sealed class IndicatorMetric(IndicatorDefinition definition, CockpitFeed feed) : ILeaderboardMetric, IDistrictLeaderboardMetric
    {
        public string Code => Prefix + definition.Code;

        public string Name => $"{definition.Name} ({definition.Measure})";

        public bool HigherIsBetter => definition.Direction == TargetDirection.HigherIsBetter;

        /// <summary>An indicator's figures belong to areas, not to units.</summary>
        public Task<IReadOnlyList<LeaderboardScore>> ScoresAsync(CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlyList<LeaderboardScore>>([]);

        public IReadOnlyDictionary<string, double> DistrictScores() => Districts(feed.Find(definition.Code));
    }
}

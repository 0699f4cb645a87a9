using System.Text.Json;
using CityBrain.Scenarios.Policy.Rules;

namespace CityBrain.Scenarios.Policy.Matching;

/// <summary>One policy's eligible set against the city's ground truth.</summary>
internal sealed record CheckResult(string Policy, int Truth, int Found, int TruePositives, int Blocked, double Precision, double Recall,
    IReadOnlyList<string> Missed, IReadOnlyList<string> Wrong);

/// <summary>
/// Compares every policy's eligible set (blocked subjects excluded: they are not paid) on the city's as-of date with
/// truth/policy_eligible.csv, which the generator writes from its own model.
/// </summary>
internal static class GroundTruthCheck
{
    /// <summary>Every policy matched on the city's department files (the developer's check: no grants, no lake).</summary>
    public static async Task<IReadOnlyList<CheckResult>> RunAsync(string cityDirectory, IReadOnlyList<PolicyDefinition> policies, CancellationToken cancellationToken)
    {
        var asOf = await AsOfAsync(cityDirectory, cancellationToken);
        await using var connection = await ProfileBuilder.OpenCityAsync(cityDirectory, cancellationToken);
        await ProfileBuilder.BuildAsync(connection, asOf, cancellationToken);
        return await RunAsync(cityDirectory, policies, policy => PolicyMatcher.MatchAsync(connection, policy, asOf, cancellationToken), cancellationToken);
    }

    /// <summary>Every policy matched by <paramref name="match"/> on the city's as-of date, against the truth.</summary>
    public static async Task<IReadOnlyList<CheckResult>> RunAsync(string cityDirectory, IReadOnlyList<PolicyDefinition> policies,
        Func<PolicyDefinition, Task<IReadOnlyList<Match>>> match, CancellationToken cancellationToken)
    {
        var truth = (await File.ReadAllLinesAsync(Path.Combine(cityDirectory, "truth", "policy_eligible.csv"), cancellationToken)).Skip(1)
            .Select(l => l.Split(',')).GroupBy(p => p[0], p => p[1], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
        var results = new List<CheckResult>();
        foreach (var policy in policies)
        {
            var matches = await match(policy);
            var found = matches.Where(m => !m.Blocked).Select(m => m.Subject).ToHashSet(StringComparer.Ordinal);
            var expected = truth.GetValueOrDefault(policy.Id) ?? [];
            var hits = found.Count(expected.Contains);
            results.Add(new CheckResult(policy.Id, expected.Count, found.Count, hits, matches.Count(m => m.Blocked),
                found.Count == 0 ? (expected.Count == 0 ? 1 : 0) : (double)hits / found.Count,
                expected.Count == 0 ? 1 : (double)hits / expected.Count,
                expected.Where(s => !found.Contains(s)).Order(StringComparer.Ordinal).ToList(),
                found.Where(s => !expected.Contains(s)).Order(StringComparer.Ordinal).ToList()));
        }
        return results;
    }

    /// <summary>The city's "today" from its city.json.</summary>
    public static async Task<DateOnly> AsOfAsync(string cityDirectory, CancellationToken cancellationToken)
    {
        await using var file = File.OpenRead(Path.Combine(cityDirectory, "city.json"));
        using var json = await JsonDocument.ParseAsync(file, cancellationToken: cancellationToken);
        return DateOnly.Parse(json.RootElement.GetProperty("asOf").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
    }
}

using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Rules;

namespace CityBrain.Scenarios.Policy.Grants;

/// <summary>
/// A policy run as an ordinary hub consumer: it goes ahead only while the policy system holds a grant in force for every
/// dataset the policy needs (<see cref="PolicyDefinition.Needs"/>, the same state GET /api/policy/policies shows) that
/// releases in clear every field the profiles read from it (<see cref="ProfileBuilder.Fields"/>); it then reads each
/// dataset from the lake through the hub's governed read (<see cref="IDatasetExtracts"/>), which applies the grant field
/// by field and writes one audit record per read (grant, fields, rows, purpose, policy and period).
/// </summary>
internal sealed class PolicyAccess(IGrantLookup grants, IDatasetExtracts lake, PolicyRunFolders folders, TimeProvider time)
{
    /// <summary>
    /// Refuses the run (409) before anything is read, naming the policy and every dataset without a grant and every field
    /// a grant leaves out or releases only masked.
    /// </summary>
    public async Task RequireGrantsAsync(PolicyDefinition policy, CancellationToken cancellationToken)
    {
        var found = await PolicyGrants.FindGrantsAsync(grants, time.GetUtcNow(), policy, cancellationToken);
        var problems = new List<string>();
        var missing = found.Where(f => f.Grant is null).Select(f => f.Dataset).ToList();
        if (missing.Count > 0)
        {
            problems.Add($"its system {PolicyGrants.SystemOf(policy)} holds no grant in force for {string.Join(", ", missing)}");
        }
        foreach (var (dataset, grant) in found.Where(f => f.Grant is not null))
        {
            var needed = ProfileBuilder.Fields[dataset];
            var absent = needed.Where(f => !grant!.Fields.Contains(f) && !grant.MaskedFields.Contains(f)).ToList();
            var masked = needed.Where(grant!.MaskedFields.Contains).ToList();
            if (absent.Count > 0)
            {
                problems.Add($"grant {grant.Id} on {dataset} does not include the field{(absent.Count > 1 ? "s" : "")} {string.Join(", ", absent)}");
            }
            if (masked.Count > 0)
            {
                problems.Add($"grant {grant.Id} on {dataset} releases {string.Join(", ", masked)} only masked, and the rules need {(masked.Count > 1 ? "them" : "it")} in clear");
            }
        }
        if (problems.Count > 0)
        {
            throw new BusinessRuleViolationException("PolicyRunsOnlyUnderItsGrants",
                $"policy '{policy.Id}' may not run: {string.Join("; ", problems)}; " +
                $"file the requests (POST /api/policy/policies/{policy.Id}/requests) and have the owning units approve these fields in clear");
        }
    }

    /// <summary>
    /// The policy's matches as judged on <paramref name="judgedOn"/>, from the lake: the grants checked first (nothing read
    /// when one falls short), each needed dataset read under its grant (audited by the lake with the policy and
    /// <paramref name="period"/>), the profiles built from the reads, and the policy's SQL run over them.
    /// </summary>
    public async Task<IReadOnlyList<Match>> MatchAsync(PolicyDefinition policy, string period, DateOnly judgedOn, CancellationToken cancellationToken)
    {
        await RequireGrantsAsync(policy, cancellationToken);
        // The reads hold personal data: they live only as long as the matching, in an owner-only folder of this run's own
        // under the data folder; a run killed before it deletes its folder has it removed by the next run or serve's start.
        using var folder = folders.Create();
        var files = await ReadAsync(policy, period, folder.Path, cancellationToken);
        await using var duck = await ProfileBuilder.OpenReadsAsync(files, cancellationToken);
        await ProfileBuilder.BuildAsync(duck, judgedOn, cancellationToken);
        return await PolicyMatcher.MatchAsync(duck, policy, judgedOn, cancellationToken);
    }

    /// <summary>Each needed dataset read from the lake under its grant into <paramref name="folder"/>: dataset → Parquet file (the benchmark times this step alone).</summary>
    internal async Task<IReadOnlyDictionary<string, string>> ReadAsync(PolicyDefinition policy, string period, string folder, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var dataset in policy.Needs)
        {
            var fields = ProfileBuilder.Fields[dataset];
            var read = await lake.ExtractAsync(new ExtractRequest(PolicyGrants.SystemOf(policy), dataset, fields, fields, PolicyGrants.Purpose, folder,
                new Dictionary<string, string?> { ["policy"] = policy.Id, ["period"] = period }), cancellationToken);
            files[dataset] = read.File;
        }
        return files;
    }
}

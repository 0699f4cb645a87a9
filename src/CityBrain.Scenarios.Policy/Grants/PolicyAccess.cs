using System.Globalization;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using CityBrain.Scenarios.Policy.Rules;

namespace CityBrain.Scenarios.Policy.Grants;

/// <summary>One dataset a run read: how many rows, under which grant.</summary>
internal sealed record DatasetRead(string Dataset, long Rows, Grant Grant);

/// <summary>
/// A policy run as an ordinary hub consumer: it goes ahead only while the policy system holds a grant in force for every
/// dataset the policy needs (<see cref="PolicyDefinition.Needs"/>, the same state GET /api/policy/policies shows), and
/// every dataset it read goes to the hub's audit chain as a governed query does ("data.query", the consumer system,
/// the purpose, the fields, the row count).
/// </summary>
internal sealed class PolicyAccess(IGrantLookup grants, IAuditLog audit, TimeProvider time)
{
    /// <summary>The grant for each needed dataset; refuses the run (409) naming the policy and every dataset without one.</summary>
    public async Task<IReadOnlyDictionary<string, Grant>> RequireGrantsAsync(PolicyDefinition policy, CancellationToken cancellationToken)
    {
        var found = await PolicyGrants.FindGrantsAsync(grants, time.GetUtcNow(), policy, cancellationToken);
        var missing = found.Where(f => f.Grant is null).Select(f => f.Dataset).ToList();
        if (missing.Count > 0)
        {
            throw new BusinessRuleViolationException("PolicyRunsOnlyUnderItsGrants",
                $"policy '{policy.Id}' may not run: its system {PolicyGrants.SystemOf(policy)} holds no grant in force for {string.Join(", ", missing)}; " +
                $"file the requests (POST /api/policy/policies/{policy.Id}/requests) and have the owning units approve them");
        }
        return found.ToDictionary(f => f.Dataset, f => f.Grant!, StringComparer.Ordinal);
    }

    /// <summary>One audit record per dataset read. A whole-dataset read filters on no subject, so, like a governed query without a subject filter, it names none.</summary>
    public async Task AuditReadsAsync(PolicyDefinition policy, string period, IReadOnlyList<DatasetRead> reads, CancellationToken cancellationToken)
    {
        foreach (var read in reads)
        {
            var fields = policy.ReadFields.Where(f => f.Datasets.Contains(read.Dataset, StringComparer.Ordinal)).Select(f => f.Name);
            await audit.AppendAsync(new AuditEntry("data.query", "system:" + PolicyGrants.SystemOf(policy), "dataset:" + read.Dataset, PolicyGrants.Purpose, null,
                new Dictionary<string, string?>
                {
                    ["fields"] = string.Join(",", fields),
                    ["rows"] = read.Rows.ToString(CultureInfo.InvariantCulture),
                    ["grant"] = read.Grant.Id,
                    ["policy"] = policy.Id,
                    ["period"] = period,
                }), cancellationToken);
        }
    }
}

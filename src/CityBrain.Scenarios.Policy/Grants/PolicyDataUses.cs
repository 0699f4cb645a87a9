using CityBrain.Hub.Audit;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;

namespace CityBrain.Scenarios.Policy.Grants;

/// <summary>
/// A citizen's data tracker shows every policy decision taken about him or her, from policy_decisions: one line per
/// policy and period, with the profile fields the decision read. The run's reads themselves are audited once per dataset
/// (they name no one); the decisions are where a run touches a person, and they are kept anyway (docs/policy.md).
/// </summary>
internal sealed class PolicyDataUses(IOperationalStore store) : IDataUseRecords
{
    public async Task<IReadOnlyList<RecordedDataUse>> ForResidentAsync(string residentId, CancellationToken cancellationToken)
    {
        var policies = PolicyLoader.Shipped().ToDictionary(p => p.Id, StringComparer.Ordinal);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = Db.Command(connection, null,
            "SELECT policy, period, status, decided_at FROM policy_decisions WHERE subject = @subject ORDER BY decided_at DESC", ("subject", residentId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var uses = new List<RecordedDataUse>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var policy = policies.GetValueOrDefault(reader.GetString(0));
            uses.Add(new RecordedDataUse(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                policy is null ? "policy" : "system:" + PolicyGrants.SystemOf(policy), "policy.decision", "policy:" + reader.GetString(0), PolicyGrants.Purpose,
                policy is null ? [] : [.. policy.ReadFields.Select(f => f.Name)], $"{reader.GetString(2)} for {reader.GetString(1)}"));
        }
        return uses;
    }
}

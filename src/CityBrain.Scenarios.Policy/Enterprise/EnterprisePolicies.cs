using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Citizen;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;

namespace CityBrain.Scenarios.Policy.Enterprise;

/// <summary>One enterprise policy in force as the enterprise sees it: the current period's explanation and its own payouts.</summary>
internal sealed record EnterprisePolicy(string Id, string Name, string Issuer, string? Basis, string Period, Explanation Explanation, IReadOnlyList<MyPayout> Payouts);

/// <summary>
/// Money a resident policy paid through the enterprise for one of its employees (stay-in-hangzhou pays employers): the
/// employee's resident ID is masked, and nothing else about the person is shown.
/// </summary>
internal sealed record PaidThroughEmployer(string Policy, string PolicyName, string Period, string EmployeeMasked, decimal Amount, string Status, DateTimeOffset? PaidAt);

/// <summary>The enterprise's page (亲清在线): its policies with why or why not, and what was paid through it for its employees.</summary>
internal sealed record EnterpriseOverview(string Uscc, IReadOnlyList<EnterprisePolicy> Policies, IReadOnlyList<PaidThroughEmployer> PaidThrough);

/// <summary>The one place that answers an enterprise about its policies: the page and <c>/api/enterprises/{uscc}/...</c> both read here.</summary>
internal sealed class EnterprisePolicies(PolicyProfiles profiles, IOperationalStore store, TimeProvider time)
{
    public async Task<EnterpriseOverview> OverviewAsync(string uscc, CancellationToken cancellationToken)
    {
        var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        var shipped = PolicyLoader.Shipped();
        var (own, through) = await PayoutsAsync(uscc, cancellationToken);
        var policies = new List<EnterprisePolicy>();
        foreach (var policy in shipped.Where(p => p.Target == Target.Enterprises && p.EffectiveFrom <= today && today <= p.EffectiveTo))
        {
            var period = CitizenPolicies.CurrentPeriod(policy, today);
            var judgedOn = policy.ReferenceDate(period);
            var explanation = await profiles.UseAsync(judgedOn, connection => PolicyMatcher.ExplainAsync(connection, policy, uscc, judgedOn, cancellationToken), cancellationToken)
                ?? throw new NotFoundException($"the city's records hold no enterprise with credit code {uscc}");
            policies.Add(new EnterprisePolicy(policy.Id, policy.Name, policy.Issuer, policy.Basis, period, explanation, own.Where(p => p.Policy == policy.Id).ToList()));
        }
        var names = shipped.ToDictionary(p => p.Id, p => p.Name, StringComparer.Ordinal);
        return new EnterpriseOverview(uscc, policies,
            [.. through.Select(t => t with { PolicyName = names.GetValueOrDefault(t.Policy, t.Policy) })]);
    }

    /// <summary>The enterprise's own payouts (it is the subject), and those paid through it for employees (it is only the payee).</summary>
    private async Task<(List<MyPayout> Own, List<PaidThroughEmployer> Through)> PayoutsAsync(string uscc, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = Db.Command(connection, null, """
            SELECT policy, period, subject, amount_cents, status, paid_at FROM policy_payouts WHERE subject = @uscc
            UNION ALL
            SELECT policy, period, subject, amount_cents, status, paid_at FROM policy_payouts WHERE payee = @uscc AND subject <> @uscc
            ORDER BY 2 DESC, 1, 3
            """, ("uscc", uscc));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var own = new List<MyPayout>();
        var through = new List<PaidThroughEmployer>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var amount = reader.GetInt64(3) / 100m;
            DateTimeOffset? paidAt = reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5));
            var subject = reader.GetString(2);
            if (subject == uscc)
            {
                own.Add(new MyPayout(reader.GetString(0), reader.GetString(1), amount, reader.GetString(4), paidAt));
            }
            else
            {
                through.Add(new PaidThroughEmployer(reader.GetString(0), "", reader.GetString(1), PolicyCli.Mask(subject), amount, reader.GetString(4), paidAt));
            }
        }
        return (own, through);
    }
}

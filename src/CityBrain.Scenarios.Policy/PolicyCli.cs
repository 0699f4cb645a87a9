using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Grants;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.Scenarios.Policy;

/// <summary>What `citybrain policy check` prints: one object per policy, and whether all are at 100 %.</summary>
public sealed record PolicyCheckReport(IReadOnlyList<object> Lines, bool Perfect);

/// <summary>The policy verbs' work, for the host's command line (docs/policy.md).</summary>
public static class PolicyCli
{
    /// <summary>
    /// Every shipped policy's eligible set against the city's truth/policy_eligible.csv: a developer's check of the
    /// matching on the generated files, ungated (no grants, no audit) because it pays no one and no consumer uses its result.
    /// </summary>
    public static async Task<PolicyCheckReport> CheckAsync(string cityDirectory, CancellationToken cancellationToken)
    {
        var results = await GroundTruthCheck.RunAsync(cityDirectory, PolicyLoader.Shipped(), cancellationToken);
        var lines = results.Select(r => (object)new
        {
            policy = r.Policy,
            truth = r.Truth,
            found = r.Found,
            blocked = r.Blocked,
            precision = Math.Round(r.Precision, 4),
            recall = Math.Round(r.Recall, 4),
            missed = r.Missed.Take(5).Select(Mask).ToList(),
            wrong = r.Wrong.Take(5).Select(Mask).ToList(),
        }).ToList();
        return new PolicyCheckReport(lines, results.All(r => r.Precision == 1 && r.Recall == 1));
    }

    /// <summary>One subject's explanation for one policy and period.</summary>
    public static async Task<object> ExplainAsync(string cityDirectory, string policyId, string period, string subject, CancellationToken cancellationToken)
    {
        var policy = Find(policyId);
        var judgedOn = policy.ReferenceDate(period);
        await using var connection = await ProfileBuilder.OpenCityAsync(cityDirectory, cancellationToken);
        await ProfileBuilder.BuildAsync(connection, judgedOn, cancellationToken);
        return await PolicyMatcher.ExplainAsync(connection, policy, subject, judgedOn, cancellationToken)
            ?? throw new NotFoundException($"no resident or enterprise {Mask(subject)} in the city's records");
    }

    /// <summary>The module's tables in the operational store, brought to the current schema.</summary>
    public static Task<int> MigrateAsync(IOperationalStore store, TimeProvider time, CancellationToken cancellationToken) =>
        MigrationRunner.ApplyAsync(store, [new PolicyMigrations()], time, cancellationToken);

    /// <summary>
    /// Matches one policy for one period and pays through the bank at <paramref name="bank"/>; then reconciles with its
    /// statement. <paramref name="services"/> are the hub node's (operational store, grants, the lake's governed reads): the
    /// run is refused unless the policy's grants release every field it reads, and it reads the lake, never the raw files.
    /// </summary>
    public static async Task<(PolicyRunSummary Run, ReconciliationReport Reconciliation)> RunAsync(IServiceProvider services, Uri bank,
        string policyId, string period, ILogger logger, CancellationToken cancellationToken)
    {
        var policy = Find(policyId);
        var store = services.GetRequiredService<IOperationalStore>();
        var time = services.GetRequiredService<TimeProvider>();
        var access = new PolicyAccess(services.GetRequiredService<IGrantLookup>(), services.GetRequiredService<IDatasetExtracts>(),
            services.GetRequiredService<PolicyRunFolders>(), time);
        using var http = new HttpClient { BaseAddress = bank, Timeout = TimeSpan.FromMinutes(1) };
        var provider = new HttpBankProvider(http, BankOptions.Default, time);
        var run = await new PayoutRun(store, provider, time, logger).RunAsync(policy, period, access, cancellationToken);
        return (run, await Reconciliation.RunAsync(store, provider, cancellationToken));
    }

    /// <summary>Coverage, budget burn and time to pay over every policy (<paramref name="policyId"/> null) or one, for the cockpit's indicators.</summary>
    public static Task<PolicyFigures> FiguresAsync(IOperationalStore store, string? policyId, CancellationToken cancellationToken) =>
        PolicyFigures.ReadAsync(store, policyId is null ? null : Find(policyId), cancellationToken);

    internal static PolicyDefinition Find(string policyId) =>
        PolicyLoader.Shipped().FirstOrDefault(p => p.Id == policyId)
        ?? throw new NotFoundException($"no policy '{policyId}'; the shipped ones are {string.Join(", ", PolicyLoader.Shipped().Select(p => p.Id))}");

    /// <summary>Resident IDs and credit codes are shown with their middle hidden (330106********1234).</summary>
    internal static string Mask(string subject) => subject.Length == 18 ? subject[..6] + new string('*', 8) + subject[14..] : subject;
}

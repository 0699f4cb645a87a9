using System.Globalization;
using System.Text.RegularExpressions;
using CityBrain.Cockpit.Tasks;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Messaging.Contracts;
using CityBrain.Kernel.Storage;
using Dapper;
using Microsoft.Extensions.Options;

namespace CityBrain.Cockpit.Evaluation;

/// <summary>
/// Scenario evaluation (上线、评价、退出): registration, usage (distinct users a day, by keyed hash), citizens' ratings
/// (one per citizen, scenario and day) and the lifecycle driven by the published rules.
/// </summary>
internal sealed partial class ScenarioService(
    IOperationalStore store,
    IRegistryReader registry,
    IAuditLog audit,
    HubKeyring keyring,
    LifecycleRules rules,
    TimeProvider time,
    IOptions<TaskOptions> options) : IScenarioUsage
{
    private const int PageDays = 30;

    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);

    public LifecycleRules Rules => rules;

    public async Task<ScenarioEvaluation> RegisterAsync(ScenarioRegistration registration, Caller caller, CancellationToken cancellationToken)
    {
        if (caller.Role is not (HubRoles.Leader or HubRoles.Admin))
        {
            throw new ForbiddenException($"only a leader or the data bureau registers scenarios; the caller is '{caller.Role}'");
        }
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (registration.Code is null || !CodePattern().IsMatch(registration.Code))
        {
            errors["code"] = ["a code of 2 to 64 lower-case letters, digits and '-' is required"];
        }
        if (string.IsNullOrWhiteSpace(registration.Name) || registration.Name.Length > 200)
        {
            errors["name"] = ["a name of 1 to 200 characters is required"];
        }
        if (string.IsNullOrWhiteSpace(registration.OwnerUnit))
        {
            errors["ownerUnit"] = ["the owning unit is required"];
        }
        if (registration.TargetPopulation is not > 0)
        {
            errors["targetPopulation"] = ["the population the scenario serves (the usage rate's denominator) is required, at least 1"];
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }
        if (await registry.FindUnitAsync(registration.OwnerUnit!, cancellationToken) is null)
        {
            throw new ValidationFailedException("ownerUnit", $"unit '{registration.OwnerUnit}' is not registered");
        }
        var now = time.GetUtcNow();
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            var inserted = await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO cockpit_scenarios (code, name, owner_unit, target_population, state, state_since, registered_at)
                VALUES (@Code, @Name, @OwnerUnit, @TargetPopulation, @state, @now, @now) ON CONFLICT (code) DO NOTHING
                """,
                new { registration.Code, Name = registration.Name!.Trim(), registration.OwnerUnit, registration.TargetPopulation, state = ScenarioState.Trial, now = now.ToUnixTimeMilliseconds() },
                cancellationToken: cancellationToken));
            if (inserted == 0)
            {
                throw new BusinessRuleViolationException("AScenarioCodeIsRegisteredOnce", $"scenario '{registration.Code}' is already registered");
            }
        }
        await audit.AppendAsync(new AuditEntry("cockpit.scenario-registered", caller.AuditName, "scenario:" + registration.Code, Detail: new Dictionary<string, string?>
        {
            ["owner"] = registration.OwnerUnit,
            ["state"] = ScenarioState.Trial,
        }), cancellationToken);
        return (await ListAsync(registration.Code, cancellationToken)).Single();
    }

    public async Task RecordUseAsync(string scenario, string userId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(userId) || userId.Length > 200)
        {
            throw new ValidationFailedException("userId", "the user's identifier is required (at most 200 characters); it is stored only as a keyed hash");
        }
        await RecordUseAsync(new ScenarioUsed(scenario, keyring.HashSubject(userId.Trim()), time.GetUtcNow()), cancellationToken);
    }

    /// <summary>
    /// Records a use already keyed (the bus's <see cref="ScenarioUsed"/>, or a use reported over HTTP once hashed): one active
    /// user per key, scenario and local day of <see cref="ScenarioUsed.At"/>, so a redelivered event counts once.
    /// </summary>
    public async Task RecordUseAsync(ScenarioUsed use, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await FindAsync(connection, use.Scenario, cancellationToken);
        // The same user several times a day is one active user: the primary key keeps the first.
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cockpit_scenario_usage (scenario, day, user_hash) VALUES (@scenario, @day, @hash) ON CONFLICT DO NOTHING",
            new { scenario = use.Scenario, day = Key(LocalDay(use.At)), hash = use.UserKey }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Registers one of the platform's own scenarios at start unless a scenario of that code exists (the city's own
    /// registration, or this one on an earlier start or another node). Answers whether it registered it now.
    /// </summary>
    public async Task<bool> RegisterIfAbsentAsync(ScenarioRegistration registration, Caller caller, CancellationToken cancellationToken)
    {
        if ((await ListAsync(registration.Code, cancellationToken)).Count > 0)
        {
            return false;
        }
        try
        {
            await RegisterAsync(registration, caller, cancellationToken);
            return true;
        }
        catch (BusinessRuleViolationException e) when (e.Rule == "AScenarioCodeIsRegisteredOnce")
        {
            return false; // another node registered it meanwhile
        }
    }

    /// <summary>The scenario's own system (or its unit, or the bureau) reports a use.</summary>
    public async Task RecordUseAsync(string scenario, string? userId, Caller caller, CancellationToken cancellationToken)
    {
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            var owner = (await FindAsync(connection, scenario, cancellationToken)).OwnerUnit;
            if (!caller.IsAdmin && !(caller.Role is HubRoles.System or HubRoles.UnitOperator && caller.Unit == owner))
            {
                throw new ForbiddenException($"usage of scenario '{scenario}' is reported by its owning unit '{owner}', its systems or the data bureau");
            }
        }
        await RecordUseAsync(scenario, userId ?? "", cancellationToken);
    }

    public async Task RateAsync(string scenario, int? score, Caller caller, CancellationToken cancellationToken)
    {
        if (caller.Role != HubRoles.Citizen || caller.ResidentId is null)
        {
            throw new ForbiddenException($"citizens rate scenarios; the caller is '{caller.Role}'");
        }
        if (score is not (>= 1 and <= 5))
        {
            throw new ValidationFailedException("score", "a rating is a whole number from 1 to 5");
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var found = await FindAsync(connection, scenario, cancellationToken);
        if (found.State == ScenarioState.Retired)
        {
            throw new BusinessRuleViolationException("ARetiredScenarioTakesNoRatings", $"scenario '{scenario}' is retired");
        }
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cockpit_scenario_ratings (scenario, day, citizen_hash, score, at) VALUES (@scenario, @day, @hash, @score, @at) ON CONFLICT DO NOTHING",
            new { scenario, day = Today(), hash = keyring.HashSubject(caller.ResidentId), score, at = time.GetUtcNow().ToUnixTimeMilliseconds() },
            cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            throw new BusinessRuleViolationException("OneRatingPerCitizenPerScenarioPerDay", $"you have already rated scenario '{scenario}' today");
        }
    }

    /// <summary>Every scenario (or one) with its figures and history: the evaluation page.</summary>
    public async Task<IReadOnlyList<ScenarioEvaluation>> ListAsync(string? code, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var scenarios = (await connection.QueryAsync<ScenarioRow>(new CommandDefinition(
            $"SELECT code, name, owner_unit, target_population, state, state_since FROM cockpit_scenarios {(code is null ? "" : "WHERE code = @code")} ORDER BY code",
            new { code }, cancellationToken: cancellationToken))).ToList();
        var today = LocalToday();
        var from = today.AddDays(-(PageDays - 1));
        var usage = (await connection.QueryAsync<(string Scenario, string Day, long Users)>(new CommandDefinition(
                "SELECT scenario, day, COUNT(*) FROM cockpit_scenario_usage WHERE day >= @from GROUP BY scenario, day",
                new { from = Key(from) }, cancellationToken: cancellationToken)))
            .ToDictionary(u => (u.Scenario, u.Day), u => (int)u.Users);
        var ratings = (await connection.QueryAsync<(string Scenario, string Day, long Count, long Sum)>(new CommandDefinition(
                "SELECT scenario, day, COUNT(*), SUM(score) FROM cockpit_scenario_ratings WHERE day >= @from GROUP BY scenario, day",
                new { from = Key(from) }, cancellationToken: cancellationToken)))
            .ToDictionary(r => (r.Scenario, r.Day), r => (Count: (int)r.Count, Sum: r.Sum));
        var transitions = (await connection.QueryAsync<(string Scenario, long At, string From, string To, string Reason)>(new CommandDefinition(
                "SELECT scenario, at, from_state, to_state, reason FROM cockpit_scenario_transitions ORDER BY at",
                cancellationToken: cancellationToken)))
            .ToLookup(t => t.Scenario, t => new ScenarioTransition(DateTimeOffset.FromUnixTimeMilliseconds(t.At), t.From, t.To, t.Reason));

        var result = new List<ScenarioEvaluation>();
        foreach (var s in scenarios)
        {
            var days = new List<ScenarioDay>();
            for (var day = from; day <= today; day = day.AddDays(1))
            {
                var users = usage.GetValueOrDefault((s.Code, Key(day)));
                var rated = ratings.GetValueOrDefault((s.Code, Key(day)));
                days.Add(new ScenarioDay(day, users, (double)users / s.TargetPopulation, rated.Count, rated.Count == 0 ? null : (double)rated.Sum / rated.Count));
            }
            var ratingCount = days.Sum(d => d.Ratings);
            double? satisfaction = ratingCount == 0 ? null : Math.Round(days.Sum(d => (d.Satisfaction ?? 0) * d.Ratings) / ratingCount, 2);
            result.Add(new ScenarioEvaluation(
                s.Code, s.Name, s.OwnerUnit, s.TargetPopulation, s.State, DateTimeOffset.FromUnixTimeMilliseconds(s.StateSince),
                days[^1].ActiveUsers, days[^1].UsageRate, satisfaction, ratingCount, days, transitions[s.Code].ToList()));
        }
        return result;
    }

    /// <summary>
    /// Applies the lifecycle rules to every scenario that is not retired. Looks only at days that have ended, so running it
    /// several times a day changes nothing more. Answers the transitions made.
    /// </summary>
    public async Task<IReadOnlyList<(string Scenario, ScenarioTransition Transition)>> EvaluateAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var made = new List<(string, ScenarioTransition)>();
        foreach (var scenario in await ListAsync(null, cancellationToken))
        {
            var completed = scenario.Days.Take(scenario.Days.Count - 1).ToList(); // today has not ended
            var next = Decide(scenario, completed, now);
            if (next is not { } change)
            {
                continue;
            }
            await using (var connection = await store.OpenConnectionAsync(cancellationToken))
            await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
            {
                var moved = await connection.ExecuteAsync(new CommandDefinition(
                    "UPDATE cockpit_scenarios SET state = @to, state_since = @at WHERE code = @code AND state = @from",
                    new { to = change.To, at = now.ToUnixTimeMilliseconds(), code = scenario.Code, from = scenario.State }, tx, cancellationToken: cancellationToken));
                if (moved == 0)
                {
                    continue; // moved by another node meanwhile
                }
                await connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO cockpit_scenario_transitions (scenario, at, from_state, to_state, reason) VALUES (@code, @at, @from, @to, @reason)",
                    new { code = scenario.Code, at = now.ToUnixTimeMilliseconds(), from = scenario.State, to = change.To, reason = change.Reason }, tx, cancellationToken: cancellationToken));
                await tx.CommitAsync(cancellationToken);
            }
            await audit.AppendAsync(new AuditEntry("cockpit.scenario-" + change.To, "cockpit:evaluation", "scenario:" + scenario.Code, Detail: new Dictionary<string, string?>
            {
                ["from"] = scenario.State,
                ["to"] = change.To,
                ["reason"] = change.Reason,
            }), cancellationToken);
            made.Add((scenario.Code, change));
        }
        return made;
    }

    private ScenarioTransition? Decide(ScenarioEvaluation scenario, List<ScenarioDay> completed, DateTimeOffset now)
    {
        ScenarioTransition To(string state, string reason) => new(now, scenario.State, state, reason);
        switch (scenario.State)
        {
            case ScenarioState.Trial when LastDays(completed, rules.TrialToOnline.Days, d => d.Satisfaction >= rules.TrialToOnline.MinSatisfaction && d.UsageRate >= rules.TrialToOnline.MinUsageRate):
                return To(ScenarioState.Online, $"trialToOnline: {rules.TrialToOnline.Days} days with satisfaction ≥ {Fmt(rules.TrialToOnline.MinSatisfaction)} and usage rate ≥ {Fmt(rules.TrialToOnline.MinUsageRate)}");
            case ScenarioState.Online when LastDays(completed, rules.OnlineToReview.Days, d => d.Satisfaction < rules.OnlineToReview.BelowSatisfaction):
                return To(ScenarioState.UnderReview, $"onlineToReview: {rules.OnlineToReview.Days} days with satisfaction < {Fmt(rules.OnlineToReview.BelowSatisfaction)}");
            case ScenarioState.UnderReview when LastDays(completed, rules.ReviewToOnline.Days, d => d.Satisfaction >= rules.ReviewToOnline.MinSatisfaction):
                return To(ScenarioState.Online, $"reviewToOnline: recovered, {rules.ReviewToOnline.Days} days with satisfaction ≥ {Fmt(rules.ReviewToOnline.MinSatisfaction)}");
            case ScenarioState.UnderReview when now - scenario.StateSince >= TimeSpan.FromDays(rules.ReviewToRetired.Days):
                return To(ScenarioState.Retired, $"reviewToRetired: {rules.ReviewToRetired.Days} days under review without recovering");
            default:
                return null;
        }
    }

    /// <summary>The last <paramref name="count"/> ended days, ending yesterday, each rated and each meeting the test.</summary>
    private static bool LastDays(List<ScenarioDay> completed, int count, Func<ScenarioDay, bool> test) =>
        completed.Count >= count && completed.TakeLast(count).All(d => d.Ratings > 0 && test(d));

    private static string Fmt(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static async Task<ScenarioRow> FindAsync(System.Data.Common.DbConnection connection, string code, CancellationToken cancellationToken) =>
        await connection.QueryFirstOrDefaultAsync<ScenarioRow>(new CommandDefinition(
            "SELECT code, name, owner_unit, target_population, state, state_since FROM cockpit_scenarios WHERE code = @code", new { code }, cancellationToken: cancellationToken))
        ?? throw new NotFoundException($"scenario '{code}' is not registered");

    private DateOnly LocalToday() => LocalDay(time.GetUtcNow());

    private DateOnly LocalDay(DateTimeOffset at) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(at, _zone).DateTime);

    private string Today() => Key(LocalToday());

    private static string Key(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,63}$")]
    private static partial Regex CodePattern();

    private sealed class ScenarioRow
    {
        public string Code { get; set; } = "";
        public string Name { get; set; } = "";
        public string OwnerUnit { get; set; } = "";
        public long TargetPopulation { get; set; }
        public string State { get; set; } = "";
        public long StateSince { get; set; }
    }
}

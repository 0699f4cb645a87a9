using System.Globalization;
using System.Text.Json;
using CityBrain.Scenarios.Policy.Rules;
using DuckDB.NET.Data;

namespace CityBrain.Scenarios.Policy.Matching;

/// <summary>One subject the rule holds for: eligible, or blocked (deceased, moved out of the city) with the reason; the values used, as they were.</summary>
internal sealed record Match(string Subject, bool Blocked, string? Reason, long AmountCents, string? Employer, string Snapshot);

/// <summary>One clause for one subject: the values it read, whether it held (null: unknown, a value is missing), in words.</summary>
internal sealed record ClauseOutcome(string Clause, string Words, bool? Held, IReadOnlyDictionary<string, object?> Values);

/// <summary>Why a subject gets a policy's money, or why not.</summary>
internal sealed record Explanation(string Policy, string PolicyName, string Subject, DateOnly JudgedOn, bool Eligible, bool Blocked, string Summary,
    IReadOnlyList<ClauseOutcome> Clauses, decimal? Amount, string? DataNotes);

/// <summary>
/// Matches a policy over the whole profile table with one SQL statement (<see cref="MatchSql"/>, standard SQL that runs on
/// DuckDB and PostgreSQL alike), never row by row; explains one subject clause by clause.
/// </summary>
internal static class PolicyMatcher
{
    /// <summary>The matching query: every subject for whom all clauses hold, with the fields read and the amount.</summary>
    public static string MatchSql(PolicyDefinition policy)
    {
        var columns = string.Join("", policy.Fields.Select(f => f.Name + ", "));
        var where = string.Join("\n  AND ", policy.Eligible.Select(c => c.Sql));
        return $"SELECT subject, {columns}{policy.AmountSql} AS amount{(policy.PayTo == "employer" ? ", employer AS pay_to" : "")}, dead, moved_out_date, flags\nFROM {ProfileSchema.Table(policy.Target)}\nWHERE {where}";
    }

    public static async Task<IReadOnlyList<Match>> MatchAsync(DuckDBConnection connection, PolicyDefinition policy, DateOnly judgedOn, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = MatchSql(policy);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var fields = policy.Fields;
        var matches = new List<Match>();
        var deadOrdinal = reader.GetOrdinal("dead");
        var movedOutOrdinal = reader.GetOrdinal("moved_out_date");
        var amountOrdinal = reader.GetOrdinal("amount");
        var flagsOrdinal = reader.GetOrdinal("flags");
        var payToOrdinal = policy.PayTo == "employer" ? reader.GetOrdinal("pay_to") : -1;
        while (await reader.ReadAsync(cancellationToken))
        {
            var subject = reader.GetString(0);
            var values = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var i = 0; i < fields.Count; i++)
            {
                values[fields[i].Name] = reader.IsDBNull(i + 1) ? null : reader.GetValue(i + 1);
            }
            var flags = reader.IsDBNull(flagsOrdinal) || reader.GetString(flagsOrdinal).Length == 0 ? null : reader.GetString(flagsOrdinal);
            var dead = !reader.IsDBNull(deadOrdinal) && reader.GetBoolean(deadOrdinal);
            var amount = reader.IsDBNull(amountOrdinal) ? 0m : Convert.ToDecimal(reader.GetValue(amountOrdinal), CultureInfo.InvariantCulture);
            var employer = payToOrdinal >= 0 && !reader.IsDBNull(payToOrdinal) ? reader.GetString(payToOrdinal) : null;
            DateOnly? movedOut = reader.IsDBNull(movedOutOrdinal) ? null : AsDay(reader.GetValue(movedOutOrdinal));
            var snapshot = JsonSerializer.Serialize(new { judgedOn = Day(judgedOn), values, movedOut = movedOut is { } day ? Day(day) : null, flags });
            var reason = dead ? "deceased: " + flags
                : movedOut is { } left ? "moved-out: " + MovedOutWords(left)
                : policy.PayTo == "employer" && employer is null ? "no employer on record to pay through" : null;
            matches.Add(new Match(subject, reason is not null, reason, (long)Math.Round(amount * 100, MidpointRounding.AwayFromZero), employer, snapshot));
        }
        return matches;
    }

    public static async Task<Explanation?> ExplainAsync(DuckDBConnection connection, PolicyDefinition policy, string subject, DateOnly judgedOn, CancellationToken cancellationToken)
    {
        var schema = ProfileSchema.For(policy.Target);
        await using var command = connection.CreateCommand();
        var clauseColumns = string.Join(", ", policy.Eligible.Select((c, i) => $"{c.Sql} AS c{i}"));
        command.CommandText = $"SELECT {string.Join(", ", schema.Select(f => f.Name))}, {clauseColumns}, {policy.AmountSql} AS amount, moved_out_date, flags FROM {ProfileSchema.Table(policy.Target)} WHERE subject = $subject";
        command.Parameters.Add(new DuckDBParameter("subject", subject));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var values = schema.ToDictionary(f => f.Name, f => reader.IsDBNull(reader.GetOrdinal(f.Name)) ? null : reader.GetValue(reader.GetOrdinal(f.Name)), StringComparer.Ordinal);
        var outcomes = new List<ClauseOutcome>();
        for (var i = 0; i < policy.Eligible.Count; i++)
        {
            var clause = policy.Eligible[i];
            var ordinal = reader.GetOrdinal($"c{i}");
            bool? held = reader.IsDBNull(ordinal) ? null : reader.GetBoolean(ordinal);
            var used = ExprWalk.Fields(clause.Expression).ToDictionary(f => f, f => values[f], StringComparer.Ordinal);
            outcomes.Add(new ClauseOutcome(clause.Text, clause.Words, held, used));
        }
        var dead = values.TryGetValue("dead", out var d) && d is true;
        var movedOutOrdinal = reader.GetOrdinal("moved_out_date");
        DateOnly? movedOut = reader.IsDBNull(movedOutOrdinal) ? null : AsDay(reader.GetValue(movedOutOrdinal));
        var blocked = dead || movedOut is not null;
        var allHeld = outcomes.All(o => o.Held == true);
        var flags = reader.IsDBNull(reader.GetOrdinal("flags")) ? null : reader.GetString(reader.GetOrdinal("flags"));
        var amountOrdinal = reader.GetOrdinal("amount");
        decimal? amount = allHeld && !reader.IsDBNull(amountOrdinal) ? Math.Round(Convert.ToDecimal(reader.GetValue(amountOrdinal), CultureInfo.InvariantCulture), 2) : null;
        var summary = dead ? "No payment: the records show a death; payments to the deceased are blocked."
            : movedOut is { } left ? $"No payment: {MovedOutWords(left)}; payments go to residents registered in the city. If you have moved back, the public security bureau (公安局) corrects the register."
            : allHeld ? $"You qualify: every condition holds, and the amount is {amount:0.##} yuan ({policy.AmountText})."
            : "You do not qualify: " + string.Join("; ", outcomes.Where(o => o.Held != true).Select(o => o.Held is null
                ? $"it is not known whether {o.Words} (a value is missing in the records)"
                : $"it is not so that {o.Words} ({string.Join(", ", o.Values.Select(v => $"{v.Key} = {Show(v.Value)}"))})")) + ".";
        return new Explanation(policy.Id, policy.Name, subject, judgedOn, allHeld && !blocked, allHeld && blocked, summary, outcomes, blocked ? null : amount, string.IsNullOrEmpty(flags) ? null : flags);
    }

    /// <summary>Why a leaver is not paid, in Chinese and English, as the citizen reads it.</summary>
    internal static string MovedOutWords(DateOnly day) => $"户籍已于 {Day(day)} 迁出杭州 (your household registration moved out of Hangzhou on {Day(day)})";

    private static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>A DATE as the provider hands it back (DateOnly, or DateTime at midnight).</summary>
    private static DateOnly AsDay(object value) => value is DateOnly day ? day : DateOnly.FromDateTime(Convert.ToDateTime(value, CultureInfo.InvariantCulture));

    private static string Show(object? value) => value switch
    {
        null => "missing",
        double v => v.ToString("0.##", CultureInfo.InvariantCulture),
        bool b => b ? "yes" : "no",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };
}

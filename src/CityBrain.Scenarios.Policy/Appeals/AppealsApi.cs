using System.Globalization;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Messaging.Contracts;
using CityBrain.Kernel.Storage;
using CityBrain.Scenarios.Policy.Matching;
using CityBrain.Scenarios.Policy.Payout;
using CityBrain.Scenarios.Policy.Rules;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Scenarios.Policy.Appeals;

/// <summary>An appeal by a resident or an enterprise: the period judged, what the appellant says, and optionally the one profile field believed wrong.</summary>
internal sealed record AppealRequest(string? Period, string? Statement, string? DisputedField);

/// <summary>
/// The appeal as answered at once: the explanation, and where the data are disputed, the units that must check their
/// records (each gets a task). Status: <c>eligible</c> (the rule already holds), <c>answered</c> (the explanation is the
/// answer), <c>data-disputed</c>.
/// </summary>
internal sealed record AppealView(string Id, string Policy, string Period, string Status, string? DisputedField, IReadOnlyList<string> Units, Explanation Explanation);

/// <summary>An appeal as the staff of a unit it went to read it: the subject in clear, to find the records.</summary>
internal sealed record AppealRecord(string Id, string Policy, string Period, string Subject, string Statement, string? DisputedField, string Status,
    IReadOnlyList<string> Units, DateTimeOffset FiledAt);

/// <summary>
/// Appeals (申诉): <c>POST /api/my/policies/{id}/appeals</c> for the citizen, <c>POST /api/enterprises/{uscc}/policies/{id}/appeals</c>
/// for an enterprise (EnterpriseApi), <c>GET /api/policy/appeals/{id}</c> for the units.
/// </summary>
internal static class AppealsApi
{
    private const int MaxStatement = 2000;

    public static void Map(IEndpointRouteBuilder citizen, RouteGroupBuilder staff)
    {
        citizen.MapPost("/api/my/policies/{id}/appeals", File).RequireAuthorization().WithTags("Citizen")
            .WithSummary("The calling citizen appeals a policy decision: answered at once with the explanation; a disputed field becomes a task for the data's owning unit");
        staff.MapGet("/appeals/{id}", Get).WithSummary("One appeal in full, for the data bureau and the units it went to");
    }

    private static async Task<Created<AppealView>> File(string id, AppealRequest body, HttpContext context, PolicyProfiles profiles, IOperationalStore store,
        IEventPublisher events, TimeProvider time, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        if (caller.Role != HubRoles.Citizen || caller.ResidentId is null)
        {
            throw new ForbiddenException("an appeal is filed by a citizen about his or her own entitlement; sign in as a citizen");
        }
        var appeal = await FileAsync(caller.ResidentId, Target.Residents, id, body, profiles, store, events, time, cancellationToken);
        return TypedResults.Created($"/api/my/policies/{appeal.Policy}/appeals/{appeal.Id}", appeal);
    }

    /// <summary>
    /// Files an appeal of a resident (subject: the resident ID) or an enterprise (subject: its credit code) and answers it at
    /// once: the endpoints and the portal pages all file through here.
    /// </summary>
    internal static async Task<AppealView> FileAsync(string subject, Target appellant, string id, AppealRequest body, PolicyProfiles profiles, IOperationalStore store,
        IEventPublisher events, TimeProvider time, CancellationToken cancellationToken)
    {
        var policy = PolicyCli.Find(id);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (policy.Target != appellant)
        {
            errors["id"] = [$"policy {id} is for {Words(policy.Target)}, not {Words(appellant)}"];
        }
        if (string.IsNullOrWhiteSpace(body.Period))
        {
            errors["period"] = ["name the period: yyyy-MM for monthly policies, yyyy for yearly ones, once for one-off ones"];
        }
        if (string.IsNullOrWhiteSpace(body.Statement) || body.Statement.Length > MaxStatement)
        {
            errors["statement"] = [$"say in 1 to {MaxStatement} characters why you believe you qualify"];
        }
        var field = body.DisputedField is null ? null : policy.Fields.FirstOrDefault(f => f.Name == body.DisputedField);
        if (body.DisputedField is not null && field is null)
        {
            errors["disputedField"] = [$"'{body.DisputedField}' is not read by policy {id}; it reads {string.Join(", ", policy.Fields.Select(f => f.Name))}"];
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }

        var judgedOn = policy.ReferenceDate(body.Period!);
        var explanation = await profiles.UseAsync(judgedOn, connection => PolicyMatcher.ExplainAsync(connection, policy, subject, judgedOn, cancellationToken), cancellationToken)
            ?? throw new NotFoundException(appellant == Target.Residents ? "the city's records hold no resident with your ID" : $"the city's records hold no enterprise with credit code {subject}");
        // Which units hold the disputed field: a dataset code starts with its unit's code (mzj.disability is civil affairs').
        var units = explanation.Eligible || field is null ? [] : field.Datasets.Select(d => d[..d.IndexOf('.', StringComparison.Ordinal)]).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var status = explanation.Eligible ? "eligible" : units.Count > 0 ? "data-disputed" : "answered";
        var now = time.GetUtcNow();
        var appealId = "apl_" + Guid.CreateVersion7(now).ToString("N");

        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            await Db.ExecuteAsync(connection, null, """
                INSERT INTO policy_appeals (appeal_id, policy, period, subject, statement, disputed_field, status, units, filed_at)
                VALUES (@id, @policy, @period, @subject, @statement, @field, @status, @units, @at)
                """, cancellationToken, ("id", appealId), ("policy", policy.Id), ("period", body.Period), ("subject", subject),
                ("statement", body.Statement!.Trim()), ("field", field?.Name), ("status", status), ("units", string.Join(",", units)), ("at", now.ToUnixTimeMilliseconds()));
        }
        var valueUsed = field is null ? null : explanation.Clauses.Select(c => c.Values.GetValueOrDefault(field.Name)).FirstOrDefault(v => v is not null);
        foreach (var unit in units)
        {
            await events.PublishAsync(new PolicyDataDisputed(appealId, policy.Id, policy.Name, unit, field!.Datasets.Where(d => d.StartsWith(unit + ".", StringComparison.Ordinal)).ToList(),
                field.Name, Convert.ToString(valueUsed, CultureInfo.InvariantCulture), PolicyCli.Mask(subject), $"/api/policy/appeals/{appealId}", now), cancellationToken);
        }
        return new AppealView(appealId, policy.Id, body.Period!, status, field?.Name, units, explanation);
    }

    private static string Words(Target target) => target == Target.Residents ? "residents" : "enterprises";

    private static async Task<Ok<AppealRecord>> Get(string id, HttpContext context, IOperationalStore store, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = Db.Command(connection, null,
            "SELECT policy, period, subject, statement, disputed_field, status, units, filed_at FROM policy_appeals WHERE appeal_id = @id", ("id", id));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            throw new NotFoundException($"no appeal '{id}'");
        }
        var units = reader.GetString(6).Split(',', StringSplitOptions.RemoveEmptyEntries);
        if (!caller.SeesEverything && !(caller.Role == HubRoles.UnitOperator && units.Contains(caller.Unit)))
        {
            throw new ForbiddenException("an appeal is read by the data bureau and by the units whose data it disputes");
        }
        return TypedResults.Ok(new AppealRecord(id, reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
            reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetString(5), units, DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(7))));
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;
using Microsoft.Extensions.Options;

namespace CityBrain.Hub.Sharing;

/// <summary>A consumer's request as filed through the API.</summary>
public sealed record FileRequest(string? Consumer, string? Resource, List<string>? Fields, string? Purpose, string? LegalBasis, int? Days, long? ExpectedVolume);

/// <summary>The owning unit's answer: fewer fields, some only masked, a shorter duration, a daily quota; or a rejection with a reason.</summary>
public sealed record Decision(bool Approve, List<string>? Fields, List<string>? MaskedFields, int? Days, long? DailyQuota, string? Reason);

/// <summary>The data bureau's binding answer to a dispute: grant (as a decision would) or uphold the rejection.</summary>
public sealed record DisputeDecision(bool Grant, List<string>? Fields, List<string>? MaskedFields, int? Days, long? DailyQuota, string? Reason);

/// <summary>The sharing workflow (按需共享): file, decide, escalate, dispute, revoke. Every step is audited.</summary>
internal sealed partial class SharingService(
    IOperationalStore store,
    RegistryStore registry,
    IAuditLog audit,
    TimeProvider time,
    IOptions<SharingOptions> options)
{
    private readonly SharingOptions _options = options.Value;
    private readonly TimeZoneInfo _zone = TimeZoneInfo.FindSystemTimeZoneById(options.Value.TimeZone);

    public async Task<SharingRequest> FileAsync(FileRequest body, Caller caller, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var consumerCode = body.Consumer ?? caller.System;
        if (string.IsNullOrWhiteSpace(consumerCode))
        {
            errors["consumer"] = ["the consumer system is required"];
        }
        if (string.IsNullOrWhiteSpace(body.Resource))
        {
            errors["resource"] = ["the resource is required: '<system>/<interface>' or 'dataset:<code>'"];
        }
        if (body.Fields is not { Count: > 0 })
        {
            errors["fields"] = ["name at least one field"];
        }
        if (body.Purpose is null || !PurposePattern().IsMatch(body.Purpose))
        {
            errors["purpose"] = ["a purpose code is required: 1-128 ASCII letters, digits, spaces and . _ : / - (it travels in the X-Purpose header)"];
        }
        if (string.IsNullOrWhiteSpace(body.LegalBasis) || body.LegalBasis.Length > 500)
        {
            errors["legalBasis"] = ["the legal basis is required (at most 500 characters)"];
        }
        if (body.Days is not { } days || days < 1 || days > _options.MaxDays)
        {
            errors["days"] = [$"the duration is 1 to {_options.MaxDays} days"];
        }
        if (body.ExpectedVolume is < 0)
        {
            errors["expectedVolume"] = ["the expected volume (calls a day) cannot be negative"];
        }
        if (errors.Count > 0)
        {
            throw new ValidationFailedException(errors);
        }

        var consumer = await registry.FindSystemAsync(consumerCode!, cancellationToken)
            ?? throw new ValidationFailedException("consumer", $"system '{consumerCode}' is not registered");
        var mayFile = caller.IsAdmin
            || (caller.Role == HubRoles.System && caller.System == consumer.Code)
            || (caller.Role == HubRoles.UnitOperator && caller.Unit == consumer.Unit);
        if (!mayFile)
        {
            throw new ForbiddenException($"only system '{consumer.Code}', its unit or the data bureau may file requests for it");
        }

        var (ownerUnit, sharing, declared) = await ResolveResourceAsync(body.Resource!, cancellationToken);
        var unknown = body.Fields!.Where(f => !declared.Contains(f)).Distinct(StringComparer.Ordinal).ToList();
        if (unknown.Count > 0)
        {
            throw new ValidationFailedException("fields", $"not fields of {body.Resource}: {string.Join(", ", unknown)}");
        }
        if (sharing == SharingType.NotShared)
        {
            throw new BusinessRuleViolationException("ResourceIsNotShared", $"{body.Resource} is registered as not shared (不予共享)");
        }

        var now = time.GetUtcNow();
        var request = new SharingRequest(
            "req_" + Guid.CreateVersion7(now).ToString("N"), consumer.Code, consumer.Unit, body.Resource!, ownerUnit,
            body.Fields!.Distinct(StringComparer.Ordinal).ToList(), body.Purpose!, body.LegalBasis!.Trim(), body.Days!.Value, body.ExpectedVolume,
            RequestStatus.Pending, caller.AuditName, now, WorkingDays.Deadline(now, _options.DecisionDeadlineWorkingDays, _zone, _options.Holidays),
            null, null, null, null, null);

        Grant? grant = null;
        if (sharing == SharingType.Unconditional)
        {
            // Unconditional resources (无条件共享) are granted at once, as requested.
            grant = NewGrant(request, request.Fields, [], request.Days, request.ExpectedVolume, now);
            request = request with { Status = RequestStatus.Granted, AnsweredAt = now, DecidedBy = "hub:unconditional", GrantId = grant.Id };
        }

        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        await using (var tx = await connection.BeginTransactionAsync(cancellationToken))
        {
            await SharingStore.InsertRequestAsync(tx, request, cancellationToken);
            if (grant is not null)
            {
                await SharingStore.InsertGrantAsync(tx, grant, request.ConsumerUnit, request.OwnerUnit, cancellationToken);
            }
            await tx.CommitAsync(cancellationToken);
        }
        await audit.AppendAsync(new AuditEntry("sharing.request-filed", caller.AuditName, request.Resource, request.Purpose, Detail: new Dictionary<string, string?>
        {
            ["request"] = request.Id,
            ["consumer"] = request.Consumer,
            ["fields"] = string.Join(",", request.Fields),
            ["days"] = request.Days.ToString(CultureInfo.InvariantCulture),
            ["legalBasis"] = request.LegalBasis,
        }), cancellationToken);
        if (grant is not null)
        {
            await AuditGrantAsync("sharing.request-decided", "hub:unconditional", request, grant, cancellationToken);
        }
        return request;
    }

    public async Task<(SharingRequest Request, Grant? Grant)> DecideAsync(string id, Decision decision, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var request = await SharingStore.FindRequestAsync(connection, tx, id, cancellationToken) ?? throw new NotFoundException($"request '{id}' does not exist");
        var isOwner = caller.Role == HubRoles.UnitOperator && caller.Unit == request.OwnerUnit;
        var bureauMay = caller.IsAdmin && request.Status == RequestStatus.Escalated;
        if (!isOwner && !bureauMay)
        {
            throw new ForbiddenException(caller.IsAdmin
                ? $"the data bureau decides a request only once it is escalated; '{id}' is {request.Status}"
                : $"only unit '{request.OwnerUnit}', which owns {request.Resource}, decides this request");
        }
        if (request.Status is not (RequestStatus.Pending or RequestStatus.Escalated))
        {
            throw new BusinessRuleViolationException("OnlyOpenRequestsCanBeDecided", $"request '{id}' is already {request.Status}");
        }

        var now = time.GetUtcNow();
        Grant? grant = null;
        SharingRequest decided;
        if (decision.Approve)
        {
            grant = GrantFor(request, decision.Fields, decision.MaskedFields, decision.Days, decision.DailyQuota, now);
            decided = request with { Status = RequestStatus.Granted, AnsweredAt = now, DecidedBy = caller.AuditName, Reason = decision.Reason, GrantId = grant.Id };
        }
        else
        {
            if (string.IsNullOrWhiteSpace(decision.Reason))
            {
                throw new ValidationFailedException("reason", "a rejection states its reason");
            }
            decided = request with { Status = RequestStatus.Rejected, AnsweredAt = now, DecidedBy = caller.AuditName, Reason = decision.Reason.Trim() };
        }
        if (!await SharingStore.UpdateRequestAsync(tx, decided, request.Status, cancellationToken))
        {
            throw new BusinessRuleViolationException("OnlyOpenRequestsCanBeDecided", $"request '{id}' was decided by someone else meanwhile");
        }
        if (grant is not null)
        {
            await SharingStore.InsertGrantAsync(tx, grant, request.ConsumerUnit, request.OwnerUnit, cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);

        if (grant is not null)
        {
            await AuditGrantAsync("sharing.request-decided", caller.AuditName, decided, grant, cancellationToken);
        }
        else
        {
            await audit.AppendAsync(new AuditEntry("sharing.request-decided", caller.AuditName, request.Resource, request.Purpose, Detail: new Dictionary<string, string?>
            {
                ["request"] = request.Id,
                ["outcome"] = "rejected",
                ["reason"] = decided.Reason,
            }), cancellationToken);
        }
        return (decided, grant);
    }

    public async Task<Grant> RevokeAsync(string grantId, string? reason, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var found = await SharingStore.FindGrantAsync(connection, tx, grantId, cancellationToken) ?? throw new NotFoundException($"grant '{grantId}' does not exist");
        var (grant, consumerUnit, ownerUnit) = found;
        var may = caller.IsAdmin
            || (caller.Role == HubRoles.UnitOperator && (caller.Unit == ownerUnit || caller.Unit == consumerUnit))
            || (caller.Role == HubRoles.System && caller.System == grant.Consumer);
        if (!may)
        {
            throw new ForbiddenException($"only the owning unit, the consumer or the data bureau may revoke grant '{grantId}'");
        }
        var now = time.GetUtcNow();
        if (!await SharingStore.RevokeGrantAsync(tx, grantId, now.ToUnixTimeMilliseconds(), caller.AuditName, reason, cancellationToken))
        {
            throw new BusinessRuleViolationException("GrantIsRevokedOnce", $"grant '{grantId}' is already revoked");
        }
        await tx.CommitAsync(cancellationToken);
        await audit.AppendAsync(new AuditEntry("sharing.grant-revoked", caller.AuditName, grant.Resource, grant.Purpose, Detail: new Dictionary<string, string?>
        {
            ["grant"] = grant.Id,
            ["consumer"] = grant.Consumer,
            ["reason"] = reason,
        }), cancellationToken);
        return grant with { RevokedAt = now };
    }

    public async Task<Dispute> OpenDisputeAsync(string requestId, string? reason, Caller caller, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 2000)
        {
            throw new ValidationFailedException("reason", "a dispute states its reason (at most 2000 characters)");
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var request = await SharingStore.FindRequestAsync(connection, tx, requestId, cancellationToken) ?? throw new NotFoundException($"request '{requestId}' does not exist");
        var isConsumer = (caller.Role == HubRoles.System && caller.System == request.Consumer)
            || (caller.Role == HubRoles.UnitOperator && caller.Unit == request.ConsumerUnit);
        if (!isConsumer)
        {
            throw new ForbiddenException($"only the consumer of request '{requestId}' may dispute its rejection");
        }
        if (request.Status != RequestStatus.Rejected)
        {
            throw new BusinessRuleViolationException("OnlyRejectedRequestsCanBeDisputed", $"request '{requestId}' is {request.Status}, not rejected");
        }
        if (await SharingStore.DisputeExistsForAsync(tx, requestId, cancellationToken))
        {
            throw new BusinessRuleViolationException("DisputeIsDecidedOnce", $"request '{requestId}' was disputed already; the data bureau's decision binds");
        }
        var now = time.GetUtcNow();
        var dispute = new Dispute("dsp_" + Guid.CreateVersion7(now).ToString("N"), requestId, caller.AuditName, reason.Trim(), "open", now, null, null, null);
        await SharingStore.InsertDisputeAsync(tx, dispute, cancellationToken);
        await SharingStore.UpdateRequestAsync(tx, request with { Status = RequestStatus.Disputed }, RequestStatus.Rejected, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        await audit.AppendAsync(new AuditEntry("sharing.dispute-filed", caller.AuditName, request.Resource, request.Purpose, Detail: new Dictionary<string, string?>
        {
            ["request"] = requestId,
            ["dispute"] = dispute.Id,
        }), cancellationToken);
        return dispute;
    }

    public async Task<(Dispute Dispute, Grant? Grant)> DecideDisputeAsync(string disputeId, DisputeDecision decision, Caller caller, CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin)
        {
            throw new ForbiddenException("disputes are decided by the data bureau");
        }
        if (string.IsNullOrWhiteSpace(decision.Reason))
        {
            throw new ValidationFailedException("reason", "the data bureau states the reason for its decision");
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var dispute = await SharingStore.FindDisputeAsync(connection, tx, disputeId, cancellationToken) ?? throw new NotFoundException($"dispute '{disputeId}' does not exist");
        if (dispute.Status != "open")
        {
            throw new BusinessRuleViolationException("DisputeIsDecidedOnce", $"dispute '{disputeId}' was decided already ({dispute.Status})");
        }
        var request = (await SharingStore.FindRequestAsync(connection, tx, dispute.RequestId, cancellationToken))!;
        var now = time.GetUtcNow();
        Grant? grant = null;
        SharingRequest outcome;
        if (decision.Grant)
        {
            grant = GrantFor(request, decision.Fields, decision.MaskedFields, decision.Days, decision.DailyQuota, now);
            outcome = request with { Status = RequestStatus.Granted, GrantId = grant.Id, DecidedBy = caller.AuditName, Reason = decision.Reason };
        }
        else
        {
            outcome = request with { Status = RequestStatus.Rejected };
        }
        var decided = dispute with
        {
            Status = decision.Grant ? "overturned" : "upheld",
            DecidedAt = now,
            DecidedBy = caller.AuditName,
            DecisionReason = decision.Reason.Trim(),
        };
        if (!await SharingStore.DecideDisputeAsync(tx, decided, cancellationToken))
        {
            throw new BusinessRuleViolationException("DisputeIsDecidedOnce", $"dispute '{disputeId}' was decided by someone else meanwhile");
        }
        await SharingStore.UpdateRequestAsync(tx, outcome, RequestStatus.Disputed, cancellationToken);
        if (grant is not null)
        {
            await SharingStore.InsertGrantAsync(tx, grant, request.ConsumerUnit, request.OwnerUnit, cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        await audit.AppendAsync(new AuditEntry("sharing.dispute-decided", caller.AuditName, request.Resource, request.Purpose, Detail: new Dictionary<string, string?>
        {
            ["request"] = request.Id,
            ["dispute"] = disputeId,
            ["outcome"] = decided.Status,
            ["grant"] = grant?.Id,
            ["fields"] = grant is null ? null : string.Join(",", grant.Fields),
            ["maskedFields"] = grant is null ? null : string.Join(",", grant.MaskedFields),
        }), cancellationToken);
        return (decided, grant);
    }

    /// <summary>Escalates every pending request whose deadline has passed to the data bureau. Answers how many.</summary>
    public async Task<int> EscalateLapsedAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        IReadOnlyList<SharingRequest> lapsed;
        await using (var connection = await store.OpenConnectionAsync(cancellationToken))
        {
            lapsed = await SharingStore.LapsedRequestsAsync(connection, now.ToUnixTimeMilliseconds(), cancellationToken);
        }
        var escalated = 0;
        foreach (var request in lapsed)
        {
            await using var connection = await store.OpenConnectionAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            if (!await SharingStore.UpdateRequestAsync(tx, request with { Status = RequestStatus.Escalated, EscalatedAt = now }, RequestStatus.Pending, cancellationToken))
            {
                continue; // decided or escalated by another node meanwhile
            }
            await tx.CommitAsync(cancellationToken);
            await audit.AppendAsync(new AuditEntry("sharing.request-escalated", "hub", request.Resource, request.Purpose, Detail: new Dictionary<string, string?>
            {
                ["request"] = request.Id,
                ["owner"] = request.OwnerUnit,
                ["deadline"] = request.DeadlineAt.ToString("O", CultureInfo.InvariantCulture),
            }), cancellationToken);
            escalated++;
        }
        return escalated;
    }

    public async Task<SharingRequest> GetRequestAsync(string id, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var request = await SharingStore.FindRequestAsync(connection, null, id, cancellationToken);
        if (request is null || !Sees(caller, request.OwnerUnit, request.ConsumerUnit, request.Consumer))
        {
            throw new NotFoundException($"request '{id}' does not exist");
        }
        return request;
    }

    public async Task<IReadOnlyList<SharingRequest>> ListRequestsAsync(string? status, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var (unit, system) = Scope(caller);
        return await SharingStore.ListRequestsAsync(connection, unit, system, status, 1000, cancellationToken);
    }

    public async Task<IReadOnlyList<Grant>> ListGrantsAsync(bool activeOnly, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var (unit, system) = Scope(caller);
        return await SharingStore.ListGrantsAsync(connection, unit, system, activeOnly, time.GetUtcNow().ToUnixTimeMilliseconds(), 1000, cancellationToken);
    }

    public async Task<IReadOnlyList<Dispute>> ListDisputesAsync(string? status, Caller caller, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var (unit, system) = Scope(caller);
        if (system is not null)
        {
            throw new ForbiddenException("systems file disputes; their units and the data bureau list them");
        }
        return await SharingStore.ListDisputesAsync(connection, unit, status, cancellationToken);
    }

    /// <summary>A unit sees what it owns or consumes, a system what it consumes, the bureau and auditors everything.</summary>
    private static (string? Unit, string? System) Scope(Caller caller) => caller.Role switch
    {
        HubRoles.Admin or HubRoles.Auditor => (null, null),
        HubRoles.UnitOperator => (caller.Unit, null),
        HubRoles.System => (null, caller.System),
        _ => throw new ForbiddenException("sharing requests are for staff and systems"),
    };

    private static bool Sees(Caller caller, string ownerUnit, string consumerUnit, string consumer) => caller.Role switch
    {
        HubRoles.Admin or HubRoles.Auditor => true,
        HubRoles.UnitOperator => caller.Unit == ownerUnit || caller.Unit == consumerUnit,
        HubRoles.System => caller.System == consumer,
        _ => false,
    };

    private async Task<(string OwnerUnit, SharingType Sharing, HashSet<string> Fields)> ResolveResourceAsync(string resource, CancellationToken cancellationToken)
    {
        if (resource.StartsWith("dataset:", StringComparison.Ordinal))
        {
            var dataset = await registry.FindDatasetAsync(resource["dataset:".Length..], cancellationToken)
                ?? throw new ValidationFailedException("resource", $"dataset '{resource}' is not in the catalog");
            return (dataset.Unit, dataset.Sharing, dataset.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal));
        }
        var parts = resource.Split('/');
        if (parts.Length != 2)
        {
            throw new ValidationFailedException("resource", "a resource is '<system>/<interface>' or 'dataset:<code>'");
        }
        var registered = await registry.FindInterfaceAsync(parts[0], parts[1], cancellationToken)
            ?? throw new ValidationFailedException("resource", $"interface '{resource}' is not registered");
        var system = (await registry.FindSystemAsync(parts[0], cancellationToken))!;
        return (system.Unit, registered.Sharing, registered.Fields.Select(f => f.Name).ToHashSet(StringComparer.Ordinal));
    }

    /// <summary>Applies the rules of a grant decision to a request: a grant never exceeds what was asked.</summary>
    private static Grant GrantFor(SharingRequest request, List<string>? fields, List<string>? masked, int? days, long? dailyQuota, DateTimeOffset now)
    {
        var clear = fields ?? (masked is null ? request.Fields.ToList() : []);
        var maskedFields = masked ?? [];
        var beyond = clear.Concat(maskedFields).Where(f => !request.Fields.Contains(f)).Distinct(StringComparer.Ordinal).ToList();
        if (beyond.Count > 0)
        {
            throw new BusinessRuleViolationException("GrantCannotExceedRequestedFields", $"not requested, so not grantable: {string.Join(", ", beyond)}");
        }
        var both = clear.Intersect(maskedFields, StringComparer.Ordinal).ToList();
        if (both.Count > 0)
        {
            throw new ValidationFailedException("maskedFields", $"a field is released either in clear or masked, not both: {string.Join(", ", both)}");
        }
        if (clear.Count + maskedFields.Count == 0)
        {
            throw new ValidationFailedException("fields", "an approval releases at least one field; reject instead");
        }
        var grantDays = days ?? request.Days;
        if (grantDays < 1)
        {
            throw new ValidationFailedException("days", "a grant lasts at least one day");
        }
        if (grantDays > request.Days)
        {
            throw new BusinessRuleViolationException("GrantCannotOutlastRequest", $"the request asked for {request.Days} days; a grant cannot last {grantDays}");
        }
        if (dailyQuota is < 1)
        {
            throw new ValidationFailedException("dailyQuota", "a daily quota is at least one call");
        }
        return NewGrant(request, clear.Distinct(StringComparer.Ordinal).ToList(), maskedFields.Distinct(StringComparer.Ordinal).ToList(), grantDays, dailyQuota ?? request.ExpectedVolume, now);
    }

    private static Grant NewGrant(SharingRequest request, IReadOnlyList<string> clear, IReadOnlyList<string> masked, int days, long? dailyQuota, DateTimeOffset now) =>
        new("grt_" + Guid.CreateVersion7(now).ToString("N"), request.Id, request.Consumer, request.Resource, clear, masked, request.Purpose,
            dailyQuota is > 0 ? dailyQuota : null, now, now.AddDays(days), null);

    private ValueTask<long> AuditGrantAsync(string action, string actor, SharingRequest request, Grant grant, CancellationToken cancellationToken) =>
        audit.AppendAsync(new AuditEntry(action, actor, request.Resource, request.Purpose, Detail: new Dictionary<string, string?>
        {
            ["request"] = request.Id,
            ["outcome"] = "granted",
            ["grant"] = grant.Id,
            ["consumer"] = grant.Consumer,
            ["fields"] = string.Join(",", grant.Fields),
            ["maskedFields"] = string.Join(",", grant.MaskedFields),
            ["expiresAt"] = grant.ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
        }), cancellationToken);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,127}$")]
    private static partial Regex PurposePattern();
}

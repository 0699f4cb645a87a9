using System.Data.Common;
using System.Text.Json;
using CityBrain.Kernel.Storage;
using Dapper;

namespace CityBrain.Hub.Sharing;

/// <summary>Rows of requests, grants and disputes. Writes run inside the caller's transaction.</summary>
internal sealed class SharingStore(IOperationalStore store) : IGrantLookup
{
    private const string RequestColumns =
        "id, consumer, consumer_unit, resource, owner_unit, fields, purpose, legal_basis, days, expected_volume, status, filed_by, filed_at, deadline_at, answered_at, decided_by, reason, grant_id, escalated_at";

    private const string GrantColumns =
        "id, request_id, consumer, resource, fields, masked_fields, purpose, daily_quota, granted_at, expires_at, revoked_at";

    private const string DisputeColumns = "id, request_id, filed_by, reason, status, filed_at, decided_at, decided_by, decision_reason";

    public IOperationalStore Store => store;

    public async Task<Grant?> FindActiveAsync(string consumer, string resource, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<GrantRow>(new CommandDefinition(
            $"SELECT {GrantColumns} FROM hub_grants WHERE consumer = @consumer AND resource = @resource AND revoked_at IS NULL AND expires_at > @now ORDER BY granted_at DESC LIMIT 1",
            new { consumer, resource, now = now.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        return row?.ToGrant();
    }

    public static async Task<SharingRequest?> FindRequestAsync(DbConnection connection, DbTransaction? tx, string id, CancellationToken cancellationToken) =>
        (await connection.QueryFirstOrDefaultAsync<RequestRow>(new CommandDefinition(
            $"SELECT {RequestColumns} FROM hub_requests WHERE id = @id", new { id }, tx, cancellationToken: cancellationToken)))?.ToRequest();

    public static async Task<IReadOnlyList<SharingRequest>> ListRequestsAsync(DbConnection connection, string? unit, string? system, string? status, int limit, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        if (unit is not null)
        {
            where.Add("(owner_unit = @unit OR consumer_unit = @unit)");
        }
        if (system is not null)
        {
            where.Add("consumer = @system");
        }
        if (status is not null)
        {
            where.Add("status = @status");
        }
        var sql = $"SELECT {RequestColumns} FROM hub_requests {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY filed_at DESC, id LIMIT @limit";
        return (await connection.QueryAsync<RequestRow>(new CommandDefinition(sql, new { unit, system, status, limit }, cancellationToken: cancellationToken)))
            .Select(r => r.ToRequest()).ToList();
    }

    public static Task InsertRequestAsync(DbTransaction tx, SharingRequest r, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO hub_requests ({RequestColumns}) VALUES (@Id, @Consumer, @ConsumerUnit, @Resource, @OwnerUnit, @Fields, @Purpose, @LegalBasis, @Days, @ExpectedVolume, @Status, @FiledBy, @FiledAt, @DeadlineAt, @AnsweredAt, @DecidedBy, @Reason, @GrantId, @EscalatedAt)",
            RequestRow.From(r), tx, cancellationToken: cancellationToken));

    /// <summary>Moves a request on, but only from the status the caller read: a concurrent decision loses cleanly.</summary>
    public static async Task<bool> UpdateRequestAsync(DbTransaction tx, SharingRequest r, string expectedStatus, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            UPDATE hub_requests SET status = @Status, answered_at = @AnsweredAt, decided_by = @DecidedBy, reason = @Reason,
                grant_id = @GrantId, escalated_at = @EscalatedAt
            WHERE id = @Id AND status = @expectedStatus
            """,
            new
            {
                r.Id, r.Status, AnsweredAt = r.AnsweredAt?.ToUnixTimeMilliseconds(), r.DecidedBy, r.Reason, r.GrantId,
                EscalatedAt = r.EscalatedAt?.ToUnixTimeMilliseconds(), expectedStatus,
            }, tx, cancellationToken: cancellationToken)) == 1;

    public static Task InsertGrantAsync(DbTransaction tx, Grant g, string consumerUnit, string ownerUnit, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO hub_grants (id, request_id, consumer, consumer_unit, resource, owner_unit, fields, masked_fields, purpose, daily_quota, granted_at, expires_at)
            VALUES (@Id, @RequestId, @Consumer, @consumerUnit, @Resource, @ownerUnit, @Fields, @MaskedFields, @Purpose, @DailyQuota, @GrantedAt, @ExpiresAt)
            """,
            new
            {
                g.Id, g.RequestId, g.Consumer, consumerUnit, g.Resource, ownerUnit,
                Fields = JsonSerializer.Serialize(g.Fields), MaskedFields = JsonSerializer.Serialize(g.MaskedFields),
                g.Purpose, g.DailyQuota, GrantedAt = g.GrantedAt.ToUnixTimeMilliseconds(), ExpiresAt = g.ExpiresAt.ToUnixTimeMilliseconds(),
            }, tx, cancellationToken: cancellationToken));

    public static async Task<(Grant Grant, string ConsumerUnit, string OwnerUnit)?> FindGrantAsync(DbConnection connection, DbTransaction? tx, string id, CancellationToken cancellationToken)
    {
        var row = await connection.QueryFirstOrDefaultAsync<GrantRow>(new CommandDefinition(
            $"SELECT {GrantColumns}, consumer_unit, owner_unit FROM hub_grants WHERE id = @id", new { id }, tx, cancellationToken: cancellationToken));
        return row is null ? null : (row.ToGrant(), row.ConsumerUnit, row.OwnerUnit);
    }

    public static async Task<IReadOnlyList<Grant>> ListGrantsAsync(DbConnection connection, string? unit, string? system, bool activeOnly, long now, int limit, CancellationToken cancellationToken)
    {
        var where = new List<string>();
        if (unit is not null)
        {
            where.Add("(owner_unit = @unit OR consumer_unit = @unit)");
        }
        if (system is not null)
        {
            where.Add("consumer = @system");
        }
        if (activeOnly)
        {
            where.Add("revoked_at IS NULL AND expires_at > @now");
        }
        var sql = $"SELECT {GrantColumns} FROM hub_grants {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")} ORDER BY granted_at DESC, id LIMIT @limit";
        return (await connection.QueryAsync<GrantRow>(new CommandDefinition(sql, new { unit, system, now, limit }, cancellationToken: cancellationToken)))
            .Select(r => r.ToGrant()).ToList();
    }

    public static async Task<bool> RevokeGrantAsync(DbTransaction tx, string id, long now, string by, string? reason, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE hub_grants SET revoked_at = @now, revoked_by = @by, revoke_reason = @reason WHERE id = @id AND revoked_at IS NULL",
            new { id, now, by, reason }, tx, cancellationToken: cancellationToken)) == 1;

    public static async Task<Dispute?> FindDisputeAsync(DbConnection connection, DbTransaction? tx, string id, CancellationToken cancellationToken) =>
        (await connection.QueryFirstOrDefaultAsync<DisputeRow>(new CommandDefinition(
            $"SELECT {DisputeColumns} FROM hub_disputes WHERE id = @id", new { id }, tx, cancellationToken: cancellationToken)))?.ToDispute();

    public static async Task<bool> DisputeExistsForAsync(DbTransaction tx, string requestId, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM hub_disputes WHERE request_id = @requestId", new { requestId }, tx, cancellationToken: cancellationToken)) > 0;

    public static async Task<IReadOnlyList<Dispute>> ListDisputesAsync(DbConnection connection, string? unit, string? status, CancellationToken cancellationToken)
    {
        var sql = $"SELECT d.{DisputeColumns.Replace(", ", ", d.", StringComparison.Ordinal)} FROM hub_disputes d JOIN hub_requests r ON r.id = d.request_id WHERE 1 = 1"
            + (unit is null ? "" : " AND (r.owner_unit = @unit OR r.consumer_unit = @unit)")
            + (status is null ? "" : " AND d.status = @status")
            + " ORDER BY d.filed_at DESC";
        return (await connection.QueryAsync<DisputeRow>(new CommandDefinition(sql, new { unit, status }, cancellationToken: cancellationToken)))
            .Select(d => d.ToDispute()).ToList();
    }

    public static Task InsertDisputeAsync(DbTransaction tx, Dispute d, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            $"INSERT INTO hub_disputes ({DisputeColumns}) VALUES (@Id, @RequestId, @FiledBy, @Reason, @Status, @FiledAt, NULL, NULL, NULL)",
            new { d.Id, d.RequestId, d.FiledBy, d.Reason, d.Status, FiledAt = d.FiledAt.ToUnixTimeMilliseconds() }, tx, cancellationToken: cancellationToken));

    public static async Task<bool> DecideDisputeAsync(DbTransaction tx, Dispute d, CancellationToken cancellationToken) =>
        await tx.Connection!.ExecuteAsync(new CommandDefinition(
            "UPDATE hub_disputes SET status = @Status, decided_at = @DecidedAt, decided_by = @DecidedBy, decision_reason = @DecisionReason WHERE id = @Id AND status = 'open'",
            new { d.Id, d.Status, DecidedAt = d.DecidedAt?.ToUnixTimeMilliseconds(), d.DecidedBy, d.DecisionReason }, tx, cancellationToken: cancellationToken)) == 1;

    public static async Task<IReadOnlyList<SharingRequest>> LapsedRequestsAsync(DbConnection connection, long now, CancellationToken cancellationToken) =>
        (await connection.QueryAsync<RequestRow>(new CommandDefinition(
            $"SELECT {RequestColumns} FROM hub_requests WHERE status = 'pending' AND deadline_at < @now ORDER BY deadline_at LIMIT 1000",
            new { now }, cancellationToken: cancellationToken))).Select(r => r.ToRequest()).ToList();

    private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private sealed class RequestRow
    {
        public string Id { get; set; } = "";
        public string Consumer { get; set; } = "";
        public string ConsumerUnit { get; set; } = "";
        public string Resource { get; set; } = "";
        public string OwnerUnit { get; set; } = "";
        public string Fields { get; set; } = "[]";
        public string Purpose { get; set; } = "";
        public string LegalBasis { get; set; } = "";
        public long Days { get; set; }
        public long? ExpectedVolume { get; set; }
        public string Status { get; set; } = "";
        public string FiledBy { get; set; } = "";
        public long FiledAt { get; set; }
        public long DeadlineAt { get; set; }
        public long? AnsweredAt { get; set; }
        public string? DecidedBy { get; set; }
        public string? Reason { get; set; }
        public string? GrantId { get; set; }
        public long? EscalatedAt { get; set; }

        public SharingRequest ToRequest() => new(Id, Consumer, ConsumerUnit, Resource, OwnerUnit,
            JsonSerializer.Deserialize<List<string>>(Fields)!, Purpose, LegalBasis, (int)Days, ExpectedVolume, Status, FiledBy,
            DateTimeOffset.FromUnixTimeMilliseconds(FiledAt), DateTimeOffset.FromUnixTimeMilliseconds(DeadlineAt), Time(AnsweredAt),
            DecidedBy, Reason, GrantId, Time(EscalatedAt));

        public static object From(SharingRequest r) => new
        {
            r.Id, r.Consumer, r.ConsumerUnit, r.Resource, r.OwnerUnit, Fields = JsonSerializer.Serialize(r.Fields), r.Purpose, r.LegalBasis,
            r.Days, r.ExpectedVolume, r.Status, r.FiledBy, FiledAt = r.FiledAt.ToUnixTimeMilliseconds(), DeadlineAt = r.DeadlineAt.ToUnixTimeMilliseconds(),
            AnsweredAt = r.AnsweredAt?.ToUnixTimeMilliseconds(), r.DecidedBy, r.Reason, r.GrantId, EscalatedAt = r.EscalatedAt?.ToUnixTimeMilliseconds(),
        };
    }

    private sealed class GrantRow
    {
        public string Id { get; set; } = "";
        public string RequestId { get; set; } = "";
        public string Consumer { get; set; } = "";
        public string Resource { get; set; } = "";
        public string Fields { get; set; } = "[]";
        public string MaskedFields { get; set; } = "[]";
        public string Purpose { get; set; } = "";
        public long? DailyQuota { get; set; }
        public long GrantedAt { get; set; }
        public long ExpiresAt { get; set; }
        public long? RevokedAt { get; set; }
        public string ConsumerUnit { get; set; } = "";
        public string OwnerUnit { get; set; } = "";

        public Grant ToGrant() => new(Id, RequestId, Consumer, Resource,
            JsonSerializer.Deserialize<List<string>>(Fields)!, JsonSerializer.Deserialize<List<string>>(MaskedFields)!, Purpose, DailyQuota,
            DateTimeOffset.FromUnixTimeMilliseconds(GrantedAt), DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt), Time(RevokedAt));
    }

    private sealed class DisputeRow
    {
        public string Id { get; set; } = "";
        public string RequestId { get; set; } = "";
        public string FiledBy { get; set; } = "";
        public string Reason { get; set; } = "";
        public string Status { get; set; } = "";
        public long FiledAt { get; set; }
        public long? DecidedAt { get; set; }
        public string? DecidedBy { get; set; }
        public string? DecisionReason { get; set; }

        public Dispute ToDispute() => new(Id, RequestId, FiledBy, Reason, Status, DateTimeOffset.FromUnixTimeMilliseconds(FiledAt),
            Time(DecidedAt), DecidedBy, DecisionReason);
    }
}

namespace CityBrain.Hub.Sharing;

/// <summary>Where a sharing request stands.</summary>
public static class RequestStatus
{
    /// <summary>Waiting for the owning unit, within the deadline.</summary>
    public const string Pending = "pending";

    /// <summary>The deadline lapsed unanswered: the data bureau now answers it (the owner still may).</summary>
    public const string Escalated = "escalated";

    public const string Granted = "granted";
    public const string Rejected = "rejected";

    /// <summary>Rejected, and the consumer asked the data bureau to decide (数据纠纷).</summary>
    public const string Disputed = "disputed";
}

/// <summary>A consumer's request for a resource (按需申请).</summary>
public sealed record SharingRequest(
    string Id,
    string Consumer,
    string ConsumerUnit,
    string Resource,
    string OwnerUnit,
    IReadOnlyList<string> Fields,
    string Purpose,
    string LegalBasis,
    int Days,
    long? ExpectedVolume,
    string Status,
    string FiledBy,
    DateTimeOffset FiledAt,
    DateTimeOffset DeadlineAt,
    DateTimeOffset? AnsweredAt,
    string? DecidedBy,
    string? Reason,
    string? GrantId,
    DateTimeOffset? EscalatedAt);

/// <summary>A consumer's appeal against a rejection, decided by the data bureau; the decision binds.</summary>
public sealed record Dispute(
    string Id,
    string RequestId,
    string FiledBy,
    string Reason,
    string Status,
    DateTimeOffset FiledAt,
    DateTimeOffset? DecidedAt,
    string? DecidedBy,
    string? DecisionReason);

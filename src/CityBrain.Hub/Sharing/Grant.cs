namespace CityBrain.Hub.Sharing;

/// <summary>
/// Permission for a consumer system to use a resource: the fields released in clear, the fields released
/// only masked, the purpose it was granted for, a daily call quota, and its validity.
/// A field in neither list never reaches the consumer.
/// </summary>
public sealed record Grant(
    string Id,
    string RequestId,
    string Consumer,
    string Resource,
    IReadOnlyList<string> Fields,
    IReadOnlyList<string> MaskedFields,
    string Purpose,
    long? DailyQuota,
    DateTimeOffset GrantedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? RevokedAt)
{
    public bool IsActiveAt(DateTimeOffset now) => RevokedAt is null && now < ExpiresAt;
}

/// <summary>Looks grants up on every call: never cached, so a revocation takes effect at once on every node.</summary>
public interface IGrantLookup
{
    Task<Grant?> FindActiveAsync(string consumer, string resource, DateTimeOffset now, CancellationToken cancellationToken);
}

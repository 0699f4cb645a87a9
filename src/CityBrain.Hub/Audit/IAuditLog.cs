namespace CityBrain.Hub.Audit;

/// <summary>
/// One fact for the audit chain. <see cref="SubjectIds"/> are the resident IDs (or credit codes) whose data was
/// touched, in clear: the log stores only their keyed hashes. <see cref="Detail"/> must carry no personal data.
/// </summary>
public sealed record AuditEntry(
    string Action,
    string Actor,
    string? Resource = null,
    string? Purpose = null,
    IReadOnlyList<string>? SubjectIds = null,
    IReadOnlyDictionary<string, string?>? Detail = null);

/// <summary>The tamper-evident log. Append returns once the record is durably committed; its sequence number.</summary>
public interface IAuditLog
{
    ValueTask<long> AppendAsync(AuditEntry entry, CancellationToken cancellationToken);
}

namespace CityBrain.Hub.Audit;

/// <summary>
/// One use of a resident's data that a module keeps in its own records instead of the audit chain: a decision about the
/// person taken from data read in bulk (a policy run reads the whole city once, audited once per dataset; the decisions
/// it takes name the people). <see cref="Fields"/> are what the decision was taken on; <see cref="Status"/> what it was.
/// </summary>
public sealed record RecordedDataUse(DateTimeOffset At, string Accessor, string Action, string Resource, string Purpose, IReadOnlyList<string> Fields, string Status);

/// <summary>
/// A module's records of decisions about residents, for the citizen's data tracker (GET /api/my/data-access), which lists
/// them beside the audit chain's accesses. Registered by the module that owns the records; read by the hub only through this.
/// </summary>
public interface IDataUseRecords
{
    Task<IReadOnlyList<RecordedDataUse>> ForResidentAsync(string residentId, CancellationToken cancellationToken);
}

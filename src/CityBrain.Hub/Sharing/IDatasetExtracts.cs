namespace CityBrain.Hub.Sharing;

/// <summary>
/// A set-based read of an ingested dataset by a consumer system: which fields, for which purpose, into which folder.
/// <see cref="ClearFields"/> are those the consumer's use needs in clear (keys it joins on, values its rules compare);
/// a grant that releases one of them only masked refuses the read instead of handing over masked values.
/// <see cref="Context"/> goes into the read's audit record (for a policy run: the policy and the period); no personal data.
/// </summary>
public sealed record ExtractRequest(
    string Consumer,
    string Dataset,
    IReadOnlyList<string> Fields,
    IReadOnlyList<string> ClearFields,
    string Purpose,
    string Folder,
    IReadOnlyDictionary<string, string?>? Context = null);

/// <summary>What was read: the Parquet file (the granted fields only, masked as granted), the lake version, the row count and the grant.</summary>
public sealed record DatasetExtract(string Dataset, string File, long Version, long Rows, string GrantId, IReadOnlyList<string> MaskedFields);

/// <summary>
/// The governed query interface for bulk work: a whole ingested dataset read under the consumer's grant, field by field
/// (a field outside the grant is refused, a field released masked arrives masked), as one audit record with the grant,
/// fields, row count and purpose. The lake implements it; a scenario that matches rules over the whole city reads through
/// it instead of row by row.
/// </summary>
public interface IDatasetExtracts
{
    Task<DatasetExtract> ExtractAsync(ExtractRequest request, CancellationToken cancellationToken);
}

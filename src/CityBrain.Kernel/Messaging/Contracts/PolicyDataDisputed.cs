namespace CityBrain.Kernel.Messaging.Contracts;

/// <summary>
/// A resident or enterprise appealed a policy decision and disputes the data it was judged on: one field, held by the
/// datasets of <see cref="Unit"/>, the unit that must check its records. <see cref="AppealId"/> names the appeal across
/// redeliveries; <see cref="SubjectMasked"/> keeps the resident ID or credit code out of the event and the task in clear
/// (the unit reads the appeal in full at <see cref="AppealPath"/>, staff only).
/// </summary>
public sealed record PolicyDataDisputed(
    string AppealId,
    string Policy,
    string PolicyName,
    string Unit,
    IReadOnlyList<string> Datasets,
    string Field,
    string? ValueUsed,
    string SubjectMasked,
    string AppealPath,
    DateTimeOffset FiledAt) : IIntegrationEvent
{
    public static string Name => "policy.data-disputed";
}

namespace CityBrain.Kernel.Messaging.Contracts;

/// <summary>
/// A person used a scenario (a staff member ran a traffic what-if, a citizen asked why a policy pays or not): the cockpit
/// counts distinct users a day per scenario. <see cref="UserKey"/> is the hub's keyed hash of the user (HubKeyring.UserKey),
/// the same key the cockpit stores, so no resident ID or name travels or is kept in clear. <see cref="At"/> decides the day.
/// </summary>
public sealed record ScenarioUsed(string Scenario, string UserKey, DateTimeOffset At) : IIntegrationEvent
{
    public static string Name => "scenario.used";
}

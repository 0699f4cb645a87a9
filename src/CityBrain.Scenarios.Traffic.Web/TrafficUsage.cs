using System.Security.Claims;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Messaging.Contracts;

namespace CityBrain.Scenarios.Traffic.Web;

/// <summary>
/// Reports a person's use of the traffic scenario (a live run started, a what-if or a controller comparison run, from a page
/// or the API) to the cockpit's evaluation as <see cref="ScenarioUsed"/>, the user keyed by the hub's hash.
/// </summary>
internal sealed class TrafficUsage(IEventPublisher events, HubKeyring keyring, TimeProvider time)
{
    public Task ReportAsync(ClaimsPrincipal user, CancellationToken cancellationToken) =>
        events.PublishAsync(new ScenarioUsed(TrafficModule.ScenarioCode, keyring.UserKey(Caller.From(user)), time.GetUtcNow()), cancellationToken);
}

using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Messaging.Contracts;
using Microsoft.Extensions.Logging;

namespace CityBrain.Cockpit.Evaluation;

/// <summary>
/// Counts a module's <see cref="ScenarioUsed"/> as the usage route does (<see cref="ScenarioService.RecordUseAsync(ScenarioUsed, CancellationToken)"/>).
/// Idempotent: a redelivered event is the same user on the same day, counted once.
/// </summary>
internal sealed partial class ScenarioUseSubscriber(ScenarioService scenarios, ILogger<ScenarioUseSubscriber> logger) : IEventHandler<ScenarioUsed>
{
    public async Task HandleAsync(ScenarioUsed use, CancellationToken cancellationToken)
    {
        try
        {
            await scenarios.RecordUseAsync(use, cancellationToken);
        }
        catch (NotFoundException)
        {
            // Retrying would not help: no scenario of that code is registered on this platform.
            LogUnregistered(use.Scenario);
        }
    }

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "A use of scenario {Scenario} was not counted: the scenario is not registered")]
    private partial void LogUnregistered(string scenario);
}

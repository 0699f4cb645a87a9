using CityBrain.Cockpit;
using CityBrain.Cockpit.Evaluation;
using CityBrain.Host.Demo;
using CityBrain.Hub.Registry;
using CityBrain.Scenarios.Policy;
using CityBrain.Scenarios.Traffic.Web;
using CityBrain.SyntheticCity.Generation;

namespace CityBrain.Host;

/// <summary>
/// The scenarios this platform runs, registered for evaluation at start if absent, so that the cockpit's /scenarios page
/// counts their use (each publishes ScenarioUsed) from the first day. Each is owned by its unit if the city has registered
/// it by then; otherwise (a fresh hub knows only the data bureau) by the data bureau.
/// </summary>
internal static class PlatformScenarios
{
    /// <summary>The usage rate's denominator for traffic: the staff who plan signal control and restrictions.</summary>
    private const long TrafficStaff = 200;

    public static async Task EnsureAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        // The policies serve the city's residents: the demo city's size when serving one, else the demo's default.
        var residents = services.GetService<DemoCitySettings>() is { Enabled: true } demo ? demo.Residents : CityGenerationOptions.DefaultResidents;
        (string Code, string Name, string Owner, long Population)[] scenarios =
        [
            (TrafficModule.ScenarioCode, "交通畅快出行 Smooth traffic", "jtj", TrafficStaff),
            (PolicyModule.ScenarioCode, "民生直达 Policy direct-reach", "mzj", residents),
        ];
        var registry = services.GetRequiredService<IRegistryReader>();
        foreach (var (code, name, owner, population) in scenarios)
        {
            var unit = await registry.FindUnitAsync(owner, cancellationToken) is null ? DemoSeed.DataBureauCode : owner;
            await services.EnsureScenarioAsync(new ScenarioRegistration(code, name, unit, population), cancellationToken);
        }
    }
}

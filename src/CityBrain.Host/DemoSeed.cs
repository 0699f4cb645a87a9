using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;

namespace CityBrain.Host;

/// <summary>
/// The one unit every city has from the start: the data bureau (数据资源管理局) that runs the hub.
/// Departments, their systems and interfaces are registered by the city (a YAML file or the API).
/// </summary>
internal static class DemoSeed
{
    public const string DataBureauCode = "dsj";

    public static async Task EnsureAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        if (await services.GetRequiredService<IRegistryReader>().FindUnitAsync(DataBureauCode, cancellationToken) is not null)
        {
            return;
        }
        await services.GetRequiredService<IRegistryAdmin>().ApplyAsync(
            new RegistryManifest { Units = [new UnitSpec { Code = DataBureauCode, Name = "杭州市数据资源管理局", DivisionCode = "330100" }] },
            new Caller("citybrain", HubRoles.Admin, null, null, null), cancellationToken);
    }
}

using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Identifiers;

namespace CityBrain.Host.Cli;

/// <summary>Local development only: a token for anyone, signed with the hub's key from the store.</summary>
internal static class TokenCommand
{
    public static async Task<int> RunAsync(HostSettings settings, string who, int hours, CancellationToken cancellationToken)
    {
        await using var app = CityBrainHost.Create(settings);
        await CityBrainHost.PrepareAsync(app, cancellationToken);
        var registry = app.Services.GetRequiredService<IRegistryReader>();
        var (kind, value) = who.Split(':', 2) is [var k, var v] ? (k, v) : (who, "");
        Caller? caller = kind switch
        {
            HubRoles.Admin => new Caller("admin", HubRoles.Admin, DemoSeed.DataBureauCode, null, null),
            HubRoles.Auditor => new Caller("auditor", HubRoles.Auditor, null, null, null),
            HubRoles.Leader => new Caller("leader", HubRoles.Leader, null, null, null),
            "unit" when await registry.FindUnitAsync(value, cancellationToken) is { } unit => new Caller($"operator@{unit.Code}", HubRoles.UnitOperator, unit.Code, null, null),
            "system" when await registry.FindSystemAsync(value, cancellationToken) is { } system => new Caller($"system:{system.Code}", HubRoles.System, system.Unit, system.Code, null),
            "citizen" when ResidentId.TryParse(value, out var id, out _) => new Caller("citizen", HubRoles.Citizen, null, null, id.Value),
            HubRoles.Enterprise when UnifiedSocialCreditCode.TryParse(value, out var code, out _) => new Caller($"enterprise:{code.Value}", HubRoles.Enterprise, null, null, null, code.Value),
            _ => null,
        };
        if (caller is null)
        {
            await Console.Error.WriteLineAsync($"citybrain token: '{who}' is not admin, auditor, leader, unit:<registered unit>, system:<registered system>, citizen:<valid resident ID> or enterprise:<valid credit code>");
            return 2;
        }
        if (hours is < 1 or > 24 * 30)
        {
            await Console.Error.WriteLineAsync("citybrain token: --hours is 1 to 720");
            return 2;
        }
        Console.WriteLine(app.Services.GetRequiredService<TokenService>().Issue(caller, TimeSpan.FromHours(hours)));
        return 0;
    }
}

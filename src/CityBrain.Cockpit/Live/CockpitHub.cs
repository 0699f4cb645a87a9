using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.SignalR;

namespace CityBrain.Cockpit.Live;

/// <summary>
/// Live values and warnings for cockpits outside this server's pages (wall screens, the load run): a client calls
/// Subscribe("city" | "district:330106" | "unit:jtj") and receives "value" and "warning" messages for that scope.
/// </summary>
[Authorize]
internal sealed partial class CockpitHub : Microsoft.AspNetCore.SignalR.Hub
{
    public const string Path = "/hubs/cockpit";
    public const string ValueMessage = "value";
    public const string WarningMessage = "warning";
    public const string CityGroup = "city";

    public static string DistrictGroup(string code) => "district:" + code;

    public static string UnitGroup(string unit) => "unit:" + unit;

    public async Task Subscribe(string scope)
    {
        if (!ScopePattern().IsMatch(scope ?? ""))
        {
            throw new HubException("scope must be 'city', 'district:<6-digit code>' or 'unit:<unit code>'");
        }
        await Groups.AddToGroupAsync(Context.ConnectionId, scope!, Context.ConnectionAborted);
    }

    [GeneratedRegex("^(city|district:[0-9]{6}|unit:[a-z0-9_-]{1,32})$")]
    private static partial Regex ScopePattern();
}

namespace CityBrain.Scenarios.Traffic.Web.Pages;

/// <summary>What the traffic pages share: who may see them and how a controller is named to a reader.</summary>
internal static class TrafficPages
{
    /// <summary>The cockpit's staff roles; citizens see the city's open figures on the portal instead.</summary>
    public const string StaffRoles = "leader,admin,auditor,unit";

    public static string ControllerName(string controller) => controller switch
    {
        "plan" => "plan · 路网自带配时 roadnet's plan",
        "fixed" => "fixed · 定时 fixed-time",
        "sotl" => "sotl · 自组织 SOTL",
        "maxpressure" => "maxpressure · 最大压力 Max-Pressure",
        "best" => "best · 自适应 our adaptive",
        _ => controller,
    };
}

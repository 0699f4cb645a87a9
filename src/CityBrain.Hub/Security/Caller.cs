using System.Security.Claims;

namespace CityBrain.Hub.Security;

/// <summary>The roles a bearer token can carry.</summary>
public static class HubRoles
{
    /// <summary>Data bureau administrator (数据资源管理局): runs the registry, decides escalations and disputes.</summary>
    public const string Admin = "admin";

    /// <summary>Reads everything, changes nothing: audit log, metrics, all requests.</summary>
    public const string Auditor = "auditor";

    /// <summary>An operator of one unit: registers its systems, decides requests for its resources.</summary>
    public const string UnitOperator = "unit";

    /// <summary>A registered system calling as a consumer.</summary>
    public const string System = "system";

    /// <summary>A resident, who may see every access to his or her own data.</summary>
    public const string Citizen = "citizen";

    /// <summary>An enterprise's representative (亲清在线): sees and appeals the enterprise's own policies, nothing else.</summary>
    public const string Enterprise = "enterprise";

    /// <summary>A city leader (领导) at the cockpit: watches the whole city, dispatches tasks to units, verifies and closes them; changes nothing in the hub.</summary>
    public const string Leader = "leader";
}

/// <summary>Claim names in the hub's tokens.</summary>
public static class HubClaims
{
    public const string Role = "role";
    public const string Unit = "unit";
    public const string System = "system";
    public const string ResidentId = "resident_id";
    public const string Name = "name";

    /// <summary>The enterprise an enterprise caller acts for: its unified social credit code.</summary>
    public const string Uscc = "uscc";
}

/// <summary>Who is calling, read once from the authenticated principal.</summary>
public sealed record Caller(string Name, string Role, string? Unit, string? System, string? ResidentId, string? Uscc = null)
{
    public bool IsAdmin => Role == HubRoles.Admin;

    public bool IsAuditor => Role == HubRoles.Auditor;

    /// <summary>Admin and auditor see the whole city; units and systems see what concerns their unit.</summary>
    public bool SeesEverything => IsAdmin || IsAuditor;

    public static Caller From(ClaimsPrincipal principal) => new(
        principal.FindFirstValue(HubClaims.Name) ?? principal.FindFirstValue("sub") ?? "anonymous",
        principal.FindFirstValue(HubClaims.Role) ?? "",
        principal.FindFirstValue(HubClaims.Unit),
        principal.FindFirstValue(HubClaims.System),
        principal.FindFirstValue(HubClaims.ResidentId),
        principal.FindFirstValue(HubClaims.Uscc));

    /// <summary>How the caller is named in the audit log (never a resident ID in clear).</summary>
    public string AuditName => Role switch
    {
        HubRoles.System => $"system:{System}",
        HubRoles.UnitOperator => $"unit:{Unit}",
        HubRoles.Citizen => "citizen",
        HubRoles.Enterprise => $"enterprise:{Uscc}", // a credit code is public, unlike a resident ID
        _ => Role,
    };
}

using System.Security.Claims;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Identifiers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Cockpit.Web.Account;

/// <summary>The login forms post here; success sets the cockpit cookie, failure returns to the form with the reason.</summary>
internal static class AccountApi
{
    public static void MapAccountApi(this IEndpointRouteBuilder routes)
    {
        var account = routes.MapGroup("/account").ExcludeFromDescription().AllowAnonymous();
        account.MapPost("/login", StaffLogin);
        account.MapPost("/citizen/code", CitizenCode);
        account.MapPost("/citizen/login", CitizenLogin);
        account.MapPost("/enterprise/code", EnterpriseCode);
        account.MapPost("/enterprise/login", EnterpriseLogin);
        account.MapPost("/logout", async (HttpContext context) =>
        {
            await context.SignOutAsync(CockpitAuthentication.CookieScheme);
            return Results.LocalRedirect("/login");
        });
    }

    private static async Task<IResult> StaffLogin(HttpContext context, StaffAccounts accounts,
        [FromForm] string? userName, [FromForm] string? password, [FromForm] string? returnUrl, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(userName) || string.IsNullOrEmpty(password))
        {
            return BackToLogin("staff", "Enter your user name and password.", returnUrl);
        }
        var staff = await accounts.VerifyAsync(userName.Trim(), password, cancellationToken);
        if (staff is null)
        {
            return BackToLogin("staff", "Unknown user name or wrong password.", returnUrl);
        }
        await SignInAsync(context, new Caller(staff.Name, staff.Role, staff.Unit, null, null));
        return Results.LocalRedirect(SafeReturn(returnUrl, staff.Role == HubRoles.UnitOperator && staff.Unit is not null ? $"/cockpit/department/{staff.Unit}" : "/"));
    }

    private static IResult CitizenCode(OneTimeCodes codes, [FromForm] string? residentId)
    {
        if (!ResidentId.TryParse(residentId?.Trim(), out var id, out var error))
        {
            return BackToLogin("citizen", "Resident ID: " + error);
        }
        // Demo only: the code is shown instead of being sent by SMS.
        return Results.LocalRedirect($"/login?mode=citizen&demoCode={codes.Issue(HubRoles.Citizen, id.Value)}");
    }

    private static async Task<IResult> CitizenLogin(HttpContext context, OneTimeCodes codes, [FromForm] string? residentId, [FromForm] string? code)
    {
        if (!ResidentId.TryParse(residentId?.Trim(), out var id, out var error))
        {
            return BackToLogin("citizen", "Resident ID: " + error);
        }
        if (string.IsNullOrWhiteSpace(code) || !codes.Verify(HubRoles.Citizen, id.Value, code.Trim()))
        {
            return BackToLogin("citizen", "The one-time code is wrong or has expired; ask for a new one.");
        }
        await SignInAsync(context, new Caller("居民 ****" + id.Value[^4..], HubRoles.Citizen, null, null, id.Value));
        return Results.LocalRedirect("/portal");
    }

    private static IResult EnterpriseCode(OneTimeCodes codes, [FromForm] string? uscc)
    {
        if (!UnifiedSocialCreditCode.TryParse(uscc?.Trim(), out var code, out var error))
        {
            return BackToLogin("enterprise", "Credit code: " + error);
        }
        // Demo only: shown here; a real deployment texts it to the enterprise's registered legal representative.
        return Results.LocalRedirect($"/login?mode=enterprise&demoCode={codes.Issue(HubRoles.Enterprise, code.Value)}");
    }

    private static async Task<IResult> EnterpriseLogin(HttpContext context, OneTimeCodes codes, [FromForm] string? uscc, [FromForm] string? code)
    {
        if (!UnifiedSocialCreditCode.TryParse(uscc?.Trim(), out var credit, out var error))
        {
            return BackToLogin("enterprise", "Credit code: " + error);
        }
        if (string.IsNullOrWhiteSpace(code) || !codes.Verify(HubRoles.Enterprise, credit.Value, code.Trim()))
        {
            return BackToLogin("enterprise", "The one-time code is wrong or has expired; ask for a new one.");
        }
        await SignInAsync(context, new Caller($"企业 {credit.Value}", HubRoles.Enterprise, null, null, null, credit.Value));
        return Results.LocalRedirect("/portal/enterprise");
    }

    private static Task SignInAsync(HttpContext context, Caller caller)
    {
        var claims = new List<Claim> { new(HubClaims.Name, caller.Name), new(HubClaims.Role, caller.Role) };
        if (caller.Unit is not null)
        {
            claims.Add(new Claim(HubClaims.Unit, caller.Unit));
        }
        if (caller.ResidentId is not null)
        {
            claims.Add(new Claim(HubClaims.ResidentId, caller.ResidentId));
        }
        if (caller.Uscc is not null)
        {
            claims.Add(new Claim(HubClaims.Uscc, caller.Uscc));
        }
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, CockpitAuthentication.CookieScheme, HubClaims.Name, HubClaims.Role));
        return context.SignInAsync(CockpitAuthentication.CookieScheme, principal);
    }

    private static string SafeReturn(string? returnUrl, string fallback) =>
        !string.IsNullOrEmpty(returnUrl) && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.StartsWith("/login", StringComparison.Ordinal)
            ? returnUrl : fallback;

    private static IResult BackToLogin(string mode, string error, string? returnUrl = null) =>
        Results.LocalRedirect($"/login?mode={mode}&error={Uri.EscapeDataString(error)}" + (returnUrl is null ? "" : "&returnUrl=" + Uri.EscapeDataString(returnUrl)));
}

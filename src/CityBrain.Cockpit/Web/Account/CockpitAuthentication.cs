using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CityBrain.Cockpit.Web.Account;

/// <summary>
/// People sign in to the pages with a cookie; systems and scripts keep using the hub's bearer tokens. A policy scheme
/// picks per request: a Bearer header means the token, else the cookie if there is one, else the API paths answer a
/// bearer challenge (401) and the pages send the browser to /login.
/// </summary>
internal static class CockpitAuthentication
{
    public const string CookieScheme = "cockpit";
    public const string SelectorScheme = "citybrain";

    public static IServiceCollection AddCockpitAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(options =>
            {
                options.DefaultScheme = SelectorScheme;
                options.DefaultChallengeScheme = SelectorScheme;
            })
            .AddCookie(CookieScheme, options =>
            {
                options.Cookie.Name = "citybrain.cockpit";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.LoginPath = "/login";
                options.AccessDeniedPath = "/denied";
                options.ExpireTimeSpan = TimeSpan.FromHours(8);
                options.SlidingExpiration = true;
                options.ReturnUrlParameter = "returnUrl";
                // An API call with a stale cookie gets a status, not a login page.
                options.Events.OnRedirectToLogin = context => Answer(context, StatusCodes.Status401Unauthorized);
                options.Events.OnRedirectToAccessDenied = context => Answer(context, StatusCodes.Status403Forbidden);
            })
            .AddPolicyScheme(SelectorScheme, "Bearer token or cockpit cookie", options => options.ForwardDefaultSelector = Select);
        return services;
    }

    private static Task Answer(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        if (IsApi(context.Request.Path))
        {
            context.Response.StatusCode = status;
        }
        else
        {
            context.Response.Redirect(context.RedirectUri);
        }
        return Task.CompletedTask;
    }

    private static bool IsApi(PathString path) =>
        path.StartsWithSegments("/api") || path.StartsWithSegments("/hub") || path.StartsWithSegments("/hubs");

    private static string Select(HttpContext context)
    {
        if (context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return JwtBearerDefaults.AuthenticationScheme;
        }
        if (context.Request.Cookies.ContainsKey("citybrain.cockpit"))
        {
            return CookieScheme;
        }
        return IsApi(context.Request.Path) ? JwtBearerDefaults.AuthenticationScheme : CookieScheme;
    }
}

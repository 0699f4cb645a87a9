using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace CityBrain.Hub.Security;

internal static class HubAuthentication
{
    /// <summary>Bearer tokens signed by the hub; the keyring (a singleton the host loads from the store) holds the key.</summary>
    public static IServiceCollection AddHubAuthentication(this IServiceCollection services)
    {
        services.AddSingleton<TokenService>();
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<TokenService>((options, tokens) =>
            {
                options.MapInboundClaims = false;
                options.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = TokenService.Issuer,
                    ValidAudience = TokenService.Audience,
                    IssuerSigningKey = tokens.SigningKey,
                    NameClaimType = HubClaims.Name,
                    RoleClaimType = HubClaims.Role,
                    ClockSkew = TimeSpan.FromSeconds(30),
                };
            });
        services.AddAuthorization();
        return services;
    }
}

using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace CityBrain.Hub.Security;

/// <summary>Issues the hub's bearer tokens (JWT, HMAC-SHA256 with the keyring's token key).</summary>
public sealed class TokenService(HubKeyring keyring, TimeProvider time)
{
    public const string Issuer = "citybrain";
    public const string Audience = "citybrain";

    public SymmetricSecurityKey SigningKey { get; } = new(keyring.TokenSigningKey) { KeyId = "hub-token" };

    public string Issue(Caller caller, TimeSpan lifetime)
    {
        var claims = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [HubClaims.Role] = caller.Role,
            [HubClaims.Name] = caller.Name,
        };
        if (caller.Unit is not null)
        {
            claims[HubClaims.Unit] = caller.Unit;
        }
        if (caller.System is not null)
        {
            claims[HubClaims.System] = caller.System;
        }
        if (caller.ResidentId is not null)
        {
            claims[HubClaims.ResidentId] = caller.ResidentId;
        }
        if (caller.Uscc is not null)
        {
            claims[HubClaims.Uscc] = caller.Uscc;
        }
        var now = time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            Claims = claims,
            Subject = new ClaimsIdentity([new Claim("sub", caller.Name)]),
            IssuedAt = now,
            NotBefore = now,
            Expires = now.Add(lifetime),
            SigningCredentials = new SigningCredentials(SigningKey, SecurityAlgorithms.HmacSha256),
        });
    }
}

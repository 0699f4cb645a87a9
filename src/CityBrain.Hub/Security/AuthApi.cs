using System.Security.Cryptography;
using System.Text;
using CityBrain.Hub.Registry;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CityBrain.Hub.Security;

/// <summary>Client credentials for systems: the code and the secret answered at registration buy a one-hour token.</summary>
internal static class AuthApi
{
    public sealed record TokenRequest(string? ClientId, string? ClientSecret);

    public sealed record TokenResponse(string AccessToken, string TokenType, int ExpiresIn);

    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    public static void MapAuthApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/auth/token", IssueToken).WithTags("Auth").AllowAnonymous()
            .WithSummary("Exchange a system's client credentials for a bearer token (JSON or form, grant_type=client_credentials)")
            .DisableAntiforgery();
    }

    private static async Task<Ok<TokenResponse>> IssueToken(HttpContext context, RegistryStore registry, TokenService tokens, CancellationToken cancellationToken)
    {
        TokenRequest? request;
        if (context.Request.HasFormContentType)
        {
            var form = await context.Request.ReadFormAsync(cancellationToken);
            if (form["grant_type"] is var grant && grant.Count > 0 && grant[0] != "client_credentials")
            {
                throw new ValidationFailedException("grant_type", "only client_credentials is supported");
            }
            request = new TokenRequest(form["client_id"], form["client_secret"]);
        }
        else if (context.Request.HasJsonContentType())
        {
            request = await context.Request.ReadFromJsonAsync<TokenRequest>(cancellationToken);
        }
        else
        {
            throw new ProblemException(415, "Unsupported media type", "send application/json or application/x-www-form-urlencoded");
        }
        if (string.IsNullOrEmpty(request?.ClientId) || string.IsNullOrEmpty(request.ClientSecret))
        {
            throw new ValidationFailedException("clientId", "clientId and clientSecret are required");
        }
        var expected = await registry.FindClientSecretHashAsync(request.ClientId, cancellationToken);
        var actual = RegistryService.HashSecret(request.ClientSecret);
        if (expected is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(actual)))
        {
            throw new ProblemException(401, "Unauthorized", "unknown client or wrong secret");
        }
        var system = (await registry.FindSystemAsync(request.ClientId, cancellationToken))!;
        var token = tokens.Issue(new Caller($"system:{system.Code}", HubRoles.System, system.Unit, system.Code, null), Lifetime);
        return TypedResults.Ok(new TokenResponse(token, "Bearer", (int)Lifetime.TotalSeconds));
    }
}

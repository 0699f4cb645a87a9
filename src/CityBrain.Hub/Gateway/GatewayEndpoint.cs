using System.Diagnostics;
using System.Globalization;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace CityBrain.Hub.Gateway;

/// <summary>
/// <c>/hub/call/{system}/{interface}/{**rest}</c>: authenticate the consumer system, check purpose, grant and quota,
/// forward with YARP through the provider's resilience pipeline, release only what the grant covers, audit.
/// Every call is audited, refused ones too.
/// </summary>
internal static class GatewayEndpoint
{
    public const string PurposeHeader = "X-Purpose";

    public static async Task HandleAsync(
        HttpContext context,
        string system,
        string @interface,
        GatewayLookup lookup,
        IAuditLog audit,
        IHttpForwarder forwarder,
        GatewayInvoker invoker,
        DailyQuota quota,
        CallStatistics statistics,
        TimeProvider time)
    {
        var started = Stopwatch.GetTimestamp();
        var caller = Caller.From(context.User);
        var resource = $"{system}/{@interface}";
        var purpose = context.Request.Headers[PurposeHeader].ToString();
        var subjects = (IReadOnlyList<string>)[];
        string? grantId = null;
        var cancellationToken = context.RequestAborted;

        async ValueTask Audit(int status, ResponseFilter? returned, CancellationToken token)
        {
            var all = returned is null ? subjects : subjects.Concat(returned.Subjects).Distinct(StringComparer.Ordinal).ToList();
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            await audit.AppendAsync(new AuditEntry("gateway.call", caller.AuditName, resource, purpose.Length == 0 ? null : purpose, all, new Dictionary<string, string?>
            {
                ["status"] = status.ToString(CultureInfo.InvariantCulture),
                ["fields"] = returned is null ? "" : string.Join(",", returned.ReturnedClear.Order(StringComparer.Ordinal)),
                ["maskedFields"] = returned is null ? "" : string.Join(",", returned.ReturnedMasked.Order(StringComparer.Ordinal)),
                ["grant"] = grantId,
                ["latencyMs"] = latency.ToString("F1", CultureInfo.InvariantCulture),
            }), token);
            statistics.Record(system, @interface, status, latency);
        }

        RegisteredSystem provider;
        RegisteredInterface registered;
        ProviderTarget target;
        Grant grant;
        try
        {
            if (caller.Role != HubRoles.System || caller.System is null)
            {
                throw new ForbiddenException("the gateway is for registered systems calling with their own credentials");
            }
            if (purpose.Length == 0)
            {
                throw new ValidationFailedException(PurposeHeader, $"the {PurposeHeader} header states the purpose the call serves, as granted");
            }
            var route = await lookup.FindAsync(system, @interface, caller.System, time.GetUtcNow(), cancellationToken)
                ?? throw new NotFoundException($"interface '{resource}' is not registered");
            (registered, provider) = (route.Interface, route.Provider);
            if (!string.Equals(context.Request.Method, registered.Method, StringComparison.OrdinalIgnoreCase))
            {
                throw new ProblemException(405, "Method not allowed", $"{resource} answers {registered.Method}, not {context.Request.Method}");
            }
            target = ProviderTarget.Resolve(registered, RawRest(context), context.Request.Query);
            subjects = target.SubjectIds;
            if (registered.Sharing == SharingType.NotShared)
            {
                throw new ForbiddenException($"{resource} is not shared (不予共享)");
            }
            grant = route.Grant
                ?? throw new ForbiddenException($"system '{caller.System}' holds no active grant for {resource}; file a request at POST /api/hub/requests");
            grantId = grant.Id;
            if (!string.Equals(grant.Purpose, purpose, StringComparison.Ordinal))
            {
                throw new ForbiddenException($"the grant for {resource} is for the purpose '{grant.Purpose}', not '{purpose}'");
            }
            if (!quota.TryConsume(grant, time.GetUtcNow()))
            {
                throw new ProblemException(429, "Quota exceeded", $"the grant for {resource} allows {grant.DailyQuota} calls a day; they are used up")
                {
                    Headers = { ["Retry-After"] = quota.SecondsUntilReset(time.GetUtcNow()).ToString(CultureInfo.InvariantCulture) },
                };
            }
        }
        catch (ProblemException e)
        {
            await Audit(e.Status, null, CancellationToken.None);
            throw;
        }

        var filter = new ResponseFilter(registered, grant);
        var transformer = new GatewayTransformer(provider, target, filter, caller.System, Audit);
        var config = new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMilliseconds(provider.TimeoutMs * 3 + 2_000) };
        var error = await forwarder.SendAsync(context, provider.BaseUrl, invoker.Invoker, config, transformer);
        if (error != ForwarderError.None && transformer.Status is null)
        {
            var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            var status = (int)GatewayTransformer.StatusFor(error, exception);
            await Audit(status, null, CancellationToken.None);
            if (!context.Response.HasStarted)
            {
                context.Response.Headers.Clear();
                var detail = exception switch
                {
                    Polly.CircuitBreaker.BrokenCircuitException => $"{provider.Code} is failing; calls to it are paused for a while (circuit open)",
                    Polly.Timeout.TimeoutRejectedException => $"{provider.Code} did not answer within {provider.TimeoutMs} ms",
                    _ when status == 504 => $"{provider.Code} did not answer in time",
                    _ => $"{provider.Code} could not be reached",
                };
                context.Response.StatusCode = status;
                await TypedResults.Problem(detail, context.Request.Path, status, status == 504 ? "The provider system timed out" : "The provider system failed")
                    .ExecuteAsync(context);
            }
        }
    }

    /// <summary>The path after /hub/call/{system}/{interface}/, exactly as sent (still percent-encoded), without the query.</summary>
    private static string RawRest(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
        var query = raw.IndexOf('?', StringComparison.Ordinal);
        if (query >= 0)
        {
            raw = raw[..query];
        }
        var parts = raw.Split('/');
        // "", "hub", "call", system, interface, rest...
        return parts.Length <= 5 ? "" : string.Join('/', parts.Skip(5));
    }
}

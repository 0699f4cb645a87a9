using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using CityBrain.Hub.Registry;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace CityBrain.Hub.Gateway;

/// <summary>
/// Shapes one forwarded call: the request goes to the URL the hub built, with the provider's credentials and
/// without the consumer's; the answer is read whole, reduced to what the grant releases, audited, and only then
/// written. Returning false from <see cref="TransformResponseAsync"/> keeps YARP from copying the raw body.
/// </summary>
internal sealed class GatewayTransformer(RegisteredSystem provider, ProviderTarget target, ResponseFilter filter, string consumer,
    Func<int, ResponseFilter?, CancellationToken, ValueTask> audit) : HttpTransformer
{
    private const int MaxProviderBody = 32 * 1024 * 1024;

    /// <summary>The status the consumer got, once the answer is written.</summary>
    public int? Status { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        proxyRequest.RequestUri = new Uri(destinationPrefix.TrimEnd('/') + target.PathAndQuery, UriKind.Absolute);
        proxyRequest.Headers.Authorization = null;
        proxyRequest.Headers.Remove("Cookie");
        proxyRequest.Headers.Remove("X-CityBrain-Consumer");
        proxyRequest.Headers.TryAddWithoutValidation("X-CityBrain-Consumer", consumer);
        proxyRequest.Headers.Remove("X-Request-Id");
        proxyRequest.Headers.TryAddWithoutValidation("X-Request-Id", httpContext.TraceIdentifier);
        if (provider.Credentials is { } credentials)
        {
            proxyRequest.Headers.Remove(credentials.Header);
            proxyRequest.Headers.TryAddWithoutValidation(credentials.Header, credentials.Value);
        }
        proxyRequest.Options.Set(ProviderResilience.SystemKey, provider.Code);
        proxyRequest.Options.Set(ProviderResilience.TimeoutKey, provider.TimeoutMs);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null)
        {
            return false; // the forwarder reports the error; the endpoint answers it
        }
        var status = (int)proxyResponse.StatusCode;
        if (!proxyResponse.IsSuccessStatusCode)
        {
            // The provider's own error body may carry personal data: the consumer gets the hub's words instead.
            var (answer, detail) = status switch
            {
                404 => (404, $"{provider.Code} found nothing for this request"),
                400 or 422 => (status, $"{provider.Code} refused the request as invalid ({status})"),
                _ => (502, $"{provider.Code} answered {status}"),
            };
            await WriteProblemAsync(httpContext, answer, answer == 502 ? "The provider system failed" : "The provider system declined", detail, null, cancellationToken);
            return false;
        }

        JsonNode? node;
        try
        {
            await using var stream = await proxyResponse.Content.ReadAsStreamAsync(cancellationToken);
            if (proxyResponse.Content.Headers.ContentLength > MaxProviderBody)
            {
                throw new JsonException("the answer is larger than the hub accepts");
            }
            node = await JsonNode.ParseAsync(stream, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            await WriteProblemAsync(httpContext, 502, "The provider system failed", $"{provider.Code} did not answer JSON", null, cancellationToken);
            return false;
        }

        var filtered = filter.Apply(node);
        var body = JsonSerializer.SerializeToUtf8Bytes(filtered);
        await audit(200, filter, cancellationToken);
        Status = 200;
        httpContext.Response.StatusCode = 200;
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        httpContext.Response.ContentLength = body.Length;
        await httpContext.Response.Body.WriteAsync(body, cancellationToken);
        return false;
    }

    private async Task WriteProblemAsync(HttpContext httpContext, int status, string title, string detail, ResponseFilter? returned, CancellationToken cancellationToken)
    {
        await audit(status, returned, cancellationToken);
        Status = status;
        httpContext.Response.StatusCode = status;
        await TypedResults.Problem(detail, httpContext.Request.Path, status, title).ExecuteAsync(httpContext);
    }

    public static HttpStatusCode StatusFor(ForwarderError error, Exception? exception) => exception switch
    {
        Polly.Timeout.TimeoutRejectedException => HttpStatusCode.GatewayTimeout,
        _ when error is ForwarderError.RequestTimedOut => HttpStatusCode.GatewayTimeout,
        _ => HttpStatusCode.BadGateway,
    };
}

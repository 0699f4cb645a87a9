using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace CityBrain.Kernel.Errors;

/// <summary>The one place where exceptions become ProblemDetails responses.</summary>
public sealed partial class ProblemExceptionHandler(IProblemDetailsService problemDetails, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ProblemDetails problem = exception switch
        {
            ProblemException p when p.Errors is not null => new HttpValidationProblemDetails(p.Errors) { Status = p.Status, Title = p.Title, Detail = p.Message },
            ProblemException p => new ProblemDetails { Status = p.Status, Title = p.Title, Detail = p.Message },
            BadHttpRequestException { InnerException: JsonException j } b => new ProblemDetails { Status = b.StatusCode, Title = "The request body is not valid", Detail = j.Message },
            BadHttpRequestException b => new ProblemDetails { Status = b.StatusCode, Title = b.StatusCode == 413 ? "The request body is too large" : "The request is invalid", Detail = b.Message },
            JsonException j => new ProblemDetails { Status = 400, Title = "The request body is not valid JSON", Detail = j.Message },
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => new ProblemDetails { Status = 499, Title = "Client closed request" },
            _ => new ProblemDetails { Status = 500, Title = "An unexpected error occurred", Detail = "The error was logged; the request had no effect that was acknowledged." },
        };
        if (exception is BusinessRuleViolationException rule)
        {
            problem.Extensions["rule"] = rule.Rule;
        }
        if (problem.Status == 500)
        {
            // The route template, not the path: a path can carry a resident ID (/hub/call/police/person/3301...).
            // The exception handler middleware has cleared the endpoint by now; its feature keeps the one that failed.
            var endpoint = httpContext.Features.Get<IExceptionHandlerFeature>()?.Endpoint ?? httpContext.GetEndpoint();
            var route = (endpoint as RouteEndpoint)?.RoutePattern.RawText ?? "(no route)";
            LogUnexpected(logger, httpContext.Request.Method, route, exception);
        }
        httpContext.Response.StatusCode = problem.Status ?? 500;
        if (exception is ProblemException { Headers.Count: > 0 } withHeaders)
        {
            foreach (var (name, value) in withHeaders.Headers)
            {
                httpContext.Response.Headers[name] = value;
            }
        }
        return await problemDetails.TryWriteAsync(new ProblemDetailsContext { HttpContext = httpContext, ProblemDetails = problem, Exception = exception });
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled error on {Method} {Route}")]
    private static partial void LogUnexpected(ILogger logger, string method, string route, Exception exception);
}

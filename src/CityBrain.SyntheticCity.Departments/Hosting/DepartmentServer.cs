using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.SyntheticCity.Departments.Hosting;

/// <summary>One department system as its own Kestrel server on a loopback port of its own.</summary>
internal static partial class DepartmentServer
{
    public const string OpenApiPath = "/openapi.json";

    public static async Task<(WebApplication App, Uri BaseUrl)> StartAsync(Department department, DepartmentDatabase database,
        DepartmentCredential credential, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        // Paths carry resident IDs and plates: the framework's per-request logs stay off.
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CityBrain.SyntheticCity.Departments." + department.Code);
        var expected = Encoding.UTF8.GetBytes(credential.Value);
        var openApi = OpenApiDocument.Write(department);

        app.Use(async (context, next) =>
        {
            try
            {
                if (context.Request.Path != OpenApiPath && !Authenticated(context, credential.Header, expected))
                {
                    throw new DepartmentException(Refusal.Unauthorized, $"the {credential.Header} header is missing or wrong");
                }
                if (!HttpMethods.IsGet(context.Request.Method))
                {
                    throw new DepartmentException(Refusal.MethodNotAllowed, $"{context.Request.Method} is not allowed: every operation of this system is a GET");
                }
                await next(context);
            }
            catch (DepartmentException e) when (!context.Response.HasStarted)
            {
                context.Response.Clear();
                await department.Error(e.Refusal, e.Message, context.Request.Path).ExecuteAsync(context);
            }
            catch (Exception e) when (e is not OperationCanceledException && !context.Response.HasStarted)
            {
                // The exception type only: messages can quote stored values.
                LogFailure(logger, department.Code, e.GetType().Name);
                context.Response.Clear();
                await department.Error(Refusal.Failed, "internal error", context.Request.Path).ExecuteAsync(context);
            }
        });
        app.MapGet(OpenApiPath, () => Results.Text(openApi, "application/json; charset=utf-8"));
        foreach (var operation in department.Operations)
        {
            app.MapGet(operation.Path, async context =>
            {
                var body = await operation.Handler(new DepartmentRequest(context, database));
                await Results.Json(body, Department.Json, "application/json; charset=utf-8").ExecuteAsync(context);
            });
        }
        app.MapFallback("{**path}", context => throw new DepartmentException(Refusal.UnknownResource, $"no such resource: {context.Request.Path}"));

        try
        {
            await app.StartAsync(cancellationToken);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return (app, new Uri(address));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    private static bool Authenticated(HttpContext context, string header, byte[] expected)
    {
        var given = context.Request.Headers[header];
        return given.Count == 1 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given[0] ?? ""), expected);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Department {Department} failed to answer a request: {ExceptionType}")]
    private static partial void LogFailure(ILogger logger, string department, string exceptionType);
}

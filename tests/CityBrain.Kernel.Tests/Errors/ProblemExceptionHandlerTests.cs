using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Kernel.Errors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.Kernel.Tests.Errors;

/// <summary>The handler in a real Kestrel pipeline on loopback, wired as the host wires it, answering real HTTP requests.</summary>
public sealed class ProblemExceptionHandlerTests : IAsyncLifetime
{
    private const string Resident = "33010619900101123X";

    private readonly CapturedLogs _logs = new();
    private WebApplication? _app;
    private HttpClient? _client;

    private HttpClient Client => _client!;

    public async ValueTask InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(_logs);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        _app = builder.Build();
        _app.UseExceptionHandler();

        _app.MapGet("/units/{code}", IResult (string code) => code == "known"
            ? Results.Ok()
            : throw new ValidationFailedException("divisionCode", "a division code has 2, 4, 6, 9 or 12 digits"));
        _app.MapGet("/many", IResult () => throw new ValidationFailedException(new Dictionary<string, string[]>
        {
            ["units[0].code"] = ["is required"],
            ["units[1].divisionCode"] = ["a division code has 2, 4, 6, 9 or 12 digits", "the first two digits must be a province code"],
        }));
        _app.MapGet("/grants/{id}", IResult (string id) => throw new NotFoundException($"no grant '{id}'"));
        _app.MapGet("/forbidden", IResult () => throw new ForbiddenException("only the owning unit decides this request"));
        _app.MapGet("/rule", IResult () => throw new BusinessRuleViolationException("GrantCannotExceedRequestedFields", "the grant releases fields that were not requested: SJHM"));
        _app.MapGet("/quota", IResult () => throw new ProblemException(429, "Daily quota used up", "the grant allows 1000 calls a day") { Headers = { ["Retry-After"] = "3600" } });
        _app.MapGet("/residents/{id}", IResult (string id) => throw new InvalidOperationException($"lookup of {id} broke"));
        _app.MapPost("/echo", (EchoBody body) => Results.Ok(body));

        await _app.StartAsync(TestContext.Current.CancellationToken);
        var address = _app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        _client = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task TryHandleAsync_ValidationFailed_400NamesTheField()
    {
        var (response, problem) = await GetProblemAsync("/units/0033");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(400, (int)problem["status"]!);
        Assert.Equal("The request is invalid", (string)problem["title"]!);
        Assert.Equal("divisionCode: a division code has 2, 4, 6, 9 or 12 digits", (string)problem["detail"]!);
        Assert.Equal(["a division code has 2, 4, 6, 9 or 12 digits"], problem["errors"]!["divisionCode"]!.AsArray().Select(e => (string)e!));
    }

    [Fact]
    public async Task TryHandleAsync_SeveralFieldsInvalid_EachFieldWithEachMessage()
    {
        var (response, problem) = await GetProblemAsync("/many");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = problem["errors"]!.AsObject();
        Assert.Equal(["units[0].code", "units[1].divisionCode"], errors.Select(e => e.Key));
        Assert.Equal(2, errors["units[1].divisionCode"]!.AsArray().Count);
        Assert.Equal(
            "units[0].code: is required; units[1].divisionCode: a division code has 2, 4, 6, 9 or 12 digits, the first two digits must be a province code",
            (string)problem["detail"]!);
    }

    [Theory]
    [InlineData("/grants/g-42", HttpStatusCode.NotFound, "Not found", "no grant 'g-42'")]
    [InlineData("/forbidden", HttpStatusCode.Forbidden, "Forbidden", "only the owning unit decides this request")]
    [InlineData("/rule", HttpStatusCode.Conflict, "A business rule was broken", "the grant releases fields that were not requested: SJHM")]
    [InlineData("/quota", HttpStatusCode.TooManyRequests, "Daily quota used up", "the grant allows 1000 calls a day")]
    public async Task TryHandleAsync_ProblemException_StatusTitleAndDetailWithoutErrors(string path, HttpStatusCode status, string title, string detail)
    {
        var (response, problem) = await GetProblemAsync(path);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, (int)problem["status"]!);
        Assert.Equal(title, (string)problem["title"]!);
        Assert.Equal(detail, (string)problem["detail"]!);
        Assert.Null(problem["errors"]);
    }

    [Fact]
    public async Task TryHandleAsync_BusinessRule_NamesTheRule()
    {
        var (_, problem) = await GetProblemAsync("/rule");

        Assert.Equal("GrantCannotExceedRequestedFields", (string)problem["rule"]!);
    }

    [Fact]
    public async Task TryHandleAsync_ExceptionWithHeaders_SendsThem()
    {
        var (response, _) = await GetProblemAsync("/quota");

        Assert.Equal(TimeSpan.FromHours(1), response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task TryHandleAsync_UnexpectedException_500WithoutInternalsAndLoggedWithoutThePath()
    {
        var (response, problem) = await GetProblemAsync($"/residents/{Resident}");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("An unexpected error occurred", (string)problem["title"]!);
        var body = problem.ToJsonString();
        Assert.DoesNotContain("broke", body, StringComparison.Ordinal);
        Assert.DoesNotContain(nameof(InvalidOperationException), body, StringComparison.Ordinal);
        Assert.DoesNotContain(Resident, body, StringComparison.Ordinal);

        var logged = Assert.Single(_logs.Entries, e => e.Category == typeof(ProblemExceptionHandler).FullName);
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.Equal(1, logged.EventId);
        Assert.IsType<InvalidOperationException>(logged.Exception);
        // The route template identifies the endpoint; the concrete path would put a resident ID in the log.
        Assert.Equal("Unhandled error on GET /residents/{id}", logged.Message);
    }

    [Fact]
    public async Task TryHandleAsync_ExpectedProblems_AreNotLoggedAsErrors()
    {
        await GetProblemAsync("/units/0033");
        await GetProblemAsync("/grants/g-1");

        Assert.DoesNotContain(_logs.Entries, e => e.Category == typeof(ProblemExceptionHandler).FullName);
    }

    [Fact]
    public async Task TryHandleAsync_BodyNotJson_400SaysTheBodyIsInvalid()
    {
        using var content = new StringContent("""{"name": "西湖区", "divisionCode": 330106""", Encoding.UTF8, "application/json");
        using var response = await Client.PostAsync("/echo", content);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("The request body is not valid", (string)problem["title"]!);
        Assert.False(string.IsNullOrEmpty((string?)problem["detail"]));
    }

    [Fact]
    public async Task TryHandleAsync_BodyOfWrongType_400SaysWhere()
    {
        using var response = await Client.PostAsJsonAsync("/echo", new { name = "西湖区", divisionCode = 330106 });
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>())!;

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("The request body is not valid", (string)problem["title"]!);
        Assert.Contains("$.divisionCode", (string)problem["detail"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TryHandleAsync_CancelledBecauseTheClientLeft_499AndNotLogged()
    {
        // A client that has gone cannot be observed over HTTP, so the handler is called as the middleware calls it.
        using var left = new CancellationTokenSource();
        await left.CancelAsync();
        var context = NewContext();
        context.RequestAborted = left.Token;

        var handled = await Handler().TryHandleAsync(context, new OperationCanceledException(left.Token), TestContext.Current.CancellationToken);

        Assert.True(handled);
        Assert.Equal(499, context.Response.StatusCode);
        Assert.DoesNotContain(_logs.Entries, e => e.Category == typeof(ProblemExceptionHandler).FullName);
    }

    [Fact]
    public async Task TryHandleAsync_CancelledWhileTheClientWaits_500AndLogged()
    {
        // A timeout inside the server is the server's failure, not the client's.
        var context = NewContext();

        await Handler().TryHandleAsync(context, new OperationCanceledException("provider call timed out"), TestContext.Current.CancellationToken);

        Assert.Equal(500, context.Response.StatusCode);
        Assert.Single(_logs.Entries, e => e.Category == typeof(ProblemExceptionHandler).FullName && e.Level == LogLevel.Error);
    }

    private ProblemExceptionHandler Handler() => ActivatorUtilities.CreateInstance<ProblemExceptionHandler>(_app!.Services);

    private DefaultHttpContext NewContext()
    {
        var context = new DefaultHttpContext { RequestServices = _app!.Services };
        context.Request.Method = "GET";
        context.Response.Body = new MemoryStream();
        return context;
    }

    private async Task<(HttpResponseMessage Response, JsonObject Problem)> GetProblemAsync(string path)
    {
        var response = await Client.GetAsync(path);
        var problem = await response.Content.ReadFromJsonAsync<JsonObject>();
        return (response, problem!);
    }

    internal sealed record EchoBody(string Name, string DivisionCode);

    private sealed class CapturedLogs : ILoggerProvider
    {
        public System.Collections.Concurrent.ConcurrentQueue<Entry> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Entries);

        public void Dispose()
        {
        }

        internal sealed record Entry(string Category, LogLevel Level, int EventId, string Message, Exception? Exception);

        private sealed class Logger(string category, System.Collections.Concurrent.ConcurrentQueue<Entry> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue(new Entry(category, logLevel, eventId.Id, formatter(state, exception), exception));
        }
    }
}

using System.Net;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;

namespace CityBrain.Hub.Gateway;

/// <summary>
/// One Polly pipeline per provider system: retries (GET and HEAD only, on transport errors, 5xx and timeouts),
/// a circuit breaker, and a timeout per attempt from the system's registration. It runs inside the invoker that
/// YARP forwards with, so a retry happens before any byte reaches the consumer.
/// </summary>
internal sealed class ProviderResilience
{
    public static readonly HttpRequestOptionsKey<string> SystemKey = new("citybrain.system");
    public static readonly HttpRequestOptionsKey<int> TimeoutKey = new("citybrain.timeout-ms");

    private readonly ResiliencePipelineRegistry<string> _registry = new();
    private readonly TimeProvider _time;

    public ProviderResilience(TimeProvider time) => _time = time;

    public ResiliencePipeline<HttpResponseMessage> For(string system, int timeoutMs) =>
        _registry.GetOrAddPipeline<HttpResponseMessage>($"{system}|{timeoutMs}", builder =>
        {
            builder.TimeProvider = _time;
            builder
                .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
                {
                    MaxRetryAttempts = 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(100),
                    ShouldHandle = args => ValueTask.FromResult(IsIdempotent(args.Context) && IsTransient(args.Outcome)),
                })
                .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = 5,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = TimeSpan.FromSeconds(15),
                    ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
                })
                .AddTimeout(TimeSpan.FromMilliseconds(timeoutMs));
        });

    private static readonly ResiliencePropertyKey<bool> IdempotentKey = new("citybrain.idempotent");

    public static void MarkIdempotent(ResilienceContext context, HttpMethod method) =>
        context.Properties.Set(IdempotentKey, method == HttpMethod.Get || method == HttpMethod.Head);

    private static bool IsIdempotent(ResilienceContext context) => context.Properties.GetValue(IdempotentKey, false);

    private static bool IsTransient(Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is HttpRequestException or TimeoutRejectedException
        || (outcome.Result is { } response && ((int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.RequestTimeout));
}

/// <summary>The handler under YARP's invoker that runs each provider call through its system's pipeline.</summary>
internal sealed class ResilienceHandler(ProviderResilience resilience) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(ProviderResilience.SystemKey, out var system) || !request.Options.TryGetValue(ProviderResilience.TimeoutKey, out var timeoutMs))
        {
            return await base.SendAsync(request, cancellationToken);
        }
        var pipeline = resilience.For(system, timeoutMs);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        ProviderResilience.MarkIdempotent(context, request.Method);
        try
        {
            var outcome = await pipeline.ExecuteOutcomeAsync(
                static async (ctx, state) =>
                {
                    try
                    {
                        return Outcome.FromResult(await state.Handler.SendCoreAsync(state.Request, ctx.CancellationToken));
                    }
                    catch (Exception e)
                    {
                        return Outcome.FromException<HttpResponseMessage>(e);
                    }
                },
                context,
                (Handler: this, Request: request));
            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) => base.SendAsync(request, cancellationToken);
}

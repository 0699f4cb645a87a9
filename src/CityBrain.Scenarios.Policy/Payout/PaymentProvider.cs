using System.Net;
using System.Net.Http.Json;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace CityBrain.Scenarios.Policy.Payout;

/// <summary>One payment order: the idempotency key is the payout's id, so a repeated order can never pay twice.</summary>
internal sealed record PaymentOrder(string Key, string Payee, decimal Amount);

/// <summary>A settled payment as the bank reports it.</summary>
internal sealed record Settlement(string Reference, string Key, string Payee, decimal Amount);

/// <summary>The bank behind the payouts (代发): pay once per key, and list what was settled.</summary>
internal interface IPaymentProvider
{
    /// <summary>Settles the order or answers null when the bank could not be reached after the retries (the payout stays reserved).</summary>
    Task<Settlement?> PayAsync(PaymentOrder order, CancellationToken cancellationToken);

    Task<IReadOnlyList<Settlement>> StatementAsync(CancellationToken cancellationToken);
}

/// <summary>Options of the HTTP bank adapter.</summary>
internal sealed record BankOptions(TimeSpan AttemptTimeout, int MaxRetries, TimeSpan FirstDelay)
{
    public static readonly BankOptions Default = new(TimeSpan.FromSeconds(1), 8, TimeSpan.FromMilliseconds(50));
}

/// <summary>
/// The payment-provider adapter for a bank over HTTP (the demo bank's API): each call has its own timeout, failures and
/// timeouts are retried with backoff (Polly), always with the same key, which the bank settles once.
/// </summary>
internal sealed class HttpBankProvider : IPaymentProvider
{
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;

    public HttpBankProvider(HttpClient http, BankOptions options, TimeProvider time)
    {
        _http = http;
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = options.MaxRetries,
                Delay = options.FirstDelay,
                BackoffType = DelayBackoffType.Exponential,
                MaxDelay = TimeSpan.FromSeconds(2),
                UseJitter = false,
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .HandleResult(r => r.StatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout or HttpStatusCode.InternalServerError),
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();
    }

    public async Task<Settlement?> PayAsync(PaymentOrder order, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _pipeline.ExecuteAsync(
                async ct => await _http.PostAsJsonAsync("payments", new { key = order.Key, payee = order.Payee, amount = order.Amount }, ct), cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return null;
            }
            var body = await response.Content.ReadFromJsonAsync<PaymentAnswer>(cancellationToken);
            return body is null ? null : new Settlement(body.Reference, body.Key, order.Payee, body.Amount);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutRejectedException)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<Settlement>> StatementAsync(CancellationToken cancellationToken)
    {
        var statement = await _http.GetFromJsonAsync<StatementAnswer>("statement", cancellationToken);
        return statement?.Lines ?? [];
    }

    private sealed record PaymentAnswer(string Reference, string Key, decimal Amount);

    private sealed record StatementAnswer(IReadOnlyList<Settlement> Lines);
}

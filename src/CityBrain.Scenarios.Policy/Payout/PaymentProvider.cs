using System.Net;
using System.Net.Http.Json;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace CityBrain.Scenarios.Policy.Payout;

/// <summary>
/// One payment order: the idempotency key is the payout's id, so a repeated order can never pay twice. <see cref="Account"/>:
/// the account the payee confirmed; null pays into the account the bank holds on file.
/// </summary>
internal sealed record PaymentOrder(string Key, string Payee, decimal Amount, string? Account = null);

/// <summary>A settled payment as the bank reports it.</summary>
internal sealed record Settlement(string Reference, string Key, string Payee, decimal Amount);

/// <summary>The bank behind the payouts (代发): pay once per key, and list what was settled.</summary>
internal interface IPaymentProvider
{
    /// <summary>Settles the order or answers null when the bank could not be reached after the retries (the payout stays reserved).</summary>
    Task<Settlement?> PayAsync(PaymentOrder order, CancellationToken cancellationToken);

    Task<IReadOnlyList<Settlement>> StatementAsync(CancellationToken cancellationToken);
}

/// <summary>The bank's answer about an account: held by that person under that name (masked), or the bank's reason why not.</summary>
internal sealed record AccountAnswer(bool Verified, string? AccountMasked, string? Problem);

/// <summary>The bank's account checks (the citizen's one confirmation): the account on file, and whether an account is a person's.</summary>
internal interface IBankAccounts
{
    /// <summary>The holder's account on file, masked; null when the bank holds none.</summary>
    Task<string?> AccountOnFileAsync(string holderId, CancellationToken cancellationToken);

    Task<AccountAnswer> VerifyAsync(string account, string holderId, string holderName, CancellationToken cancellationToken);
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
internal sealed class HttpBankProvider : IPaymentProvider, IBankAccounts
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
                async ct => await _http.PostAsJsonAsync("payments", new { key = order.Key, payee = order.Payee, amount = order.Amount, account = order.Account }, ct), cancellationToken);
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

    public async Task<string?> AccountOnFileAsync(string holderId, CancellationToken cancellationToken)
    {
        using var response = await _pipeline.ExecuteAsync(async ct => await _http.GetAsync($"holders/{Uri.EscapeDataString(holderId)}/account", ct), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<AccountBody>(cancellationToken))?.AccountMasked;
    }

    public async Task<AccountAnswer> VerifyAsync(string account, string holderId, string holderName, CancellationToken cancellationToken)
    {
        using var response = await _pipeline.ExecuteAsync(
            async ct => await _http.PostAsJsonAsync("accounts/verify", new { account, holderId, holderName }, ct), cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest)
        {
            return new AccountAnswer(false, null, (await response.Content.ReadFromJsonAsync<ErrorBody>(cancellationToken))?.Error ?? "the bank refused the account");
        }
        response.EnsureSuccessStatusCode();
        return new AccountAnswer(true, (await response.Content.ReadFromJsonAsync<AccountBody>(cancellationToken))?.AccountMasked, null);
    }

    private sealed record AccountBody(string Bank, string AccountMasked);

    private sealed record ErrorBody(string Error);

    private sealed record PaymentAnswer(string Reference, string Key, decimal Amount);

    private sealed record StatementAnswer(IReadOnlyList<Settlement> Lines);
}

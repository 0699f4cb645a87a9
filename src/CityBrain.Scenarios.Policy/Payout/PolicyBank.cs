namespace CityBrain.Scenarios.Policy.Payout;

/// <summary>Options of policy direct-reach on a node (configuration section <c>Policy</c>).</summary>
internal sealed class PolicyOptions
{
    public const string Section = "Policy";

    /// <summary>
    /// The bank the node checks citizens' accounts with and pays confirmed payouts through at once. Default none: account
    /// confirmations are refused with 503 (`citybrain serve` on the demo city starts the demo bank and sets this).
    /// </summary>
    public Uri? BankUrl { get; set; }
}

/// <summary>The node's connection to the bank (one HTTP client for its life); both parts null when no bank is configured.</summary>
internal sealed class PolicyBank : IDisposable
{
    private readonly HttpClient? _http;

    public PolicyBank(Microsoft.Extensions.Options.IOptions<PolicyOptions> options, TimeProvider time)
    {
        if (options.Value.BankUrl is not { } url)
        {
            return;
        }
        _http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(1) };
        var provider = new HttpBankProvider(_http, BankOptions.Default, time);
        (Payments, Accounts) = (provider, provider);
    }

    public IPaymentProvider? Payments { get; }

    public IBankAccounts? Accounts { get; }

    public void Dispose() => _http?.Dispose();
}

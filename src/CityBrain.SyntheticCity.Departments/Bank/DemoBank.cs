using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CityBrain.Kernel.Identifiers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.SyntheticCity.Departments.Bank;

/// <summary>How unreliable the demo bank is. The fate of each call is drawn from the seed, the payment key and the attempt number.</summary>
public sealed class DemoBankOptions
{
    /// <summary>Seed of the failures. Default 1.</summary>
    public long Seed { get; set; } = 1;

    /// <summary>Share of calls refused with 503 before anything happens. Default 10 %.</summary>
    public double FailureRate { get; set; } = 0.10;

    /// <summary>Share of calls that settle the payment and then answer too late for the caller (the worst case). Default 5 %.</summary>
    public double TimeoutRate { get; set; } = 0.05;

    /// <summary>How long a timing-out call holds its answer. Default 3 s.</summary>
    public TimeSpan Hang { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Time every call takes. Default none.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.Zero;

    /// <summary>The bank's clock (settlement times). Default the system's.</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>
    /// The city whose residents hold accounts here (its <c>truth/residents.csv</c>: ID and name), opened on the first
    /// account request. Default none: the bank knows no accounts, and pays orders that name none.
    /// </summary>
    public string? CityDirectory { get; set; }
}

/// <summary>
/// The demo city's bank (代发银行): its own HTTP service on a loopback port, its own SQLite file, outside the platform.
/// <c>POST /payments</c> <c>{ key, payee, amount }</c> settles a payment once per key (a repeated key answers the first
/// settlement, <c>duplicate: true</c>; the same key with another payee or amount is a 409); <c>GET /statement</c> lists every
/// settlement. A seeded share of calls fails (503) or settles and then hangs past the caller's timeout.
/// Accounts (<see cref="DemoBankOptions.CityDirectory"/>): every resident holds two, numbered by <see cref="AccountNumber"/>;
/// the first is the account on file for payouts (the social security card's). <c>GET /holders/{id}/account</c> answers it
/// masked; <c>POST /accounts/verify</c> <c>{ account, holderId, holderName }</c> says whether the account exists and belongs
/// to that person under that name; a payment order naming an <c>account</c> is paid into it only when it is the payee's.
/// Names and account numbers are masked in every log line.
/// </summary>
public sealed partial class DemoBank : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DemoBank(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    /// <summary>The demo bank's code, the one bank the citizen portal offers.</summary>
    public const string BankCode = "CBDB";

    /// <summary>
    /// The demo bank's numbering: 19 digits, its issuer prefix 621799, 12 digits drawn from the holder's ID and the account's
    /// ordinal (0 is the account on file), and a Luhn check digit, like the debit cards of Chinese banks.
    /// </summary>
    public static string AccountNumber(string holderId, int ordinal)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"account|{holderId}|{ordinal}")));
        var body = "621799" + (BitConverter.ToUInt64(hash, 0) % 1_000_000_000_000UL).ToString("D12", CultureInfo.InvariantCulture);
        return body + BankCardNumber.ComputeCheckDigit(body);
    }

    /// <summary>Starts the bank on a new loopback port, its ledger in <c>DATA/bank/bank.db</c> (kept across starts).</summary>
    public static async Task<DemoBank> StartAsync(string dataDirectory, DemoBankOptions options, CancellationToken cancellationToken)
    {
        var directory = Path.Combine(dataDirectory, "bank");
        Directory.CreateDirectory(directory);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(directory, "bank.db"), Pooling = true, DefaultTimeout = 30 }.ToString();
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = connection.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS settlements (reference INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, payee TEXT NOT NULL,
                    amount TEXT NOT NULL, settled_at TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS accounts (number TEXT PRIMARY KEY, holder_id TEXT NOT NULL, holder_name TEXT NOT NULL, on_file INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS accounts_holder ON accounts (holder_id);
                CREATE TABLE IF NOT EXISTS settlement_accounts (key TEXT PRIMARY KEY, account TEXT NOT NULL);
                """;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        var app = builder.Build();
        var attempts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var gate = new SemaphoreSlim(1, 1);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("CityBrain.DemoBank");
        var accountsOpened = false;

        // Opens the city's residents' accounts once, on the first request that needs them (the city may be generated
        // after the bank starts). Under the writers' gate.
        async Task OpenAccountsAsync(SqliteConnection connection, CancellationToken ct)
        {
            if (accountsOpened || options.CityDirectory is null)
            {
                return;
            }
            var residents = Path.Combine(options.CityDirectory, "truth", "residents.csv");
            if (!File.Exists(residents))
            {
                return;
            }
            await using (var count = connection.CreateCommand())
            {
                count.CommandText = "SELECT COUNT(*) FROM accounts";
                if ((long)(await count.ExecuteScalarAsync(ct))! > 0)
                {
                    accountsOpened = true;
                    return;
                }
            }
            await using var transaction = connection.BeginTransaction();
            await using var insert = connection.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = "INSERT OR IGNORE INTO accounts (number, holder_id, holder_name, on_file) VALUES ($number, $id, $name, $onFile)";
            var number = insert.Parameters.Add("$number", SqliteType.Text);
            var id = insert.Parameters.Add("$id", SqliteType.Text);
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var onFile = insert.Parameters.Add("$onFile", SqliteType.Integer);
            using var reader = new StreamReader(residents);
            var csv = new Hosting.CsvReader(reader);
            var header = csv.ReadRecord() ?? [];
            var (idColumn, nameColumn) = (header.IndexOf("resident_id"), header.IndexOf("name"));
            while (csv.ReadRecord() is { } row)
            {
                for (var ordinal = 0; ordinal < 2; ordinal++)
                {
                    (number.Value, id.Value, name.Value, onFile.Value) = (AccountNumber(row[idColumn], ordinal), row[idColumn], row[nameColumn], ordinal == 0 ? 1 : 0);
                    await insert.ExecuteNonQueryAsync(ct);
                }
            }
            await transaction.CommitAsync(ct);
            accountsOpened = true;
        }

        async Task<SqliteConnection> OpenWithAccountsAsync(CancellationToken ct)
        {
            var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(ct);
            await gate.WaitAsync(ct);
            try
            {
                await OpenAccountsAsync(connection, ct);
            }
            finally
            {
                gate.Release();
            }
            return connection;
        }

        app.MapGet("/holders/{holderId}/account", async (string holderId, HttpContext context) =>
        {
            await using var connection = await OpenWithAccountsAsync(context.RequestAborted);
            var account = await FindAccountAsync(connection, "holder_id = $value AND on_file = 1", holderId, context.RequestAborted);
            return account is null
                ? Results.Json(new { error = "no account on file for this holder" }, statusCode: 404)
                : Results.Json(new { bank = BankCode, accountMasked = Mask(account.Number) });
        });

        app.MapPost("/accounts/verify", async (AccountCheck check, HttpContext context) =>
        {
            var ct = context.RequestAborted;
            if (!BankCardNumber.TryParse(check.Account, out var card, out var error))
            {
                return Results.Json(new { error = "account: " + error }, statusCode: 400);
            }
            await using var connection = await OpenWithAccountsAsync(ct);
            var account = await FindAccountAsync(connection, "number = $value", card.Value, ct);
            var outcome = account is null ? "no-such-account"
                : account.HolderId != check.HolderId ? "other-holder"
                : account.HolderName != check.HolderName?.Trim() ? "name-mismatch"
                : "verified";
            LogVerification(log, card.Masked, MaskName(check.HolderName), outcome);
            return outcome switch
            {
                "no-such-account" => Results.Json(new { error = $"{BankCode} holds no account {card.Masked}" }, statusCode: 404),
                // Whose account it is stays the bank's secret: both refusals say only that it is not this person's.
                "other-holder" or "name-mismatch" => Results.Json(new { error = $"account {card.Masked} is not held by this person under the name given" }, statusCode: 422),
                _ => Results.Json(new { bank = BankCode, accountMasked = card.Masked }),
            };
        });

        app.MapPost("/payments", async (PaymentOrder order, HttpContext context) =>
        {
            var ct = context.RequestAborted;
            if (string.IsNullOrWhiteSpace(order.Key) || string.IsNullOrWhiteSpace(order.Payee) || order.Amount <= 0)
            {
                return Results.Json(new { error = "key, payee and a positive amount are required" }, statusCode: 400);
            }
            if (order.Account is not null)
            {
                // Paid into a named account only when it is the payee's own.
                await using var accounts = await OpenWithAccountsAsync(ct);
                if (await FindAccountAsync(accounts, "number = $value", order.Account, ct) is not { } account || account.HolderId != order.Payee)
                {
                    return Results.Json(new { error = $"account {Mask(order.Account)} is not the payee's" }, statusCode: 422);
                }
            }
            if (options.Latency > TimeSpan.Zero)
            {
                await Task.Delay(options.Latency, options.Time, ct);
            }
            var attempt = attempts.AddOrUpdate(order.Key, 1, (_, n) => n + 1);
            var fate = Fate(options.Seed, order.Key, attempt);
            if (fate < options.FailureRate)
            {
                return Results.Json(new { error = "service temporarily unavailable" }, statusCode: 503);
            }
            Settlement settlement;
            bool duplicate;
            // One writer at a time: SQLite's own lock would do, but this keeps "look up, then insert" atomic without retries.
            await gate.WaitAsync(ct);
            try
            {
                await using var connection = new SqliteConnection(connectionString);
                await connection.OpenAsync(ct);
                var existing = await FindAsync(connection, order.Key, ct);
                duplicate = existing is not null;
                if (existing is not null && (existing.Payee != order.Payee || existing.Amount != order.Amount))
                {
                    return Results.Json(new { error = $"key {order.Key} was settled with another payee or amount" }, statusCode: 409);
                }
                if (existing is null)
                {
                    await using var insert = connection.CreateCommand();
                    insert.CommandText = "INSERT INTO settlements (key, payee, amount, settled_at) VALUES ($key, $payee, $amount, $at)";
                    insert.Parameters.AddWithValue("$key", order.Key);
                    insert.Parameters.AddWithValue("$payee", order.Payee);
                    insert.Parameters.AddWithValue("$amount", order.Amount.ToString("0.00", CultureInfo.InvariantCulture));
                    insert.Parameters.AddWithValue("$at", options.Time.GetUtcNow().ToString("O", CultureInfo.InvariantCulture));
                    await insert.ExecuteNonQueryAsync(ct);
                    if (order.Account is not null)
                    {
                        await using var into = connection.CreateCommand();
                        into.CommandText = "INSERT INTO settlement_accounts (key, account) VALUES ($key, $account)";
                        into.Parameters.AddWithValue("$key", order.Key);
                        into.Parameters.AddWithValue("$account", order.Account);
                        await into.ExecuteNonQueryAsync(ct);
                    }
                    existing = await FindAsync(connection, order.Key, ct);
                }
                settlement = existing!;
            }
            finally
            {
                gate.Release();
            }
            if (fate < options.FailureRate + options.TimeoutRate)
            {
                await Task.Delay(options.Hang, options.Time, ct); // settled, but the caller gives up before hearing it
            }
            return Results.Json(new { reference = settlement.Reference, key = settlement.Key, amount = settlement.Amount, duplicate, status = "settled" });
        });

        app.MapGet("/statement", async (HttpContext context) =>
        {
            await using var connection = new SqliteConnection(connectionString);
            await connection.OpenAsync(context.RequestAborted);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT s.reference, s.key, s.payee, s.amount, a.account FROM settlements s LEFT JOIN settlement_accounts a ON a.key = s.key ORDER BY s.reference";
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            var lines = new List<object>();
            while (await reader.ReadAsync(context.RequestAborted))
            {
                var settlement = Read(reader);
                // The account paid into, when the order named one (else the payee's account on file).
                lines.Add(new { settlement.Reference, settlement.Key, settlement.Payee, settlement.Amount, Account = reader.IsDBNull(4) ? null : reader.GetString(4) });
            }
            return Results.Json(new { lines });
        });

        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DemoBank(app, new Uri(address + "/"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A number in [0, 1) from the seed, the key and the attempt: the same call has the same fate on every run.</summary>
    private static double Fate(long seed, string key, int attempt)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{seed}|{key}|{attempt}")));
        return (BitConverter.ToUInt64(hash, 0) >> 11) / (double)(1UL << 53);
    }

    private static async Task<Settlement?> FindAsync(SqliteConnection connection, string key, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT reference, key, payee, amount FROM settlements WHERE key = $key";
        command.Parameters.AddWithValue("$key", key);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    private static async Task<Account?> FindAccountAsync(SqliteConnection connection, string where, string value, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT number, holder_id, holder_name FROM accounts WHERE " + where;
        command.Parameters.AddWithValue("$value", value);
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? new Account(reader.GetString(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    private static string Mask(string account) => account.Length > 8 ? $"{account[..4]} **** {account[^4..]}" : "****";

    /// <summary>A name as logs show it: the family name, the rest starred (张**).</summary>
    private static string MaskName(string? name) => string.IsNullOrEmpty(name) ? "" : name[..1] + new string('*', Math.Max(1, name.Length - 1));

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Account check {Account} for {HolderName}: {Outcome}")]
    private static partial void LogVerification(ILogger logger, string account, string holderName, string outcome);

    private static Settlement Read(SqliteDataReader reader) =>
        new("B" + reader.GetInt64(0).ToString("D9", CultureInfo.InvariantCulture), reader.GetString(1), reader.GetString(2), decimal.Parse(reader.GetString(3), CultureInfo.InvariantCulture));

    private sealed record PaymentOrder(string Key, string Payee, decimal Amount, string? Account = null);

    private sealed record AccountCheck(string? Account, string? HolderId, string? HolderName);

    private sealed record Account(string Number, string HolderId, string HolderName);

    private sealed record Settlement(string Reference, string Key, string Payee, decimal Amount);
}

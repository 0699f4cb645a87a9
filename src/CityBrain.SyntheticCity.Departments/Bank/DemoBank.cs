using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
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
}

/// <summary>
/// The demo city's bank (代发银行): its own HTTP service on a loopback port, its own SQLite file, outside the platform.
/// <c>POST /payments</c> <c>{ key, payee, amount }</c> settles a payment once per key (a repeated key answers the first
/// settlement, <c>duplicate: true</c>; the same key with another payee or amount is a 409); <c>GET /statement</c> lists every
/// settlement. A seeded share of calls fails (503) or settles and then hangs past the caller's timeout.
/// </summary>
public sealed class DemoBank : IAsyncDisposable
{
    private readonly WebApplication _app;

    private DemoBank(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

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
                """;
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        var app = builder.Build();
        var attempts = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var gate = new SemaphoreSlim(1, 1);

        app.MapPost("/payments", async (PaymentOrder order, HttpContext context) =>
        {
            var ct = context.RequestAborted;
            if (string.IsNullOrWhiteSpace(order.Key) || string.IsNullOrWhiteSpace(order.Payee) || order.Amount <= 0)
            {
                return Results.Json(new { error = "key, payee and a positive amount are required" }, statusCode: 400);
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
            command.CommandText = "SELECT reference, key, payee, amount FROM settlements ORDER BY reference";
            await using var reader = await command.ExecuteReaderAsync(context.RequestAborted);
            var lines = new List<Settlement>();
            while (await reader.ReadAsync(context.RequestAborted))
            {
                lines.Add(Read(reader));
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

    private static Settlement Read(SqliteDataReader reader) =>
        new("B" + reader.GetInt64(0).ToString("D9", CultureInfo.InvariantCulture), reader.GetString(1), reader.GetString(2), decimal.Parse(reader.GetString(3), CultureInfo.InvariantCulture));

    private sealed record PaymentOrder(string Key, string Payee, decimal Amount);

    private sealed record Settlement(string Reference, string Key, string Payee, decimal Amount);
}

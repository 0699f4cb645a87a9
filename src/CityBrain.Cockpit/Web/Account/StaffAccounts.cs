using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using Dapper;

namespace CityBrain.Cockpit.Web.Account;

/// <summary>
/// Staff accounts, passwords stored as PBKDF2-SHA256 hashes. Demo accounts for local development (docs/cockpit.md):
/// leader / leader-demo, admin / admin-demo, auditor / auditor-demo, and operator@&lt;unit&gt; / operator-demo for every
/// unit in the registry (created the first time that operator signs in, since units are registered while the node runs).
/// </summary>
internal sealed partial class StaffAccounts(IOperationalStore store, IRegistryReader registry, TimeProvider time)
{
    public sealed record Staff(string Name, string Role, string? Unit);

    private const int Iterations = 100_000;

    private static readonly Dictionary<string, (string Password, string Role)> Demo = new(StringComparer.Ordinal)
    {
        ["leader"] = ("leader-demo", HubRoles.Leader),
        ["admin"] = ("admin-demo", HubRoles.Admin),
        ["auditor"] = ("auditor-demo", HubRoles.Auditor),
    };

    public const string OperatorDemoPassword = "operator-demo";

    public async Task EnsureDemoAccountsAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, (password, role)) in Demo)
        {
            await InsertIfMissingAsync(name, password, role, null, cancellationToken);
        }
    }

    /// <summary>The staff member, or null when the name is unknown or the password wrong (the caller is not told which).</summary>
    public async Task<Staff?> VerifyAsync(string name, string password, CancellationToken cancellationToken)
    {
        if (OperatorPattern().Match(name) is { Success: true } match &&
            await registry.FindUnitAsync(match.Groups["unit"].Value, cancellationToken) is not null)
        {
            await InsertIfMissingAsync(name, OperatorDemoPassword, HubRoles.UnitOperator, match.Groups["unit"].Value, cancellationToken);
        }
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<(string Hash, string Role, string? Unit)?>(new CommandDefinition(
            "SELECT password_hash, role, unit FROM cockpit_users WHERE name = @name", new { name }, cancellationToken: cancellationToken));
        return row is { } r && VerifyHash(password, r.Hash) ? new Staff(name, r.Role, r.Unit) : null;
    }

    private async Task InsertIfMissingAsync(string name, string password, string role, string? unit, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cockpit_users (name, password_hash, role, unit, created_at) VALUES (@name, @hash, @role, @unit, @now) ON CONFLICT (name) DO NOTHING",
            new { name, hash = Hash(password), role, unit, now = time.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }

    internal static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    internal static bool VerifyHash(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256" || !int.TryParse(parts[1], out var iterations))
        {
            return false;
        }
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, Convert.FromBase64String(parts[2]), iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    [GeneratedRegex("^operator@(?<unit>[a-z0-9_-]{1,32})$")]
    private static partial Regex OperatorPattern();
}

using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CityBrain.Hub.Security;

namespace CityBrain.Cockpit.Web.Account;

/// <summary>
/// Demo one-time codes for citizens and enterprise representatives: six digits derived from who signs in (the role and
/// the resident ID or credit code) and the current 5-minute window with the hub's token key. A real deployment sends the
/// code by SMS (to the citizen, or to the enterprise's registered legal representative); the demo shows it on the login page.
/// </summary>
internal sealed class OneTimeCodes(HubKeyring keyring, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public string Issue(string role, string subject) => CodeFor(role, subject, time.GetUtcNow().ToUnixTimeMilliseconds() / (long)Window.TotalMilliseconds);

    /// <summary>The code of this window or the one before, so that a code issued just before a window ends still works.</summary>
    public bool Verify(string role, string subject, string code)
    {
        var window = time.GetUtcNow().ToUnixTimeMilliseconds() / (long)Window.TotalMilliseconds;
        return Matches(CodeFor(role, subject, window), code) || Matches(CodeFor(role, subject, window - 1), code);
    }

    private static bool Matches(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(actual));

    private string CodeFor(string role, string subject, long window)
    {
        // The role is part of the message, so a citizen's code never signs an enterprise in, nor the other way round.
        var mac = HMACSHA256.HashData(keyring.TokenSigningKey, Encoding.UTF8.GetBytes($"{role}-code:{subject}:{window}"));
        return (BitConverter.ToUInt32(mac, 0) % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
    }
}

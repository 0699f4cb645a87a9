using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CityBrain.Hub.Security;

namespace CityBrain.Cockpit.Web.Account;

/// <summary>
/// Demo one-time codes for citizens: six digits derived from the resident ID and the current 5-minute window with the
/// hub's token key. A real deployment sends the code by SMS; the demo shows it on the login page.
/// </summary>
internal sealed class CitizenCodes(HubKeyring keyring, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    public string Issue(string residentId) => CodeFor(residentId, time.GetUtcNow().ToUnixTimeMilliseconds() / (long)Window.TotalMilliseconds);

    /// <summary>The code of this window or the one before, so that a code issued just before a window ends still works.</summary>
    public bool Verify(string residentId, string code)
    {
        var window = time.GetUtcNow().ToUnixTimeMilliseconds() / (long)Window.TotalMilliseconds;
        return Matches(CodeFor(residentId, window), code) || Matches(CodeFor(residentId, window - 1), code);
    }

    private static bool Matches(string expected, string actual) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(actual));

    private string CodeFor(string residentId, long window)
    {
        var mac = HMACSHA256.HashData(keyring.TokenSigningKey, Encoding.UTF8.GetBytes($"citizen-code:{residentId}:{window}"));
        return (BitConverter.ToUInt32(mac, 0) % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
    }
}

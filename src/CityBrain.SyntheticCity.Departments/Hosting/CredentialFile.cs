using System.Security.Cryptography;
using System.Text.Json;

namespace CityBrain.SyntheticCity.Departments.Hosting;

/// <summary>What the hub sends to one department: a header and its value. A secret: never logged.</summary>
internal sealed record DepartmentCredential(string Header, string Value);

/// <summary>
/// <c>data/departments/credentials.json</c>: each department's secret, made at random on first start and kept, so that
/// the same data folder keeps the same credentials and no secret is written in source.
/// </summary>
internal static class CredentialFile
{
    private sealed record Entry(string Kind, string Header, string Secret);

    public static async Task<Dictionary<string, DepartmentCredential>> LoadOrCreateAsync(string path, IEnumerable<Department> departments,
        CancellationToken cancellationToken)
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            await using var stream = File.OpenRead(path);
            entries = await JsonSerializer.DeserializeAsync<Dictionary<string, Entry>>(stream, JsonSerializerOptions.Web, cancellationToken)
                ?? throw new InvalidDataException($"{path} is empty");
        }
        var changed = false;
        var credentials = new Dictionary<string, DepartmentCredential>(StringComparer.Ordinal);
        foreach (var department in departments)
        {
            var style = department.Credential;
            if (!entries.TryGetValue(department.Code, out var entry) || entry.Kind != style.Kind || entry.Header != style.Header)
            {
                entry = new Entry(style.Kind, style.Header, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24)));
                entries[department.Code] = entry;
                changed = true;
            }
            credentials[department.Code] = new DepartmentCredential(style.Header, style.ValueFor(entry.Secret));
        }
        if (changed)
        {
            var temporary = path + ".tmp";
            await File.WriteAllBytesAsync(temporary, JsonSerializer.SerializeToUtf8Bytes(entries, new JsonSerializerOptions(JsonSerializerOptions.Web) { WriteIndented = true }), cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            File.Move(temporary, path, overwrite: true);
        }
        return credentials;
    }
}

using System.Data.Common;
using System.Text.Json;
using CityBrain.Kernel.Storage;
using Dapper;

namespace CityBrain.Hub.Registry;

/// <summary>The registry's tables. Writes take an open transaction so that a whole file lands or nothing does.</summary>
internal sealed class RegistryStore(IOperationalStore store) : IRegistryReader
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public IOperationalStore Store => store;

    public async Task<Unit?> FindUnitAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<UnitRow>(new CommandDefinition(
            "SELECT code, name, division_code, parent FROM hub_units WHERE code = @code", new { code }, cancellationToken: cancellationToken)))
            .Select(r => r.ToUnit()).FirstOrDefault();
    }

    public async Task<IReadOnlyList<Unit>> ListUnitsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<UnitRow>(new CommandDefinition(
            "SELECT code, name, division_code, parent FROM hub_units ORDER BY code", cancellationToken: cancellationToken)))
            .Select(r => r.ToUnit()).ToList();
    }

    public async Task<RegisteredSystem?> FindSystemAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<SystemRow>(new CommandDefinition(
            "SELECT code, unit, name, base_url, credentials, timeout_ms FROM hub_systems WHERE code = @code", new { code }, cancellationToken: cancellationToken)))
            .Select(r => r.ToSystem()).FirstOrDefault();
    }

    public async Task<string?> FindClientSecretHashAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            "SELECT client_secret_hash FROM hub_systems WHERE code = @code", new { code }, cancellationToken: cancellationToken));
    }

    public async Task<RegisteredInterface?> FindInterfaceAsync(string system, string code, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<InterfaceRow>(new CommandDefinition(
            "SELECT system, code, name, method, path, sharing, parameters, fields FROM hub_interfaces WHERE system = @system AND code = @code",
            new { system, code }, cancellationToken: cancellationToken)))
            .Select(r => r.ToInterface()).FirstOrDefault();
    }

    public async Task<IReadOnlyList<RegisteredSystem>> ListSystemsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<SystemRow>(new CommandDefinition(
            "SELECT code, unit, name, base_url, credentials, timeout_ms FROM hub_systems ORDER BY code", cancellationToken: cancellationToken)))
            .Select(r => r.ToSystem()).ToList();
    }

    public async Task<IReadOnlyList<RegisteredInterface>> ListInterfacesAsync(string? system, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var sql = "SELECT system, code, name, method, path, sharing, parameters, fields FROM hub_interfaces"
            + (system is null ? "" : " WHERE system = @system") + " ORDER BY system, code";
        return (await connection.QueryAsync<InterfaceRow>(new CommandDefinition(sql, new { system }, cancellationToken: cancellationToken)))
            .Select(r => r.ToInterface()).ToList();
    }

    public async Task<long> CountInterfacesAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT COUNT(*) FROM hub_interfaces", cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<Dataset>> ListDatasetsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<DatasetRow>(new CommandDefinition(
            "SELECT code, unit, name, description, update_frequency, sharing, is_open, fields FROM hub_datasets ORDER BY code", cancellationToken: cancellationToken)))
            .Select(r => r.ToDataset()).ToList();
    }

    public async Task<Dataset?> FindDatasetAsync(string code, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<DatasetRow>(new CommandDefinition(
            "SELECT code, unit, name, description, update_frequency, sharing, is_open, fields FROM hub_datasets WHERE code = @code",
            new { code }, cancellationToken: cancellationToken)))
            .Select(r => r.ToDataset()).FirstOrDefault();
    }

    public static Task UpsertUnitsAsync(DbTransaction tx, IEnumerable<Unit> units, long now, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO hub_units (code, name, division_code, parent, updated_at) VALUES (@Code, @Name, @DivisionCode, @Parent, @now)
            ON CONFLICT (code) DO UPDATE SET name = excluded.name, division_code = excluded.division_code, parent = excluded.parent, updated_at = excluded.updated_at
            """,
            units.Select(u => new { u.Code, u.Name, u.DivisionCode, u.Parent, now }), tx, cancellationToken: cancellationToken));

    public static Task UpsertSystemsAsync(DbTransaction tx, IEnumerable<(RegisteredSystem System, string? SecretHash)> systems, long now, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO hub_systems (code, unit, name, base_url, credentials, client_secret_hash, timeout_ms, updated_at)
            VALUES (@Code, @Unit, @Name, @BaseUrl, @Credentials, @SecretHash, @TimeoutMs, @now)
            ON CONFLICT (code) DO UPDATE SET unit = excluded.unit, name = excluded.name, base_url = excluded.base_url,
                credentials = COALESCE(excluded.credentials, hub_systems.credentials),
                client_secret_hash = COALESCE(hub_systems.client_secret_hash, excluded.client_secret_hash),
                timeout_ms = excluded.timeout_ms, updated_at = excluded.updated_at
            """,
            systems.Select(s => new
            {
                s.System.Code, s.System.Unit, s.System.Name, s.System.BaseUrl,
                Credentials = s.System.Credentials is null ? null : JsonSerializer.Serialize(s.System.Credentials, Json),
                s.SecretHash, s.System.TimeoutMs, now,
            }), tx, cancellationToken: cancellationToken));

    public static Task UpsertInterfacesAsync(DbTransaction tx, IEnumerable<RegisteredInterface> interfaces, long now, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO hub_interfaces (system, code, name, method, path, sharing, parameters, fields, updated_at)
            VALUES (@System, @Code, @Name, @Method, @Path, @Sharing, @Parameters, @Fields, @now)
            ON CONFLICT (system, code) DO UPDATE SET name = excluded.name, method = excluded.method, path = excluded.path,
                sharing = excluded.sharing, parameters = excluded.parameters, fields = excluded.fields, updated_at = excluded.updated_at
            """,
            interfaces.Select(i => new
            {
                i.System, i.Code, i.Name, i.Method, i.Path,
                Sharing = RegistryValidator.SharingName(i.Sharing),
                Parameters = JsonSerializer.Serialize(i.Parameters, Json),
                Fields = JsonSerializer.Serialize(i.Fields, Json),
                now,
            }), tx, cancellationToken: cancellationToken));

    public static Task UpsertDatasetsAsync(DbTransaction tx, IEnumerable<Dataset> datasets, long now, CancellationToken cancellationToken) =>
        tx.Connection!.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO hub_datasets (code, unit, name, description, update_frequency, sharing, is_open, fields, updated_at)
            VALUES (@Code, @Unit, @Name, @Description, @UpdateFrequency, @Sharing, @IsOpen, @Fields, @now)
            ON CONFLICT (code) DO UPDATE SET unit = excluded.unit, name = excluded.name, description = excluded.description,
                update_frequency = excluded.update_frequency, sharing = excluded.sharing, is_open = excluded.is_open,
                fields = excluded.fields, updated_at = excluded.updated_at
            """,
            datasets.Select(d => new
            {
                d.Code, d.Unit, d.Name, d.Description, d.UpdateFrequency,
                Sharing = RegistryValidator.SharingName(d.Sharing),
                IsOpen = d.Open ? 1 : 0,
                Fields = JsonSerializer.Serialize(d.Fields, Json),
                now,
            }), tx, cancellationToken: cancellationToken));

    /// <summary>Codes among <paramref name="codes"/> that exist in <paramref name="table"/> (a fixed name, never input).</summary>
    public static async Task<HashSet<string>> ExistingCodesAsync(DbTransaction tx, string table, IReadOnlyCollection<string> codes, CancellationToken cancellationToken)
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var chunk in codes.Distinct(StringComparer.Ordinal).Chunk(500))
        {
            var parameters = new DynamicParameters();
            var names = new List<string>(chunk.Length);
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters.Add($"c{i}", chunk[i]);
                names.Add($"@c{i}");
            }
            foreach (var code in await tx.Connection!.QueryAsync<string>(new CommandDefinition(
                $"SELECT code FROM {table} WHERE code IN ({string.Join(',', names)})", parameters, tx, cancellationToken: cancellationToken)))
            {
                found.Add(code);
            }
        }
        return found;
    }

    /// <summary>The unit that owns each system named (for authorisation of a change).</summary>
    public static async Task<Dictionary<string, string>> SystemUnitsAsync(DbTransaction tx, IReadOnlyCollection<string> codes, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var chunk in codes.Distinct(StringComparer.Ordinal).Chunk(500))
        {
            var parameters = new DynamicParameters();
            var names = new List<string>(chunk.Length);
            for (var i = 0; i < chunk.Length; i++)
            {
                parameters.Add($"c{i}", chunk[i]);
                names.Add($"@c{i}");
            }
            foreach (var (code, unit) in await tx.Connection!.QueryAsync<(string, string)>(new CommandDefinition(
                $"SELECT code, unit FROM hub_systems WHERE code IN ({string.Join(',', names)})", parameters, tx, cancellationToken: cancellationToken)))
            {
                result[code] = unit;
            }
        }
        return result;
    }

    private sealed class UnitRow
    {
        public string Code { get; set; } = "";
        public string Name { get; set; } = "";
        public string DivisionCode { get; set; } = "";
        public string? Parent { get; set; }

        public Unit ToUnit() => new(Code, Name, DivisionCode, Parent);
    }

    private sealed class SystemRow
    {
        public string Code { get; set; } = "";
        public string Unit { get; set; } = "";
        public string Name { get; set; } = "";
        public string BaseUrl { get; set; } = "";
        public string? Credentials { get; set; }
        public long TimeoutMs { get; set; }

        public RegisteredSystem ToSystem() => new(Code, Unit, Name, BaseUrl,
            Credentials is null ? null : JsonSerializer.Deserialize<ProviderCredentials>(Credentials, Json), (int)TimeoutMs);
    }

    private sealed class InterfaceRow
    {
        public string System { get; set; } = "";
        public string Code { get; set; } = "";
        public string Name { get; set; } = "";
        public string Method { get; set; } = "";
        public string Path { get; set; } = "";
        public string Sharing { get; set; } = "";
        public string Parameters { get; set; } = "";
        public string Fields { get; set; } = "";

        public RegisteredInterface ToInterface() => new(System, Code, Name, Method, Path,
            SharingFromName(Sharing),
            JsonSerializer.Deserialize<List<InterfaceParameter>>(Parameters, Json)!,
            JsonSerializer.Deserialize<List<InterfaceField>>(Fields, Json)!);
    }

    private sealed class DatasetRow
    {
        public string Code { get; set; } = "";
        public string Unit { get; set; } = "";
        public string Name { get; set; } = "";
        public string? Description { get; set; }
        public string UpdateFrequency { get; set; } = "";
        public string Sharing { get; set; } = "";
        public long IsOpen { get; set; }
        public string Fields { get; set; } = "";

        public Dataset ToDataset() => new(Code, Unit, Name, Description, UpdateFrequency, SharingFromName(Sharing), IsOpen != 0,
            JsonSerializer.Deserialize<List<InterfaceField>>(Fields, Json)!);
    }

    internal static SharingType SharingFromName(string name) => name switch
    {
        "unconditional" => SharingType.Unconditional,
        "conditional" => SharingType.Conditional,
        _ => SharingType.NotShared,
    };
}

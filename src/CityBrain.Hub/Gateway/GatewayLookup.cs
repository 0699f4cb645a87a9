using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.Json;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Storage;

namespace CityBrain.Hub.Gateway;

/// <summary>What one gateway call needs from the store: the interface, its provider system, and the caller's active grant.</summary>
internal sealed record GatewayRoute(RegisteredInterface Interface, RegisteredSystem Provider, Grant? Grant);

/// <summary>
/// Reads everything a gateway call needs in one prepared query, on every call: no row is cached, so a revoked grant
/// or a changed registry entry takes effect at once on every node. Three separate lookups cost three connection
/// set-ups and three statement compilations per call, the largest single item of the hub's own work under load; see
/// docs/benchmarks.md. The JSON columns are parsed once per distinct text: the same text always parses alike.
/// </summary>
internal sealed class GatewayLookup(IOperationalStore store) : IAsyncDisposable
{
    private const string Sql =
        """
        SELECT i.name, i.method, i.path, i.sharing, i.parameters, i.fields,
               s.unit, s.name, s.base_url, s.credentials, s.timeout_ms,
               g.id, g.request_id, g.fields, g.masked_fields, g.purpose, g.daily_quota, g.granted_at, g.expires_at
        FROM hub_interfaces i
        JOIN hub_systems s ON s.code = i.system
        LEFT JOIN hub_grants g ON g.id = (
            SELECT id FROM hub_grants
            WHERE consumer = @consumer AND resource = @resource AND revoked_at IS NULL AND expires_at > @now
            ORDER BY granted_at DESC LIMIT 1)
        WHERE i.system = @system AND i.code = @code
        """;

    /// <summary>Connections kept open for lookups; more concurrent calls than this open and close their own.</summary>
    private static readonly int MaxIdle = Environment.ProcessorCount * 4;

    private readonly ParsedJson<IReadOnlyList<InterfaceParameter>> _parameters = new(text => JsonSerializer.Deserialize<List<InterfaceParameter>>(text, RegistryStore.Json)!);
    private readonly ParsedJson<IReadOnlyList<InterfaceField>> _fields = new(text => JsonSerializer.Deserialize<List<InterfaceField>>(text, RegistryStore.Json)!);
    private readonly ParsedJson<ProviderCredentials> _credentials = new(text => JsonSerializer.Deserialize<ProviderCredentials>(text, RegistryStore.Json)!);
    private readonly ParsedJson<IReadOnlyList<string>> _names = new(text => JsonSerializer.Deserialize<List<string>>(text)!);

    private readonly ConcurrentBag<PreparedLookup> _idle = [];

    /// <summary>Null when <c>{system}/{code}</c> is not registered; <see cref="GatewayRoute.Grant"/> null when the consumer holds no active grant for it.</summary>
    public async Task<GatewayRoute?> FindAsync(string system, string code, string consumer, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var lookup = _idle.TryTake(out var idle) ? idle : await PreparedLookup.OpenAsync(store, cancellationToken);
        try
        {
            var route = await ReadAsync(lookup, system, code, consumer, now, cancellationToken);
            if (!TryKeep(lookup))
            {
                await lookup.DisposeAsync();
            }
            return route;
        }
        catch
        {
            // A connection that failed is not trusted again; the next call opens a fresh one.
            await lookup.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        while (_idle.TryTake(out var lookup))
        {
            await lookup.DisposeAsync();
        }
    }

    private bool TryKeep(PreparedLookup lookup)
    {
        if (_idle.Count >= MaxIdle)
        {
            return false;
        }
        _idle.Add(lookup);
        return true;
    }

    private async Task<GatewayRoute?> ReadAsync(PreparedLookup lookup, string system, string code, string consumer, DateTimeOffset now, CancellationToken cancellationToken)
    {
        lookup.System.Value = system;
        lookup.Code.Value = code;
        lookup.Consumer.Value = consumer;
        lookup.Resource.Value = $"{system}/{code}";
        lookup.Now.Value = now.ToUnixTimeMilliseconds();
        // The reader is closed before the connection is reused: no read transaction outlives the call.
        await using var reader = await lookup.Command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var registered = new RegisteredInterface(system, code, reader.GetString(0), reader.GetString(1), reader.GetString(2),
            RegistryStore.SharingFromName(reader.GetString(3)), _parameters.Get(reader.GetString(4)), _fields.Get(reader.GetString(5)));
        var provider = new RegisteredSystem(system, reader.GetString(6), reader.GetString(7), reader.GetString(8),
            reader.IsDBNull(9) ? null : _credentials.Get(reader.GetString(9)), (int)reader.GetInt64(10));
        var grant = reader.IsDBNull(11) ? null : new Grant(reader.GetString(11), reader.GetString(12), consumer, registered.Resource,
            _names.Get(reader.GetString(13)), _names.Get(reader.GetString(14)), reader.GetString(15),
            reader.IsDBNull(16) ? null : reader.GetInt64(16),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(17)), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(18)), null);
        return new GatewayRoute(registered, provider, grant);
    }

    /// <summary>
    /// An open connection with the lookup prepared on it. Kept between calls so that a call pays neither the
    /// connection set-up nor the statement's compilation; it holds no transaction, so every call reads the latest commit.
    /// </summary>
    private sealed class PreparedLookup : IAsyncDisposable
    {
        private readonly DbConnection _connection;

        private PreparedLookup(DbConnection connection, DbCommand command)
        {
            _connection = connection;
            Command = command;
            command.CommandText = Sql;
            System = Add("system");
            Code = Add("code");
            Consumer = Add("consumer");
            Resource = Add("resource");
            Now = Add("now");
        }

        public DbCommand Command { get; }

        public DbParameter System { get; }

        public DbParameter Code { get; }

        public DbParameter Consumer { get; }

        public DbParameter Resource { get; }

        public DbParameter Now { get; }

        public static async Task<PreparedLookup> OpenAsync(IOperationalStore store, CancellationToken cancellationToken)
        {
            var connection = await store.OpenConnectionAsync(cancellationToken);
            try
            {
                var lookup = new PreparedLookup(connection, connection.CreateCommand());
                lookup.System.Value = lookup.Code.Value = lookup.Consumer.Value = lookup.Resource.Value = "";
                lookup.Now.Value = 0L;
                await lookup.Command.PrepareAsync(cancellationToken);
                return lookup;
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
        }

        private DbParameter Add(string name)
        {
            var parameter = Command.CreateParameter();
            parameter.ParameterName = name;
            Command.Parameters.Add(parameter);
            return parameter;
        }

        public async ValueTask DisposeAsync()
        {
            await Command.DisposeAsync();
            await _connection.DisposeAsync();
        }
    }

    /// <summary>Parsed values by their JSON text. Bounded: a registry rewritten many times cannot grow it without limit.</summary>
    private sealed class ParsedJson<T>(Func<string, T> parse)
    {
        private const int MaxEntries = 50_000;
        private readonly ConcurrentDictionary<string, T> _byText = new(StringComparer.Ordinal);

        public T Get(string text)
        {
            if (_byText.TryGetValue(text, out var value))
            {
                return value;
            }
            if (_byText.Count >= MaxEntries)
            {
                _byText.Clear();
            }
            return _byText.GetOrAdd(text, parse);
        }
    }
}

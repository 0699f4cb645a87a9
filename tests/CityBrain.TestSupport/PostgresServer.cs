using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace CityBrain.TestSupport;

/// <summary>
/// A throwaway PostgreSQL cluster started from the installed binaries (initdb, pg_ctl) on a free loopback
/// port, once per test process, and removed when the process exits. Its databases may CREATE EXTENSION postgis
/// (./test.sh installs PostGIS for the installed major version). PostgreSQL refuses to run as root, so
/// as root the cluster belongs to the 'postgres' user.
/// </summary>
public sealed class PostgresServer
{
    private static readonly Lazy<PostgresServer> Shared = new(Start, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly string _directory;
    private readonly string _binaries;

    private PostgresServer(string directory, string binaries, int port)
    {
        _directory = directory;
        _binaries = binaries;
        Port = port;
    }

    public int Port { get; }

    public static PostgresServer Instance => Shared.Value;

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=true;Maximum Pool Size=20;Timeout=30";

    /// <summary>Creates an empty database and answers its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken = default)
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
        return ConnectionString(name);
    }

    /// <summary>
    /// Creates an empty database owned by a new role that is not a superuser, as a managed PostgreSQL hands out, and
    /// answers a connection string logging in as that role: it may not CREATE EXTENSION postgis (not a trusted extension).
    /// </summary>
    public async Task<string> CreateDatabaseWithoutSuperuserAsync(CancellationToken cancellationToken = default)
    {
        var name = "t_" + Guid.NewGuid().ToString("N")[..16];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        foreach (var sql in new[] { $"CREATE ROLE {name} LOGIN NOSUPERUSER", $"CREATE DATABASE {name} OWNER {name}" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        return ConnectionString(name).Replace("Username=postgres", $"Username={name}", StringComparison.Ordinal);
    }

    private static PostgresServer Start()
    {
        var binaries = FindBinaries();
        var directory = Path.Combine(Path.GetTempPath(), "citybrain-pg-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(directory);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            Run("chown", $"postgres:postgres {directory}", asRoot: false);
        }
        var data = Path.Combine(directory, "data");
        var port = FreePort();
        Run(Path.Combine(binaries, "initdb"), $"-D {data} -U postgres --auth=trust -E UTF8 --no-sync", asRoot);
        File.AppendAllText(Path.Combine(data, "postgresql.conf"),
            $"\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{directory}'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 300\nshared_buffers = 128MB\n");
        Run(Path.Combine(binaries, "pg_ctl"), $"-D {data} -l {Path.Combine(directory, "log.txt")} -w -t 60 start", asRoot);
        var server = new PostgresServer(directory, binaries, port);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Stop();
        return server;
    }

    /// <summary>
    /// Runs at process exit, where xUnit allows only 10 seconds before it fails the run ("foreground threads were left
    /// running"): stopping a loaded cluster and deleting hundreds of test databases can take longer, so both are handed
    /// to a detached shell that outlives this process.
    /// </summary>
    private void Stop()
    {
        var stop = $"{Path.Combine(_binaries, "pg_ctl")} -D {Path.Combine(_directory, "data")} -m immediate -w stop";
        if (Environment.UserName == "root")
        {
            stop = $"runuser -u postgres -- {stop}";
        }
        var cleanup = new ProcessStartInfo("setsid", ["sh", "-c", $"{stop} >/dev/null 2>&1; rm -rf '{_directory}'"])
        {
            RedirectStandardOutput = false,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        using var process = Process.Start(cleanup);
    }

    private static string FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        var candidates = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "pg_ctl"))).OrderDescending().ToList()
            : [];
        return candidates.FirstOrDefault()
            ?? throw new InvalidOperationException("PostgreSQL server binaries were not found under /usr/lib/postgresql; ./test.sh installs them (apt-get install -y postgresql).");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void Run(string file, string arguments, bool asRoot)
    {
        var start = asRoot
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {error.Result}{output.Result}");
        }
    }
}

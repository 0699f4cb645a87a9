using System.Globalization;
using BenchmarkDotNet.Attributes;
using CityBrain.Cockpit;
using CityBrain.Cockpit.Supervision;
using CityBrain.Cockpit.Tasks;
using CityBrain.Hub;
using CityBrain.Hub.Registry;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Storage;
using CityBrain.Storage.Sqlite;
using Dapper;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CityBrain.Benchmarks.Cockpit;

/// <summary>
/// The supervision board over a city's worth of dispatched tasks on SQLite (it reads every task), and one dispatch
/// (task row, timeline row, audit record). See docs/benchmarks.md.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 5)]
public class SupervisionBenchmarks
{
    private static readonly Caller Leader = new("leader", HubRoles.Leader, null, null, null);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "citybrain-bench-cockpit-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
    private ServiceProvider _provider = null!;
    private SupervisionService _supervision = null!;
    private TaskService _tasks = null!;

    [Params(10_000, 100_000)]
    public int Tasks { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        Directory.CreateDirectory(_root);
        var store = new SqliteOperationalStore(Path.Combine(_root, $"cockpit-{Tasks}.db"));
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Cockpit:Tasks:AttachmentDirectory"] = Path.Combine(_root, "attachments") }).Build());
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IOperationalStore>(store);
        services.AddSingleton(sp => HubKeyring.LoadOrCreateAsync(sp.GetRequiredService<IOperationalStore>(), CancellationToken.None).GetAwaiter().GetResult());
        services.AddMetrics();
        services.AddHub();
        services.AddCockpitTasks();
        _provider = services.BuildServiceProvider();
        await MigrationRunner.ApplyAsync(store, _provider.GetServices<IMigrationSet>(), TimeProvider.System, CancellationToken.None);

        // 40 units (a city's bureaus and district offices); tasks spread over them in every state, some late, some overdue.
        var units = Enumerable.Range(0, 40).Select(i => new UnitSpec { Code = $"u{i:D2}", Name = $"单位{i}", DivisionCode = i % 2 == 0 ? "330100" : "330106" }).ToList();
        await _provider.GetRequiredService<IRegistryAdmin>().ApplyAsync(new RegistryManifest { Units = units }, new Caller("admin", HubRoles.Admin, null, null, null), CancellationToken.None);
        var now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        string[] states = [TaskState.Dispatched, TaskState.Accepted, TaskState.InProgress, TaskState.Completed, TaskState.Closed, TaskState.Closed, TaskState.Closed];
        await using var connection = await store.OpenConnectionAsync(CancellationToken.None);
        await using var tx = await connection.BeginTransactionAsync();
        var rows = Enumerable.Range(0, Tasks).Select(i =>
        {
            var dispatched = now - (long)(i % 60) * 86_400_000;
            var deadline = dispatched + (long)(1 + i % 5) * 86_400_000;
            var status = states[i % states.Length];
            long? completed = status is TaskState.Completed or TaskState.Closed ? dispatched + (long)(i % 7) * 86_400_000 : null;
            return new
            {
                id = $"task_{i:D7}", unit = $"u{i % 40:D2}", status, dispatched, deadline, completed,
                closed = status == TaskState.Closed ? completed + 3_600_000 : null,
            };
        });
        await connection.ExecuteAsync(
            """
            INSERT INTO cockpit_tasks (id, title, instructions, unit, status, source, source_ref, dispatched_by, dispatched_at, deadline_at, completed_at, closed_at, escalated_at, escalated_to, updated_at, version)
            VALUES (@id, '整改', '按要求整改', @unit, @status, 'manual', NULL, 'leader', @dispatched, @deadline, @completed, @closed, NULL, NULL, @dispatched, 1)
            """, rows, tx);
        await tx.CommitAsync();
        _supervision = _provider.GetRequiredService<SupervisionService>();
        _tasks = _provider.GetRequiredService<TaskService>();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>The whole board: every task read, grouped by unit, rates, ages, overdue spans in working days, lists.</summary>
    [Benchmark]
    public Task<SupervisionBoard> Board() => _supervision.BoardAsync(CancellationToken.None);

    /// <summary>One dispatch: validation, task row and timeline row in one transaction, one audit record.</summary>
    [Benchmark]
    public Task<CockpitTask> Dispatch() =>
        _tasks.DispatchAsync(new TaskDispatch("整改", "按要求整改", "u01", null, 3, TaskSource.Manual, null), Leader, [], CancellationToken.None);
}

using System.Data.Common;
using System.Globalization;
using CityBrain.Kernel.Storage;
using CityBrain.Storage.Postgres;
using CityBrain.Storage.Sqlite;
using CityBrain.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace CityBrain.Kernel.Tests.Storage;

/// <summary>The runner against real SQLite files and a real PostgreSQL cluster: the same behaviour on both.</summary>
public sealed class MigrationRunnerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 9, 0, 0, TimeSpan.FromHours(8));

    public static TheoryData<string> Kinds => TestStores.Kinds;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ApplyAsync_FreshStore_AppliesEveryStepInVersionOrderAndRecordsIt(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        // Given out of order: version 2 alters the table version 1 creates.
        var parcels = new Set(
            new Migration("test.parcels", 2, "parcel owner", "ALTER TABLE parcels ADD COLUMN owner TEXT NULL"),
            new Migration("test.parcels", 1, "parcels", "CREATE TABLE parcels (id TEXT PRIMARY KEY)"));
        var roads = new Set(new Migration("test.roads", 1, "roads", "CREATE TABLE roads (id TEXT PRIMARY KEY)"));

        var applied = await MigrationRunner.ApplyAsync(store.Store, [parcels, roads], new FakeTimeProvider(Now), Token);

        Assert.Equal(3, applied);
        await ExecuteAsync(store.Store, "INSERT INTO parcels (id, owner) VALUES ('p1', 'city')");
        Assert.Equal(
            ["test.parcels 1 parcels", "test.parcels 2 parcel owner", "test.roads 1 roads"],
            await QueryAsync(store.Store, "SELECT module, version, name FROM schema_migrations ORDER BY module, version"));
        // applied_at is the injected clock's, in Unix milliseconds.
        Assert.Equal(
            [Now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)],
            await QueryAsync(store.Store, "SELECT DISTINCT applied_at FROM schema_migrations"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ApplyAsync_SecondRun_AppliesNothingAndKeepsData(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        var set = new Set(
            new Migration("test.ledger", 1, "ledger", "CREATE TABLE ledger (id INTEGER PRIMARY KEY, amount BIGINT NOT NULL)"),
            new Migration("test.ledger", 2, "opening entry", "INSERT INTO ledger (id, amount) VALUES (1, 100)"));
        var time = new FakeTimeProvider(Now);
        Assert.Equal(2, await MigrationRunner.ApplyAsync(store.Store, [set], time, Token));
        await ExecuteAsync(store.Store, "INSERT INTO ledger (id, amount) VALUES (2, 250)");
        time.Advance(TimeSpan.FromDays(1));

        var again = await MigrationRunner.ApplyAsync(store.Store, [set], time, Token);

        Assert.Equal(0, again);
        Assert.Equal(["1 100", "2 250"], await QueryAsync(store.Store, "SELECT id, amount FROM ledger ORDER BY id"));
        Assert.Equal(["2"], await QueryAsync(store.Store, "SELECT COUNT(*) FROM schema_migrations"));
        Assert.Equal([Now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)], await QueryAsync(store.Store, "SELECT DISTINCT applied_at FROM schema_migrations"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ApplyAsync_NewVersionShipped_AppliesOnlyTheNewStep(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        var v1 = new Migration("test.tasks", 1, "tasks", "CREATE TABLE tasks (id TEXT PRIMARY KEY)");
        await MigrationRunner.ApplyAsync(store.Store, [new Set(v1)], TimeProvider.System, Token);

        var applied = await MigrationRunner.ApplyAsync(store.Store,
            [new Set(v1, new Migration("test.tasks", 2, "task status", "ALTER TABLE tasks ADD COLUMN status TEXT NOT NULL DEFAULT 'open'"))],
            TimeProvider.System, Token);

        Assert.Equal(1, applied);
        await ExecuteAsync(store.Store, "INSERT INTO tasks (id) VALUES ('t1')");
        Assert.Equal(["t1 open"], await QueryAsync(store.Store, "SELECT id, status FROM tasks"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ApplyAsync_StepFailsHalfway_LeavesNothingOfThatStepAndStops(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        var good = new Migration("test.a", 1, "accounts", "CREATE TABLE accounts (id INTEGER PRIMARY KEY); INSERT INTO accounts (id) VALUES (1)");
        // Two statements succeed before the third fails: none of the three may remain.
        var broken = new Migration("test.b", 1, "balances",
            "CREATE TABLE balances (id INTEGER PRIMARY KEY); INSERT INTO accounts (id) VALUES (2); INSERT INTO no_such_table (id) VALUES (3)");
        var later = new Migration("test.c", 1, "cards", "CREATE TABLE cards (id INTEGER PRIMARY KEY)");

        await Assert.ThrowsAnyAsync<DbException>(() => MigrationRunner.ApplyAsync(store.Store, [new Set(good), new Set(broken), new Set(later)], TimeProvider.System, Token));

        Assert.True(await TableExistsAsync(store.Store, "accounts"));
        Assert.Equal(["1"], await QueryAsync(store.Store, "SELECT id FROM accounts"));
        Assert.False(await TableExistsAsync(store.Store, "balances"));
        Assert.False(await TableExistsAsync(store.Store, "cards"));
        Assert.Equal(["test.a 1"], await QueryAsync(store.Store, "SELECT module, version FROM schema_migrations"));

        // Once the step is fixed, the next start applies it and what followed.
        var fixedStep = broken with { Sql = "CREATE TABLE balances (id INTEGER PRIMARY KEY); INSERT INTO accounts (id) VALUES (2)" };
        Assert.Equal(2, await MigrationRunner.ApplyAsync(store.Store, [new Set(good), new Set(fixedStep), new Set(later)], TimeProvider.System, Token));
        Assert.Equal(["1", "2"], await QueryAsync(store.Store, "SELECT id FROM accounts ORDER BY id"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ApplyAsync_SameVersionTwice_RefusedBeforeTouchingTheStore(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        var set = new Set(
            new Migration("test.d", 1, "first", "CREATE TABLE first_table (id INTEGER)"),
            new Migration("test.d", 1, "second", "CREATE TABLE second_table (id INTEGER)"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => MigrationRunner.ApplyAsync(store.Store, [set], TimeProvider.System, Token));

        Assert.Equal("Module 'test.d' declares version 1 more than once: 'first', 'second'.", error.Message);
        Assert.False(await TableExistsAsync(store.Store, "schema_migrations"));
        Assert.False(await TableExistsAsync(store.Store, "first_table"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ApplyAsync_DialectText_RunsTheStoresOwnText(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        var migration = new Migration("test.dialect", 1, "which text ran",
            "CREATE TABLE which_text (v TEXT); INSERT INTO which_text VALUES ('sqlite')",
            "CREATE TABLE which_text (v TEXT); INSERT INTO which_text VALUES ('postgres')");

        await MigrationRunner.ApplyAsync(store.Store, [new Set(migration)], TimeProvider.System, Token);

        Assert.Equal([kind], await QueryAsync(store.Store, "SELECT v FROM which_text"));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ApplyAsync_SeveralNodesStartTogether_EachStepAppliedOnce(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        // Steps that fail or double a row if they ran twice.
        var set = new Set(Enumerable.Range(1, 5).Select(v => new Migration("test.nodes", v, $"step {v}",
            v == 1 ? "CREATE TABLE steps (version INTEGER PRIMARY KEY)" : $"INSERT INTO steps (version) VALUES ({v})")).ToArray());
        // Each node has its own store object (its own pool), as separate processes would.
        var nodes = Enumerable.Range(0, 4).Select(_ => OpenNode(store)).ToList();
        try
        {
            var applied = await Task.WhenAll(nodes.Select(node => Task.Run(() => MigrationRunner.ApplyAsync(node, [set], TimeProvider.System, Token), Token)));

            Assert.Equal(5, applied.Sum());
            Assert.Equal(["2", "3", "4", "5"], await QueryAsync(store.Store, "SELECT version FROM steps ORDER BY version"));
            Assert.Equal(["5"], await QueryAsync(store.Store, "SELECT COUNT(*) FROM schema_migrations"));
        }
        finally
        {
            foreach (var node in nodes.OfType<IAsyncDisposable>())
            {
                await node.DisposeAsync();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task ApplyAsync_Cancelled_AppliesNothing(string kind)
    {
        await using var store = await TestStores.CreateAsync(kind, Token);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            MigrationRunner.ApplyAsync(store.Store, [new Set(new Migration("test.e", 1, "e", "CREATE TABLE e (id INTEGER)"))], TimeProvider.System, cancelled.Token));

        Assert.False(await TableExistsAsync(store.Store, "e"));
    }

    [Fact]
    public void SqlFor_PostgresTextGivenOnlyWhereDialectsDiffer()
    {
        var common = new Migration("m", 1, "n", "SELECT 1");
        var differing = common with { PostgresSql = "SELECT 2" };

        Assert.Equal("SELECT 1", common.SqlFor(SqlDialect.Postgres));
        Assert.Equal("SELECT 1", common.SqlFor(SqlDialect.Sqlite));
        Assert.Equal("SELECT 2", differing.SqlFor(SqlDialect.Postgres));
        Assert.Equal("SELECT 1", differing.SqlFor(SqlDialect.Sqlite));
    }

    private static IOperationalStore OpenNode(TestStore store) => store.Kind == TestStores.Sqlite
        ? new SqliteOperationalStore(store.Connection)
        : new PostgresOperationalStore(store.Connection);

    private static async Task ExecuteAsync(IOperationalStore store, string sql)
    {
        await using var connection = await store.OpenConnectionAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(Token);
    }

    /// <summary>Each row as its columns joined by spaces.</summary>
    private static async Task<List<string>> QueryAsync(IOperationalStore store, string sql)
    {
        await using var connection = await store.OpenConnectionAsync(Token);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(Token);
        var rows = new List<string>();
        while (await reader.ReadAsync(Token))
        {
            rows.Add(string.Join(' ', Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }
        return rows;
    }

    private static async Task<bool> TableExistsAsync(IOperationalStore store, string table)
    {
        var sql = store.Dialect == SqlDialect.Sqlite
            ? $"SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '{table}'"
            : $"SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name = '{table}'";
        return (await QueryAsync(store, sql)).Single() != "0";
    }

    private sealed class Set(params Migration[] migrations) : IMigrationSet
    {
        public IReadOnlyList<Migration> Migrations { get; } = migrations;
    }
}

namespace CityBrain.Kernel.Storage;

/// <summary>One schema step of one module. <paramref name="PostgresSql"/> is given only where the dialects differ.</summary>
public sealed record Migration(string Module, int Version, string Name, string Sql, string? PostgresSql = null)
{
    public string SqlFor(SqlDialect dialect) => dialect == SqlDialect.Postgres ? PostgresSql ?? Sql : Sql;
}

/// <summary>A module's migrations, registered as a singleton; the host applies all of them at start.</summary>
public interface IMigrationSet
{
    IReadOnlyList<Migration> Migrations { get; }
}

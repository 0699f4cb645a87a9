using CityBrain.Cockpit.Warnings;
using CityBrain.Kernel.Storage;
using Dapper;

namespace CityBrain.Cockpit.Indicators;

/// <summary>Values kept as history (city 330100, districts, streets) and the warnings raised, in the operational store.</summary>
internal sealed class IndicatorHistory(IOperationalStore store)
{
    public const string City = "330100";

    /// <summary>Stores one refresh: the values and its warnings together, or nothing.</summary>
    public async Task<IReadOnlyList<CockpitWarning>> AppendAsync(IndicatorDefinition definition, IndicatorReading reading, DateTimeOffset at,
        IEnumerable<(WarningSeverity Severity, WarningKind Kind, string Message)> warnings, CancellationToken cancellationToken)
    {
        var ms = at.ToUnixTimeMilliseconds();
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = reading.ByArea.Select(e => new { indicator = definition.Code, area = e.Key, value = e.Value, at = ms })
            .Prepend(new { indicator = definition.Code, area = City, value = reading.City, at = ms });
        await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO cockpit_values (indicator, area, value, at) VALUES (@indicator, @area, @value, @at)", rows, transaction, cancellationToken: cancellationToken));
        var raised = new List<CockpitWarning>();
        foreach (var (severity, kind, message) in warnings)
        {
            var id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                """
                INSERT INTO cockpit_warnings (indicator, area, severity, kind, message, value, at)
                VALUES (@indicator, @area, @severity, @kind, @message, @value, @at) RETURNING id
                """,
                new { indicator = definition.Code, area = City, severity = severity.ToString(), kind = kind.ToString(), message, value = reading.City, at = ms },
                transaction, cancellationToken: cancellationToken));
            raised.Add(new CockpitWarning(id, definition.Code, definition.Name, definition.OwningUnit, City, severity, kind, message, reading.City, at));
        }
        await transaction.CommitAsync(cancellationToken);
        return raised;
    }

    /// <summary>Deletes the values stored before <paramref name="before"/>; answers how many.</summary>
    public async Task<int> DeleteBeforeAsync(DateTimeOffset before, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM cockpit_values WHERE at < @before", new { before = before.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }

    /// <summary>The latest values for an area, oldest first.</summary>
    public async Task<IReadOnlyList<HistoryPoint>> ReadAsync(string indicator, string area, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long At, double Value)>(new CommandDefinition(
            "SELECT at, value FROM cockpit_values WHERE indicator = @indicator AND area = @area ORDER BY at DESC LIMIT @limit",
            new { indicator, area, limit }, cancellationToken: cancellationToken));
        return [.. rows.Reverse().Select(r => new HistoryPoint(DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Value))];
    }

    public async Task<IReadOnlyList<CockpitWarning>> RecentWarningsAsync(int limit, Func<string, IndicatorDefinition?> find, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, string Indicator, string Area, string Severity, string Kind, string Message, double Value, long At)>(new CommandDefinition(
            "SELECT id, indicator, area, severity, kind, message, value, at FROM cockpit_warnings ORDER BY id DESC LIMIT @limit",
            new { limit }, cancellationToken: cancellationToken));
        return [.. rows.Select(r =>
        {
            var definition = find(r.Indicator);
            return new CockpitWarning(r.Id, r.Indicator, definition?.Name ?? r.Indicator, definition?.OwningUnit ?? "", r.Area,
                Enum.Parse<WarningSeverity>(r.Severity), Enum.Parse<WarningKind>(r.Kind), r.Message, r.Value, DateTimeOffset.FromUnixTimeMilliseconds(r.At));
        })];
    }
}

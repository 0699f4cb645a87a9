using System.Globalization;
using CityBrain.Hub.Sharing;
using CityBrain.Kernel.Storage;

namespace CityBrain.Cockpit.Indicators;

/// <summary>Reads one indicator from its source.</summary>
internal sealed class IndicatorReader(IOperationalStore store, IHubMetrics hubMetrics, IEnumerable<ILiveMetricSource> liveSources, ILakeQuery? lake = null)
{
    private readonly ILiveMetricSource[] _liveSources = [.. liveSources];

    public async Task<IndicatorReading> ReadAsync(IndicatorDefinition definition, CancellationToken cancellationToken) => definition.Source switch
    {
        IndicatorSource.Store => await ReadStoreAsync(definition.Query, cancellationToken),
        IndicatorSource.Metric => await ReadMetricAsync(definition.Query, cancellationToken),
        IndicatorSource.Lake => lake is null
            ? throw new SourceUnavailableException("source not available: no data lake on this node")
            : await lake.QueryAsync(definition.Query, cancellationToken),
        _ => throw new SourceUnavailableException($"source not available: {definition.Source}"),
    };

    /// <summary>
    /// A store query answers either one number (the city value) or rows of (area code, value), which are summed for the city.
    /// </summary>
    private async Task<IndicatorReading> ReadStoreAsync(string sql, CancellationToken cancellationToken)
    {
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var byArea = new Dictionary<string, double>(StringComparer.Ordinal);
        double? single = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.FieldCount == 1)
            {
                single = reader.IsDBNull(0) ? 0 : Convert.ToDouble(reader.GetValue(0), CultureInfo.InvariantCulture);
            }
            else
            {
                var area = Convert.ToString(reader.GetValue(0), CultureInfo.InvariantCulture) ?? "";
                byArea[area] = reader.IsDBNull(1) ? 0 : Convert.ToDouble(reader.GetValue(1), CultureInfo.InvariantCulture);
            }
        }
        return new IndicatorReading(single ?? byArea.Values.Sum(), byArea);
    }

    private async Task<IndicatorReading> ReadMetricAsync(string metric, CancellationToken cancellationToken)
    {
        if (metric.StartsWith("hub.", StringComparison.Ordinal))
        {
            var figures = await hubMetrics.GetAsync(cancellationToken);
            double? value = metric switch
            {
                "hub.interfaces" => figures.Interfaces,
                "hub.calls" => figures.Calls,
                "hub.callErrors" => figures.CallErrors,
                "hub.requestsFiled" => figures.RequestsFiled,
                // Rates are shown in percent; with no request filed yet the rate is taken as fully satisfied.
                "hub.satisfactionRate" => (figures.SatisfactionRate ?? 1) * 100,
                "hub.answeredInTimeRate" => (figures.AnsweredInTimeRate ?? 1) * 100,
                _ => null,
            };
            return value is { } v ? IndicatorReading.Of(v) : throw new SourceUnavailableException($"source not available: no hub metric '{metric}'");
        }
        foreach (var source in _liveSources)
        {
            if (await source.ReadAsync(metric, cancellationToken) is { } reading)
            {
                return reading;
            }
        }
        throw new SourceUnavailableException($"source not available: no live metric '{metric}' on this node");
    }
}

using System.Text.Json;
using CityBrain.Data.Quality;
using CityBrain.Kernel.Errors;
using DuckDB.NET.Data;

namespace CityBrain.Data.Classification;

/// <summary>
/// Proposed and confirmed column classifications, in <c>classification_columns</c> beside the datasets. A new proposal
/// never overwrites what the owner confirmed.
/// </summary>
internal static class ClassificationStore
{
    /// <summary>The mask kinds the hub's masking knows (CityBrain.Hub.Gateway.Masking).</summary>
    private static readonly string[] MaskKinds = ["resident-id", "phone", "name", "address", "bank-card", "generic"];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>The table; the lake creates it when it opens (datasets as the lake names their views: gaj_rk).</summary>
    public const string Schema = """
        CREATE TABLE IF NOT EXISTS classification_columns(
          dataset VARCHAR NOT NULL, "column" VARCHAR NOT NULL, confirmed BOOLEAN NOT NULL, classification_json VARCHAR NOT NULL,
          PRIMARY KEY (dataset, "column"));
        """;

    /// <summary>Samples and classifies a dataset's view; confirmed columns keep their confirmation. Answers every column.</summary>
    public static async Task<IReadOnlyList<ColumnClassification>> ProposeAsync(DuckDBConnection connection, string dataset, string view, CancellationToken cancellationToken)
    {
        var proposals = await ColumnClassifier.ClassifyAsync(connection, dataset, view, cancellationToken);
        foreach (var proposal in proposals)
        {
            await QualityEngine.ExecuteAsync(connection, $"""
                INSERT INTO classification_columns VALUES ({QualitySql.Literal(dataset)}, {QualitySql.Literal(proposal.Column)}, false, {QualitySql.Literal(JsonSerializer.Serialize(proposal, Json))})
                ON CONFLICT (dataset, "column") DO UPDATE SET classification_json = excluded.classification_json WHERE NOT classification_columns.confirmed
                """, cancellationToken);
        }
        return await ListAsync(connection, dataset, cancellationToken);
    }

    public static async Task<IReadOnlyList<ColumnClassification>> ListAsync(DuckDBConnection connection, string dataset, CancellationToken cancellationToken)
    {
        var list = new List<ColumnClassification>();
        await foreach (var row in QualityEngine.QueryAsync(connection,
            $"SELECT classification_json FROM classification_columns WHERE dataset = {QualitySql.Literal(dataset)} ORDER BY \"column\"", cancellationToken))
        {
            list.Add(JsonSerializer.Deserialize<ColumnClassification>(row.GetString(0), Json)!);
        }
        return list;
    }

    /// <summary>
    /// The owner's confirmation: the proposal with the owner's levels, marked confirmed and timed (a raise above the
    /// registry's level withholds clear release under grants decided before it: <see cref="Disclosure"/>). An unknown column is a 404.
    /// </summary>
    public static async Task<ColumnClassification> ConfirmAsync(
        DuckDBConnection connection, string dataset, string column, ClassificationConfirmation confirmation, string confirmedBy, DateTimeOffset confirmedAt, CancellationToken cancellationToken)
    {
        if (confirmation.Mask is { } mask && !MaskKinds.Contains(mask))
        {
            throw new ValidationFailedException("mask", $"'{mask}' is not one of {string.Join(", ", MaskKinds)}");
        }
        var current = (await ListAsync(connection, dataset, cancellationToken)).FirstOrDefault(c => c.Column == column)
            ?? throw new NotFoundException($"no classification for column '{column}' of dataset '{dataset}'; propose the dataset's classification first");
        var confirmed = current with
        {
            PersonalLevel = confirmation.PersonalLevel ?? current.PersonalLevel,
            DataLevel = confirmation.DataLevel ?? current.DataLevel,
            Mask = confirmation.Mask ?? current.Mask,
            Confirmed = true,
            ConfirmedBy = confirmedBy,
            ConfirmedAt = confirmedAt,
        };
        await QualityEngine.ExecuteAsync(connection, $"""
            UPDATE classification_columns SET confirmed = true, classification_json = {QualitySql.Literal(JsonSerializer.Serialize(confirmed, Json))}
            WHERE dataset = {QualitySql.Literal(dataset)} AND "column" = {QualitySql.Literal(column)}
            """, cancellationToken);
        return confirmed;
    }
}

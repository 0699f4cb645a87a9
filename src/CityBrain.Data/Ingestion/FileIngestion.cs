using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using CityBrain.Data.Lake;
using CityBrain.Hub.Audit;
using CityBrain.Kernel.Errors;
using DuckDB.NET.Data;

namespace CityBrain.Data.Ingestion;

/// <summary>What an upload made.</summary>
internal sealed record UploadResult(string Dataset, long Version, long RowCount, string Encoding);

/// <summary>
/// Uploads of CSV (UTF-8 or GBK, detected), JSON (an array of objects) and Parquet into a new version of a dataset.
/// The file is checked whole before the version becomes visible; any fault is a 400 naming the file, the row and
/// the column, and nothing of the file stays in the lake.
/// </summary>
internal sealed class FileIngestion(Lake.Lake lake, IAuditLog audit, TimeProvider time)
{
    /// <summary>Largest field accepted (a field larger than this is a broken file, not data).</summary>
    public const int MaxFieldBytes = 64 * 1024;

    private static readonly Encoding Gbk = CreateGbk();

    private static readonly SearchValues<byte> CsvDelimiters = SearchValues.Create("\",\n"u8);

    public async Task<UploadResult> LoadAsync(string dataset, string filePath, string fileName, string format, IReadOnlyList<string>? declaredColumns, string actor, CancellationToken cancellationToken)
    {
        var result = await lake.WriteAsync(connection =>
        {
            var current = Versions.Current(connection, dataset);
            var expected = current?.Columns ?? (declaredColumns is { Count: > 0 } ? declaredColumns : null);
            return Task.FromResult(format switch
            {
                "csv" => LoadCsv(connection, dataset, filePath, fileName, expected),
                "json" => LoadJson(connection, dataset, filePath, fileName, expected),
                "parquet" => LoadParquet(connection, dataset, filePath, fileName, expected),
                _ => throw new ValidationFailedException("format", $"'{format}' is not a format the lake reads: csv, json or parquet"),
            });
        }, cancellationToken);
        await audit.AppendAsync(new AuditEntry("data.uploaded", actor, "dataset:" + dataset, Detail: new Dictionary<string, string?>
        {
            ["version"] = result.Version.ToString(CultureInfo.InvariantCulture),
            ["rows"] = result.RowCount.ToString(CultureInfo.InvariantCulture),
            ["file"] = fileName,
            ["format"] = format,
        }), cancellationToken);
        return result;
    }

    private UploadResult LoadCsv(DuckDBConnection connection, string dataset, string path, string fileName, IReadOnlyList<string>? expected)
    {
        var bytes = File.ReadAllBytes(path);
        var encoding = "UTF-8";
        var utf8Path = path;
        if (!Utf8.IsValid(bytes))
        {
            string text;
            try
            {
                text = Gbk.GetString(bytes);
            }
            catch (DecoderFallbackException)
            {
                var at = FirstInvalidUtf8(bytes);
                throw Fault(fileName, LineOf(bytes, at), null, $"byte {at} is neither UTF-8 nor GBK text");
            }
            encoding = "GBK";
            bytes = Encoding.UTF8.GetBytes(text);
            utf8Path = path + ".utf8";
            File.WriteAllBytes(utf8Path, bytes);
        }
        try
        {
            var header = CheckCsv(bytes, fileName);
            CheckColumns(dataset, fileName, header, expected);
            var columns = string.Join(", ", header.Select(Lake.Lake.Quote));
            return LoadAsParquet(connection, dataset, header, fileName, file =>
                Lake.Lake.Execute(connection, $"COPY (SELECT {columns} FROM read_csv({Lake.Lake.Literal(utf8Path)}, header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', strict_mode = true, max_line_size = 4000000)) TO {Lake.Lake.Literal(file)} (FORMAT parquet)"))
                with { Encoding = encoding };
        }
        finally
        {
            if (utf8Path != path)
            {
                File.Delete(utf8Path);
            }
        }
    }

    /// <summary>One pass over the bytes (RFC 4180): every record has the header's field count, no field is huge, quotes close.</summary>
    private static List<string> CheckCsv(ReadOnlySpan<byte> bytes, string fileName)
    {
        if (bytes.StartsWith("\uFEFF"u8))
        {
            throw Fault(fileName, 1, null, "starts with a byte-order mark; save it as UTF-8 without BOM");
        }
        var header = new List<string>();
        var row = 1;
        var fields = 0;
        var fieldStart = 0;
        var quoted = false;
        var quoteRow = 0;
        // Jumps from one quote, comma or line end to the next (vectorised search): most bytes are inside fields.
        var i = 0;
        while (i < bytes.Length)
        {
            if (quoted)
            {
                var quote = bytes[i..].IndexOf((byte)'"');
                var inside = quote < 0 ? bytes[i..] : bytes.Slice(i, quote);
                row += inside.Count((byte)'\n');
                if (quote < 0)
                {
                    break;
                }
                i += quote;
                if (i + 1 < bytes.Length && bytes[i + 1] == '"')
                {
                    i += 2;
                    continue;
                }
                quoted = false;
                i++;
                continue;
            }
            var next = bytes[i..].IndexOfAny(CsvDelimiters);
            if (next < 0)
            {
                break;
            }
            i += next;
            var b = bytes[i];
            if (b == '"')
            {
                quoted = true;
                quoteRow = row;
            }
            else
            {
                var end = i > 0 && bytes[i - 1] == '\r' && b == '\n' ? i - 1 : i;
                if (end - fieldStart > MaxFieldBytes)
                {
                    throw Fault(fileName, row, ColumnName(header, fields), $"a field of {end - fieldStart:N0} bytes (at most {MaxFieldBytes:N0})");
                }
                if (row == 1)
                {
                    header.Add(Encoding.UTF8.GetString(bytes[fieldStart..end]).Trim('"'));
                }
                fields++;
                fieldStart = i + 1;
                if (b == '\n')
                {
                    EndRecord(fileName, header, row, fields);
                    row++;
                    fields = 0;
                }
            }
            i++;
        }
        if (quoted)
        {
            throw Fault(fileName, quoteRow, null, "a quoted field is never closed");
        }
        if (fieldStart < bytes.Length)
        {
            if (row == 1)
            {
                header.Add(Encoding.UTF8.GetString(bytes[fieldStart..]).Trim('"', '\r'));
            }
            EndRecord(fileName, header, row, fields + 1);
        }
        if (header.Count == 0 || header.Any(string.IsNullOrWhiteSpace))
        {
            throw Fault(fileName, 1, null, "the header row is empty or has an unnamed column");
        }
        return header;
    }

    private static void EndRecord(string fileName, List<string> header, int row, int fields)
    {
        if (row > 1 && fields != header.Count)
        {
            throw Fault(fileName, row, fields > header.Count ? $"#{header.Count + 1}" : header[fields - 1 < 0 ? 0 : fields],
                $"{fields} fields where the header has {header.Count}");
        }
    }

    private UploadResult LoadJson(DuckDBConnection connection, string dataset, string path, string fileName, IReadOnlyList<string>? expected)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            // A JSON file's lines are not its records: the fault is placed by line and byte, as the parser found it.
            throw Fault(fileName, 0, null, $"is not valid JSON at line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw Fault(fileName, 1, null, "must be a JSON array of records");
            }
            var records = document.RootElement.EnumerateArray().ToList();
            var columns = expected?.ToList() ?? (records.Count > 0 && records[0].ValueKind == JsonValueKind.Object ? records[0].EnumerateObject().Select(p => p.Name).ToList() : []);
            var rows = new List<string?[]>(records.Count);
            for (var r = 0; r < records.Count; r++)
            {
                if (records[r].ValueKind != JsonValueKind.Object)
                {
                    throw Fault(fileName, r + 1, null, "is not a JSON object");
                }
                var row = new string?[columns.Count];
                foreach (var property in records[r].EnumerateObject())
                {
                    var index = columns.IndexOf(property.Name);
                    if (index < 0)
                    {
                        throw Fault(fileName, r + 1, property.Name, $"is not a column of {dataset} ({string.Join(", ", columns)})");
                    }
                    row[index] = property.Value.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String => property.Value.GetString(),
                        _ => property.Value.GetRawText(),
                    };
                    if (row[index] is { Length: > MaxFieldBytes / 3 } text && Encoding.UTF8.GetByteCount(text) > MaxFieldBytes)
                    {
                        throw Fault(fileName, r + 1, property.Name, $"a field of {Encoding.UTF8.GetByteCount(text):N0} bytes (at most {MaxFieldBytes:N0})");
                    }
                }
                var absent = columns.Where(c => !records[r].TryGetProperty(c, out _)).ToList();
                if (absent.Count > 0)
                {
                    throw Fault(fileName, r + 1, absent[0], "is missing from the record");
                }
                rows.Add(row);
            }
            CheckColumns(dataset, fileName, columns, expected);
            return Load(connection, dataset, columns, fileName, load => Versions.AppendPage(connection, load, rows, null));
        }
    }

    private UploadResult LoadParquet(DuckDBConnection connection, string dataset, string path, string fileName, IReadOnlyList<string>? expected)
    {
        List<string> columns;
        try
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT name FROM parquet_schema($1) WHERE num_children IS NULL OR num_children = 0";
            var parameter = command.CreateParameter();
            parameter.Value = path;
            command.Parameters.Add(parameter);
            using var reader = command.ExecuteReader();
            columns = [];
            while (reader.Read())
            {
                columns.Add(reader.GetString(0));
            }
        }
        catch (DuckDBException e)
        {
            throw Fault(fileName, 0, null, "is not a readable Parquet file: " + e.Message.Split('\n')[0]);
        }
        CheckColumns(dataset, fileName, columns, expected);
        return LoadAsParquet(connection, dataset, columns, fileName, file =>
        {
            File.Copy(path, file, overwrite: true);
            CheckParquetFields(connection, file, fileName, columns);
        });
    }

    /// <summary>The CSV pass's field-size rule for Parquet: the first field over <see cref="MaxFieldBytes"/> as text, by row and column.</summary>
    private static void CheckParquetFields(DuckDBConnection connection, string file, string fileName, IReadOnlyList<string> columns)
    {
        var lengths = columns.Select(c => $"strlen(CAST({Lake.Lake.Quote(c)} AS VARCHAR)) > {MaxFieldBytes}").ToList();
        var which = string.Join(" ", columns.Select((c, i) => $"WHEN {lengths[i]} THEN {Lake.Lake.Literal(c)}"));
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT file_row_number, CASE {which} END FROM read_parquet({Lake.Lake.Literal(file)}, file_row_number = true) WHERE {string.Join(" OR ", lengths)} ORDER BY 1 LIMIT 1";
        using var reader = command.ExecuteReader();
        if (reader.Read())
        {
            throw Fault(fileName, (int)reader.GetInt64(0) + 1, reader.GetString(1), $"a field of more than {MaxFieldBytes:N0} bytes");
        }
    }

    /// <summary>Keeps the file as the next version's Parquet file (<see cref="Versions.StartFile"/>) and commits it, or drops it when anything fails.</summary>
    private UploadResult LoadAsParquet(DuckDBConnection connection, string dataset, IReadOnlyList<string> columns, string fileName, Action<string> writeFile)
    {
        var load = Versions.StartFile(connection, dataset, columns, time.GetUtcNow());
        return Commit(connection, load, fileName, () =>
        {
            writeFile(load.ParquetFile!);
            Versions.ReadFile(connection, load);
        });
    }

    /// <summary>Stages the records as the next version's table and commits it, or drops the table when anything fails.</summary>
    private UploadResult Load(DuckDBConnection connection, string dataset, IReadOnlyList<string> columns, string fileName, Action<PendingLoad> fill)
    {
        var load = Versions.Start(connection, dataset, columns, "upload", null, time.GetUtcNow());
        return Commit(connection, load, fileName, () => fill(load));
    }

    private UploadResult Commit(DuckDBConnection connection, PendingLoad load, string fileName, Action fill)
    {
        try
        {
            fill();
            var version = Versions.Commit(connection, load, new Lineage("upload", FileName: fileName), -1, null, new Dictionary<string, string>(), time.GetUtcNow());
            Lake.Lake.Execute(connection, "UPDATE lake_versions SET added_rows = row_count WHERE dataset = $1 AND version = $2", null, load.Dataset, version.Version);
            return new UploadResult(load.Dataset, version.Version, version.RowCount, "UTF-8");
        }
        catch (DuckDBException e)
        {
            Versions.Abandon(connection, load);
            throw Fault(fileName, 0, null, "could not be read: " + e.Message.Split('\n')[0]);
        }
        catch
        {
            Versions.Abandon(connection, load);
            throw;
        }
    }

    /// <summary>A new version must have the last version's columns: a file of another shape is drift, reported, not loaded.</summary>
    private static void CheckColumns(string dataset, string fileName, IReadOnlyList<string> columns, IReadOnlyList<string>? expected)
    {
        if (columns.Distinct(StringComparer.Ordinal).Count() != columns.Count)
        {
            throw Fault(fileName, 1, columns.GroupBy(c => c, StringComparer.Ordinal).First(g => g.Count() > 1).Key, "appears twice in the header");
        }
        if (expected is null)
        {
            return;
        }
        var unexpected = columns.Except(expected, StringComparer.Ordinal).ToList();
        var missing = expected.Except(columns, StringComparer.Ordinal).ToList();
        if (unexpected.Count > 0 || missing.Count > 0)
        {
            throw new BusinessRuleViolationException("SourceMustKeepItsShape",
                $"{fileName} does not have the columns of {dataset}: unexpected [{string.Join(", ", unexpected)}], missing [{string.Join(", ", missing)}]; nothing was loaded");
        }
    }

    private static ValidationFailedException Fault(string fileName, int row, string? column, string problem)
    {
        var where = row > 0 ? $"{fileName}, row {row}" : fileName;
        if (column is not null)
        {
            where += $", column {column}";
        }
        return new ValidationFailedException("file", $"{where}: {problem}");
    }

    private static string? ColumnName(List<string> header, int index) => index < header.Count ? header[index] : $"#{index + 1}";

    private static int FirstInvalidUtf8(byte[] bytes)
    {
        var status = Utf8.ToUtf16(bytes, new char[bytes.Length], out var read, out _, replaceInvalidSequences: false);
        return status == System.Buffers.OperationStatus.Done ? bytes.Length : read;
    }

    private static int LineOf(byte[] bytes, int offset) => bytes.AsSpan(0, Math.Min(offset, bytes.Length)).Count((byte)'\n') + 1;

    private static Encoding CreateGbk()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(936, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
    }
}

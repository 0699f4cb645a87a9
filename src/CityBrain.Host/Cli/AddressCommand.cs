using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using CityBrain.Data.Addresses;

namespace CityBrain.Host.Cli;

/// <summary>
/// `citybrain address normalize [--data DIR]`: one free-text address per line on stdin, one JSON object per line on
/// stdout: {input, standardId, divisionCode, streetCode, standard, confidence, matched}, and reason when not matched.
/// The register is DIR/city/truth/addresses.csv when present (the demo city's; a real city's data bureau keeps its own),
/// otherwise Hangzhou's districts and streets only.
/// </summary>
internal static class AddressCommand
{
    /// <summary>Past this a line is not kept in memory, only counted: a stream without line breaks cannot exhaust memory.</summary>
    private const int LongestLineKept = 1 << 20;

    /// <summary>How many waiting lines are normalised together in parallel.</summary>
    private const int BatchSize = 4096;

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Build(Option<string> data)
    {
        var normalize = new Command("normalize", "Normalise free-text addresses: one per line on stdin, one JSON object per line on stdout");
        normalize.SetAction(async (result, cancellationToken) =>
        {
            using var input = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false, false));
            await using var output = Console.OpenStandardOutput();
            return await NormalizeAsync(Path.GetFullPath(result.GetValue(data)!), input, output, Console.Error, cancellationToken);
        });
        var address = new Command("address", "The unified address base");
        address.Subcommands.Add(normalize);
        return address;
    }

    /// <summary>Exit 0 when every line was answered; 2 when the register exists but cannot be read (named on stderr).</summary>
    public static async Task<int> NormalizeAsync(string dataDirectory, TextReader input, Stream output, TextWriter error, CancellationToken cancellationToken)
    {
        AddressBase addressBase;
        var registerPath = Path.Combine(dataDirectory, "city", "truth", "addresses.csv");
        try
        {
            using var register = File.Exists(registerPath) ? new StreamReader(registerPath) : null;
            addressBase = register is null ? AddressBase.Hangzhou() : AddressBase.Hangzhou(register);
        }
        catch (InvalidDataException e)
        {
            await error.WriteLineAsync($"{registerPath}: {e.Message}".AsMemory(), cancellationToken);
            return 2;
        }

        // Lines are read on one side and answered in batches on the other: a person typing gets each answer at once,
        // a pipe of millions gets them normalised in parallel.
        var lines = Channel.CreateBounded<string>(new BoundedChannelOptions(BatchSize * 4) { SingleReader = true, SingleWriter = true });
        var reader = new BoundedLineReader(input);
        var reading = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    await lines.Writer.WriteAsync(line, cancellationToken);
                }
            }
            finally
            {
                lines.Writer.Complete();
            }
        }, cancellationToken);

        // Standard output is unbuffered: without a buffer every line would cost two system calls.
        await using var buffered = new BufferedStream(output, 1 << 16);
        using var json = new Utf8JsonWriter(buffered, JsonOptions);
        var batch = new List<string>(BatchSize);
        while (await lines.Reader.WaitToReadAsync(cancellationToken))
        {
            batch.Clear();
            while (batch.Count < BatchSize && lines.Reader.TryRead(out var line))
            {
                batch.Add(line);
            }
            foreach (var match in addressBase.NormalizeAll(batch, cancellationToken).Results)
            {
                Write(json, match);
                json.Flush();
                buffered.WriteByte((byte)'\n');
                json.Reset();
            }
            await buffered.FlushAsync(cancellationToken);
        }
        await reading;
        return 0;
    }

    private static void Write(Utf8JsonWriter json, AddressMatch match)
    {
        json.WriteStartObject();
        json.WriteString("input", match.Input);
        json.WriteString("standardId", match.StandardId);
        json.WriteString("divisionCode", match.DivisionCode);
        json.WriteString("streetCode", match.StreetCode);
        json.WriteString("standard", match.Standard);
        json.WriteNumber("confidence", match.Confidence);
        json.WriteBoolean("matched", match.Matched);
        if (!match.Matched)
        {
            json.WriteString("reason", match.Reason);
        }
        json.WriteEndObject();
    }

    /// <summary>Lines without their line breaks; beyond <see cref="LongestLineKept"/> characters the rest of a line is skipped.</summary>
    private sealed class BoundedLineReader(TextReader input)
    {
        private readonly char[] _buffer = new char[1 << 16];
        private int _start;
        private int _end;

        /// <summary>The next line, or null at the end of the input.</summary>
        public async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
        {
            StringBuilder? line = null;
            while (true)
            {
                if (_start == _end)
                {
                    _start = 0;
                    _end = await input.ReadAsync(_buffer, cancellationToken);
                    if (_end == 0)
                    {
                        return line is null ? null : WithoutCarriageReturn(line);
                    }
                }
                var newline = Array.IndexOf(_buffer, '\n', _start, _end - _start);
                var stop = newline < 0 ? _end : newline;
                line ??= new StringBuilder();
                line.Append(_buffer, _start, Math.Min(stop - _start, LongestLineKept - line.Length));
                _start = newline < 0 ? _end : newline + 1;
                if (newline >= 0)
                {
                    return WithoutCarriageReturn(line);
                }
            }
        }

        private static string WithoutCarriageReturn(StringBuilder line)
        {
            if (line.Length > 0 && line[^1] == '\r')
            {
                line.Length--;
            }
            return line.ToString();
        }
    }
}

using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CityBrain.Host;

namespace CityBrain.EndToEnd.Tests;

/// <summary>`citybrain address normalize` as a person runs it: the real executable, lines on stdin, JSON lines on stdout.</summary>
public sealed class AddressCliTests : IDisposable
{
    private static readonly string[] Fields = ["input", "standardId", "divisionCode", "streetCode", "standard", "confidence", "matched"];

    private readonly string _data = Path.Combine(Path.GetTempPath(), "citybrain-address-cli-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task AddressNormalize_DemoCityMessyAddresses_EachLineAnsweredWithItsStandardAddress()
    {
        var (generated, generateOutput) = await RunAsync(null, "city", "generate", "--residents", "3000", "--seed", "7", "--out", Path.Combine(_data, "city"));
        Assert.True(generated == 0, generateOutput);
        var standards = File.ReadLines(Path.Combine(_data, "city", "truth", "addresses.csv")).Skip(1)
            .Select(l => l.Split(',')).ToDictionary(f => f[^1], f => f[0], StringComparer.Ordinal);
        var variants = File.ReadLines(Path.Combine(_data, "city", "truth", "dirt.csv"))
            .Where(l => l.StartsWith("address-variant,", StringComparison.Ordinal))
            .Select(l => l.Split(',')).Select(f => (Dirty: f[6], ExpectedId: standards[f[5]])).ToList();
        Assert.NotEmpty(variants);

        var (exitCode, output) = await RunAsync(Encoding.UTF8.GetBytes(string.Join('\n', variants.Select(v => v.Dirty)) + "\n"), "address", "normalize", "--data", _data);

        Assert.Equal(0, exitCode);
        var answers = JsonLines(output);
        Assert.Equal(variants.Count, answers.Count);
        var right = variants.Zip(answers).Count(p => p.Second.GetProperty("input").GetString() == p.First.Dirty
            && p.Second.GetProperty("matched").GetBoolean() && p.Second.GetProperty("standardId").GetString() == p.First.ExpectedId);
        var wrong = variants.Zip(answers).Count(p => p.Second.GetProperty("matched").GetBoolean() && p.Second.GetProperty("standardId").GetString() != p.First.ExpectedId);
        Assert.True(right >= 0.98 * variants.Count, $"{right} of {variants.Count} right");
        Assert.True(wrong < 0.005 * variants.Count, $"{wrong} of {variants.Count} wrong");
    }

    [Fact]
    public async Task AddressNormalize_NoRegisterRealAndBadLines_StreetLevelAnswersAndReasonsNeverACrash()
    {
        var input = new MemoryStream();
        void Line(byte[] bytes)
        {
            input.Write(bytes);
            input.WriteByte((byte)'\n');
        }
        Line(Encoding.UTF8.GetBytes("浙江省杭州市江干区下沙街道学源街118号"));
        Line(Encoding.UTF8.GetBytes("杭州市下城区武林街道体育场路178号"));
        Line([]);
        Line([0xFF, 0xFE, 0x00, 0x01, 0xC3, 0x28, 0x9F, 0x80, 0x00, 0x7F]);
        Line(Encoding.UTF8.GetBytes(new string('路', 102_400 / 3)));
        Line(Encoding.UTF8.GetBytes("余杭区五常街道文一西路969号"));

        var (exitCode, output) = await RunAsync(input.ToArray(), "address", "normalize", "--data", _data);

        Assert.Equal(0, exitCode);
        var answers = JsonLines(output);
        Assert.Equal(6, answers.Count);
        Assert.Equal(("330114", "330114001", true), Street(answers[0]));
        Assert.Equal(("330105", "330105013", true), Street(answers[1]));
        Assert.Equal(("330110", "330110005", true), Street(answers[5]));
        Assert.Equal("浙江省杭州市钱塘区下沙街道学源街118号", answers[0].GetProperty("standard").GetString());
        foreach (var (bad, reason) in new[] { (answers[2], "empty"), (answers[3], "not text"), (answers[4], "too long") })
        {
            Assert.False(bad.GetProperty("matched").GetBoolean());
            Assert.Contains(reason, bad.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_data))
        {
            Directory.Delete(_data, recursive: true);
        }
    }

    private static (string?, string?, bool) Street(JsonElement answer) =>
        (answer.GetProperty("divisionCode").GetString(), answer.GetProperty("streetCode").GetString(), answer.GetProperty("matched").GetBoolean());

    /// <summary>Every line one object with exactly the named fields, and a reason when not matched.</summary>
    private static List<JsonElement> JsonLines(string output)
    {
        var answers = new List<JsonElement>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var answer = JsonDocument.Parse(line).RootElement;
            var names = answer.EnumerateObject().Select(p => p.Name).ToList();
            var expected = answer.GetProperty("matched").GetBoolean() ? Fields : [.. Fields, "reason"];
            Assert.Equal(expected, names);
            answers.Add(answer);
        }
        return answers;
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(byte[]? standardInput, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        start.ArgumentList.Add(typeof(CityBrainHost).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(standardInput);
        }
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}

using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using CityBrain.Host;

namespace CityBrain.EndToEnd.Tests;

/// <summary>`citybrain serve` as a user starts it: a separate process on a fresh data folder, its console kept.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServeProcess(Process process, string dataDirectory)
    {
        _process = process;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static async Task<ServeProcess> StartAsync(params string[] args)
    {
        var data = Path.Combine(Path.GetTempPath(), "citybrain-serve-" + Guid.NewGuid().ToString("N")[..10]);
        var start = Cli(data, ["serve", "--urls", "http://127.0.0.1:0", .. args]);
        var process = Process.Start(start)!;
        var serve = new ServeProcess(process, data);
        process.OutputDataReceived += (_, e) => serve.Receive(e.Data);
        process.ErrorDataReceived += (_, e) => serve.Receive(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(serve._listening.Task, exited, Task.Delay(TimeSpan.FromMinutes(4)));
        if (first != serve._listening.Task)
        {
            var output = serve.Output;
            await serve.DisposeAsync();
            throw new InvalidOperationException($"citybrain serve did not become ready:\n{output}");
        }
        serve.BaseAddress = await serve._listening.Task;
        return serve;
    }

    /// <summary>Runs another verb against the same data folder (e.g. `token --as admin`) and answers its standard output.</summary>
    public async Task<string> RunAsync(params string[] args)
    {
        using var process = Process.Start(Cli(DataDirectory, args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"citybrain {string.Join(' ', args)} exited {process.ExitCode}: {await error}");
        return (await output).Trim();
    }

    /// <summary>A CLI verb expected to fail: its exit code and standard error.</summary>
    public async Task<(int ExitCode, string Error)> RunFailingAsync(params string[] args)
    {
        using var process = Process.Start(Cli(DataDirectory, args))!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        await output;
        return (process.ExitCode, await error);
    }

    public HttpClient Client(string? token = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: the temp folder is cleaned by the OS otherwise.
        }
    }

    private void Receive(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
        const string Ready = "citybrain: listening on ";
        if (line.StartsWith(Ready, StringComparison.Ordinal))
        {
            _listening.TrySetResult(new Uri(line[Ready.Length..].Trim()));
        }
    }

    private static ProcessStartInfo Cli(string dataDirectory, string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(CityBrainHost).Assembly.Location);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        start.ArgumentList.Add("--data");
        start.ArgumentList.Add(dataDirectory);
        start.Environment["NO_COLOR"] = "1";
        start.Environment["COLUMNS"] = "200";
        start.Environment.Remove("CITYBRAIN_STORE");
        return start;
    }
}

using CityBrain.Data;
using CityBrain.Cockpit.Indicators;
using CityBrain.Host.Demo;
using CityBrain.Kernel.Storage;
using CityBrain.SyntheticCity.Departments.Bank;
using CityBrain.SyntheticCity.Generation;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Spectre.Console;

namespace CityBrain.Host.Cli;

internal static class ServeCommand
{
    public static async Task<int> RunAsync(HostSettings settings, DemoCitySettings demo, CancellationToken cancellationToken, bool ngsiOpen = false)
    {
        if (ngsiOpen && !OnlyLoopback(settings.Urls))
        {
            await Console.Error.WriteLineAsync($"citybrain serve: --ngsi-open leaves the NGSI-LD API without tokens, so it listens on loopback only; got --urls {settings.Urls}");
            return 2;
        }
        if (demo.Enabled && demo.Residents is <= 0 or > CityGenerationOptions.MaxResidents)
        {
            await Console.Error.WriteLineAsync($"citybrain serve: --residents must be between 1 and {CityGenerationOptions.MaxResidents:N0}; got {demo.Residents:N0}");
            return 2;
        }
        // The demo city's bank, a separate service on its own port: citizens' accounts are checked with it and confirmed
        // payouts paid through it at once. A configured bank (Policy:BankUrl) is used instead.
        await using var bank = demo.Enabled && Environment.GetEnvironmentVariable("Policy__BankUrl") is null
            ? await DemoBank.StartAsync(settings.DataDirectory, new DemoBankOptions { CityDirectory = DemoCity.CityDirectory(settings.DataDirectory) }, cancellationToken)
            : null;
        await using var app = CityBrainHost.Create(settings, builder =>
        {
            if (bank is not null)
            {
                builder.Configuration["Policy:BankUrl"] = bank.BaseUrl.ToString();
            }
            if (ngsiOpen)
            {
                builder.Configuration["Sensing:Open"] = "true";
            }
            if (demo.Enabled)
            {
                builder.Services.AddSingleton(demo);
                builder.Services.AddSingleton<CityClock>();
                builder.Services.AddHostedService(sp => sp.GetRequiredService<CityClock>());
                builder.Services.AddSingleton<ILiveMetricSource, CityPulseMetrics>();
                // The demo's sensors publish over MQTT: to the configured broker, else to one embedded on 1883 when it is
                // free, else on a free port, so that this node never feeds or fights another node's broker on 1883.
                if (builder.Configuration["Sensing:MqttBroker"] is null)
                {
                    builder.Configuration["Sensing:EmbeddedMqttPort"] ??= EmbeddedBrokerPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                builder.Services.AddHostedService<DemoSensors>();
            }
        });
        if (demo.Enabled)
        {
            app.MapGet("/api/city/pulse", CityClock.GetPulse).WithTags("City").RequireAuthorization()
                .WithSummary("The demo city's clock: city time and today's everyday events (swipes, parking, hotline calls, births, deaths, moves) by district");
        }
        await AnsiConsole.Status().StartAsync("Preparing the store…", _ => CityBrainHost.PrepareAsync(app, cancellationToken));

        await using var city = demo.Enabled ? await DemoCity.StartAsync(app.Services, settings.DataDirectory, demo, cancellationToken) : null;
        await app.StartAsync(cancellationToken);

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var url = addresses.FirstOrDefault() ?? settings.Urls;
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        table.AddRow("[bold]CityBrain[/] is ready", $"[link]{url}[/]");
        table.AddRow("API reference", $"{url}/api-reference");
        table.AddRow("OpenAPI", $"{url}/openapi/v1.json");
        table.AddRow("Store", Markup.Escape(app.Services.GetRequiredService<IOperationalStore>().Description));
        table.AddRow("Data folder", Markup.Escape(settings.DataDirectory));
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<CityBrain.Sensing.SensingOptions>>().Value.IngestBroker is { } broker)
        {
            table.AddRow("MQTT ingest", $"{broker} (citybrain/devices/{{id}}/attrs)");
        }
        if (city is not null)
        {
            table.AddRow("Demo city", Markup.Escape(city.Directory));
            table.AddRow("Departments", $"{city.Departments.Count} systems, reached only through {url}/hub/call/…");
        }
        if (bank is not null)
        {
            table.AddRow("Demo bank", $"{bank.BaseUrl} (accounts of the demo city's residents; payouts)");
        }
        table.AddRow("Token", "dotnet run --project src/CityBrain.Host -- token --as admin");
        AnsiConsole.Write(table);
        // One plain line that scripts and tests can wait for, whatever the console renders.
        Console.WriteLine($"citybrain: listening on {url}");

        var ingestion = city is null ? Task.CompletedTask : IngestDemoCityAsync(app, new Uri(url), app.Lifetime.ApplicationStopping);
        await app.WaitForShutdownAsync(cancellationToken);
        await ingestion;
        return 0;
    }

    /// <summary>
    /// The data bureau's lake pulls every department dataset through the hub, as any consumer would (grants, gateway,
    /// audit), in the background: the platform is usable meanwhile. Later starts pull incrementally where sources allow.
    /// </summary>
    private static async Task IngestDemoCityAsync(WebApplication app, Uri hub, CancellationToken stopping)
    {
        await Task.Yield();
        AnsiConsole.MarkupLine("lake: ingesting the demo city's datasets through the hub…");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            // Each dataset is printed as it lands: the whole pull takes minutes on a small machine.
            var landed = new SynchronousProgress<DatasetIngestion>(dataset => AnsiConsole.MarkupLine(
                $"lake: {Markup.Escape(dataset.Dataset)} version {dataset.Version}, {dataset.RowCount:N0} rows ({dataset.Mode}), {clock.Elapsed.TotalSeconds:N0} s"));
            var summary = await DataBootstrap.IngestDemoCityAsync(app.Services, hub, incremental: true, landed, stopping);
            AnsiConsole.MarkupLine($"lake: {summary.Datasets.Count} datasets ingested in {clock.Elapsed.TotalSeconds:N0} s");
            var quality = await DataBootstrap.RunQualityAsync(app.Services, stopping);
            AnsiConsole.MarkupLine($"quality: {quality.Datasets.Count} datasets scored (catalog), {quality.Tasks.Count} problems sent to their units as rectification tasks");
            var grants = await Scenarios.Policy.Grants.PolicyGrants.RequestDemoGrantsAsync(app.Services, hub, stopping);
            AnsiConsole.MarkupLine($"policy: the shipped policies' sharing requests filed, {grants} approved by the datasets' owning units");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped mid-pull: the next start resumes where it was.
        }
        catch (Exception e)
        {
            // The message may quote a request path: resident IDs in it are cut before it reaches the console.
            var message = System.Text.RegularExpressions.Regex.Replace(e.Message, "[0-9]{17}[0-9Xx]", "******************");
            AnsiConsole.MarkupLine($"[red]lake: ingestion stopped[/] ({e.GetType().Name}): {Markup.Escape(message)}");
        }
    }

    private static int EmbeddedBrokerPort()
    {
        try
        {
            using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 1883);
            probe.Start();
            return 1883;
        }
        catch (System.Net.Sockets.SocketException)
        {
            using var any = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            any.Start();
            return ((System.Net.IPEndPoint)any.LocalEndpoint).Port;
        }
    }

    private static bool OnlyLoopback(string urls) => urls.Split(';', StringSplitOptions.RemoveEmptyEntries).All(url =>
        Uri.TryCreate(url.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) &&
        (uri.IsLoopback || uri.Host == "localhost"));
}

/// <summary>Reports on the caller's thread (Progress&lt;T&gt; would post to the thread pool and could print out of order).</summary>
file sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

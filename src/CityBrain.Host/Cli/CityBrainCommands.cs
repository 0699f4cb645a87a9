using CityBrain.Host.Demo;
using CityBrain.SyntheticCity.Generation;
using System.CommandLine;

namespace CityBrain.Host.Cli;

/// <summary>The verbs of the citybrain executable (System.CommandLine).</summary>
public static class CityBrainCommands
{
    public static RootCommand Build()
    {
        var data = new Option<string>("--data") { Description = "The data folder (SQLite store, lake, generated city)", DefaultValueFactory = _ => "./data", Recursive = true };
        var store = new Option<string?>("--store") { Description = "Operational store: postgresql://user@host:port/db or Host=...; default SQLite in the data folder (or CITYBRAIN_STORE)", Recursive = true };
        var urls = new Option<string>("--urls") { Description = "Where to listen", DefaultValueFactory = _ => HostSettings.DefaultUrls };
        var residents = new Option<int>("--residents") { Description = "Residents of the demo city generated on first start", DefaultValueFactory = _ => CityGenerationOptions.DefaultResidents };
        var seed = new Option<long>("--seed") { Description = "Seed of the demo city generated on first start", DefaultValueFactory = _ => CityGenerationOptions.DefaultSeed };
        var noDemo = new Option<bool>("--no-demo") { Description = "Start the hub alone: no demo city, no demo departments (a real city's install)" };
        var ngsiOpen = new Option<bool>("--ngsi-open") { Description = "Leave the NGSI-LD API (/ngsi-ld/v1) open without a bearer token, for conformance suites and local device tests; loopback addresses only" };

        var root = new RootCommand("CityBrain: a city operating platform. Without a verb, serves.");
        root.Options.Add(data);
        root.Options.Add(store);
        root.Options.Add(urls);
        root.Options.Add(residents);
        root.Options.Add(seed);
        root.Options.Add(noDemo);
        root.Options.Add(ngsiOpen);
        root.SetAction((result, cancellationToken) => ServeCommand.RunAsync(Settings(result, data, store, urls), Demo(result), cancellationToken, result.GetValue(ngsiOpen)));

        var serve = new Command("serve", "Start the platform (the default verb); on first start, generates the demo city");
        serve.Options.Add(urls);
        serve.Options.Add(residents);
        serve.Options.Add(seed);
        serve.Options.Add(noDemo);
        serve.Options.Add(ngsiOpen);
        serve.SetAction((result, cancellationToken) => ServeCommand.RunAsync(Settings(result, data, store, urls), Demo(result), cancellationToken, result.GetValue(ngsiOpen)));
        DemoCitySettings Demo(ParseResult result) => new(!result.GetValue(noDemo), result.GetValue(residents), result.GetValue(seed));
        root.Subcommands.Add(serve);

        var tokenAs = new Option<string>("--as") { Description = "admin | auditor | leader | unit:<unitCode> | system:<systemCode> | citizen:<residentId> | enterprise:<creditCode>", Required = true };
        var hours = new Option<int>("--hours") { Description = "Lifetime of the token", DefaultValueFactory = _ => 12 };
        var token = new Command("token", "Print a bearer token for a seeded user or a registered system (local development only)");
        token.Options.Add(tokenAs);
        token.Options.Add(hours);
        token.SetAction((result, cancellationToken) => TokenCommand.RunAsync(
            Settings(result, data, store, null), result.GetValue(tokenAs)!, result.GetValue(hours), cancellationToken));
        root.Subcommands.Add(token);

        var audit = new Command("audit", "The audit chain");
        var verify = new Command("verify", "Check the whole audit log; names the first record altered, removed or inserted (exit code 1)");
        verify.SetAction((result, cancellationToken) => AuditCommand.VerifyAsync(Settings(result, data, store, null), cancellationToken));
        audit.Subcommands.Add(verify);
        root.Subcommands.Add(audit);

        var registry = new Command("registry", "The registry of units, systems, interfaces and datasets");
        var file = new Argument<FileInfo>("file") { Description = "A registry file (YAML or JSON)" };
        var apply = new Command("apply", "Apply a registry file as the data bureau, straight to the store");
        apply.Arguments.Add(file);
        apply.SetAction((result, cancellationToken) => RegistryCommand.ApplyAsync(Settings(result, data, store, null), result.GetValue(file)!, cancellationToken));
        registry.Subcommands.Add(apply);
        root.Subcommands.Add(registry);
        root.Subcommands.Add(CityCommand.Build());
        root.Subcommands.Add(AddressCommand.Build(data));
        root.Subcommands.Add(PolicyCommand.Build(result => Settings(result, data, store, null)));
        root.Subcommands.Add(TrafficCommand.Build());
        return root;
    }

    private static HostSettings Settings(ParseResult result, Option<string> data, Option<string?> store, Option<string>? urls) =>
        new(Path.GetFullPath(result.GetValue(data)!), result.GetValue(store), urls is null ? HostSettings.DefaultUrls : result.GetValue(urls)!);
}

using System.CommandLine;
using System.Text.Json;
using CityBrain.Host.Demo;
using CityBrain.Kernel.Errors;
using CityBrain.Scenarios.Policy;
using CityBrain.SyntheticCity.Departments.Bank;

namespace CityBrain.Host.Cli;

/// <summary>`citybrain policy check|run|explain`: policy direct-reach over the data folder's city (docs/policy.md).</summary>
internal static class PolicyCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Build(Func<ParseResult, HostSettings> settings)
    {
        var policy = new Command("policy", "Policy direct-reach (民生直达): match the city against its policies and pay");

        var check = new Command("check", "Compare every shipped policy's eligible set with the demo city's ground truth; prints precision and recall per policy. A developer's tool: it reads the generated files directly, without grants or audit, and pays no one");
        check.SetAction((result, cancellationToken) => Guarded(async () =>
        {
            var city = DemoCity.CityDirectory(settings(result).DataDirectory);
            var report = await PolicyCli.CheckAsync(city, cancellationToken);
            foreach (var line in report.Lines)
            {
                Console.WriteLine(JsonSerializer.Serialize(line, Json));
            }
            return report.Perfect ? 0 : 1;
        }));
        policy.Subcommands.Add(check);

        var id = new Option<string>("--policy") { Description = "The policy's id (elderly-allowance, stay-in-hangzhou, ...)", Required = true };
        var period = new Option<string>("--period") { Description = "yyyy-MM for monthly policies, yyyy for yearly ones, once for one-off ones", Required = true };
        var subject = new Option<string>("--subject") { Description = "A resident ID or credit code", Required = true };
        var explain = new Command("explain", "Why a resident or enterprise gets a policy's money, or why not, clause by clause");
        explain.Options.Add(id);
        explain.Options.Add(period);
        explain.Options.Add(subject);
        explain.SetAction((result, cancellationToken) => Guarded(async () =>
        {
            var city = DemoCity.CityDirectory(settings(result).DataDirectory);
            Console.WriteLine(JsonSerializer.Serialize(await PolicyCli.ExplainAsync(city, result.GetValue(id)!, result.GetValue(period)!, result.GetValue(subject)!, cancellationToken), Json));
            return 0;
        }));
        policy.Subcommands.Add(explain);

        var bank = new Option<Uri?>("--bank") { Description = "The bank's base URL; default: the demo bank, started on a loopback port with its ledger in DATA/bank" };
        var bankLatency = new Option<int>("--bank-latency-ms") { Description = "Demo bank only: time each payment call takes", DefaultValueFactory = _ => 0 };
        var run = new Command("run", "Match one policy for one period and pay everyone eligible once, through the bank; prints one JSON object. Refused (exit 2) unless the policy's grants are in force in the data folder's hub (serve files and approves them for the demo); it reads the datasets from the data folder's lake (serve ingests the demo city's on start), each read audited");
        run.Options.Add(id);
        run.Options.Add(period);
        run.Options.Add(bank);
        run.Options.Add(bankLatency);
        run.SetAction((result, cancellationToken) => Guarded(async () =>
        {
            var host = settings(result);
            // The hub node's services over the data folder's store: the run checks the grants `serve` had approved and
            // appends its reads to the same audit chain.
            await using var app = CityBrainHost.Create(host);
            await CityBrainHost.PrepareAsync(app, cancellationToken);
            await using var demoBank = result.GetValue(bank) is null
                ? await DemoBank.StartAsync(host.DataDirectory, new DemoBankOptions { Latency = TimeSpan.FromMilliseconds(result.GetValue(bankLatency)), CityDirectory = DemoCity.CityDirectory(host.DataDirectory) }, cancellationToken)
                : null;
            using var logs = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
            var (summary, reconciliation) = await PolicyCli.RunAsync(app.Services, result.GetValue(bank) ?? demoBank!.BaseUrl,
                result.GetValue(id)!, result.GetValue(period)!, logs.CreateLogger("CityBrain.Scenarios.Policy"), cancellationToken);
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                policy = summary.Policy,
                period = summary.Period,
                eligible = summary.Eligible,
                paid = summary.Paid,
                alreadyPaid = summary.AlreadyPaid,
                blocked = summary.Blocked,
                amount = summary.Amount,
                seconds = summary.Seconds,
                overBudget = summary.OverBudget,
                unpaidAfterRetries = summary.Failed,
                reconciliation = new { reconciliation.LedgerPaid, reconciliation.BankLines, reconciliation.Matched, differences = reconciliation.Differences.Count },
            }, Json));
            return reconciliation.Differences.Count == 0 ? 0 : 1;
        }));
        policy.Subcommands.Add(run);
        return policy;
    }

    /// <summary>A refusal (unknown policy, a period out of range, a policy file with faults) is a message and exit code 2, not a stack trace.</summary>
    private static async Task<int> Guarded(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (ProblemException e)
        {
            await Console.Error.WriteLineAsync($"citybrain policy: {e.Title}: {e.Message}");
            return 2;
        }
    }
}

using System.CommandLine;
using System.Text.Json;
using CityBrain.Host.Demo;
using CityBrain.Scenarios.Policy;

namespace CityBrain.Host.Cli;

/// <summary>`citybrain policy check|run|explain`: policy direct-reach over the data folder's city (docs/policy.md).</summary>
internal static class PolicyCommand
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Command Build(Func<ParseResult, HostSettings> settings)
    {
        var policy = new Command("policy", "Policy direct-reach (民生直达): match the city against its policies and pay");

        var check = new Command("check", "Compare every shipped policy's eligible set with the demo city's ground truth; prints precision and recall per policy");
        check.SetAction(async (result, cancellationToken) =>
        {
            var city = DemoCity.CityDirectory(settings(result).DataDirectory);
            var report = await PolicyCli.CheckAsync(city, cancellationToken);
            foreach (var line in report.Lines)
            {
                Console.WriteLine(JsonSerializer.Serialize(line, Json));
            }
            return report.Perfect ? 0 : 1;
        });
        policy.Subcommands.Add(check);

        var id = new Option<string>("--policy") { Description = "The policy's id (elderly-allowance, stay-in-hangzhou, ...)", Required = true };
        var period = new Option<string>("--period") { Description = "yyyy-MM for monthly policies, yyyy for yearly ones, once for one-off ones", Required = true };
        var subject = new Option<string>("--subject") { Description = "A resident ID or credit code", Required = true };
        var explain = new Command("explain", "Why a resident or enterprise gets a policy's money, or why not, clause by clause");
        explain.Options.Add(id);
        explain.Options.Add(period);
        explain.Options.Add(subject);
        explain.SetAction(async (result, cancellationToken) =>
        {
            var city = DemoCity.CityDirectory(settings(result).DataDirectory);
            Console.WriteLine(JsonSerializer.Serialize(await PolicyCli.ExplainAsync(city, result.GetValue(id)!, result.GetValue(period)!, result.GetValue(subject)!, cancellationToken), Json));
            return 0;
        });
        policy.Subcommands.Add(explain);
        return policy;
    }
}

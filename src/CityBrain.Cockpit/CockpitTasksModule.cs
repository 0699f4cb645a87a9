using CityBrain.Cockpit.Evaluation;
using CityBrain.Cockpit.Supervision;
using CityBrain.Cockpit.Tasks;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Messaging;
using CityBrain.Kernel.Messaging.Contracts;
using CityBrain.Kernel.Storage;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CityBrain.Cockpit;

/// <summary>
/// The cockpit's closed loop: dispatched tasks, supervision and scenario evaluation. The host calls AddCockpitTasks and
/// MapCockpitTasks (the cockpit's pages are registered separately by AddCockpit / MapCockpit).
/// </summary>
public static class CockpitTasksModule
{
    /// <summary>Registers tasks, supervision and evaluation. Needs the hub (AddHub): the store, the registry, the audit log.</summary>
    public static IServiceCollection AddCockpitTasks(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<IMigrationSet, TaskMigrations>();
        services.AddOptions<TaskOptions>().BindConfiguration(TaskOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<TaskOptions>, RulesFilesAreValid>();
        services.AddSingleton<AttachmentStore>();
        services.AddSingleton<TaskService>();
        services.AddSingleton<ITaskDispatcher>(sp => sp.GetRequiredService<TaskService>());
        services.AddHostedService<TaskEscalationService>();
        services.AddEventHandler<QualityProblemFound, QualityProblemSubscriber>();
        services.AddEventHandler<PolicyDataDisputed, PolicyDisputeSubscriber>();
        services.AddEventHandler<ScenarioUsed, ScenarioUseSubscriber>();

        services.AddSupervision();
        services.AddEvaluation();
        return services;
    }

    /// <summary>
    /// Registers one of the platform's own scenarios at start unless its code is registered (a city registers its own
    /// through the API); the host calls it for each scenario it runs. Answers whether it registered it now.
    /// </summary>
    public static Task<bool> EnsureScenarioAsync(this IServiceProvider services, ScenarioRegistration registration, CancellationToken cancellationToken) =>
        services.GetRequiredService<ScenarioService>().RegisterIfAbsentAsync(registration, new Caller("citybrain", HubRoles.Admin, null, null, null), cancellationToken);

    public static IEndpointRouteBuilder MapCockpitTasks(this IEndpointRouteBuilder routes)
    {
        routes.MapTasksApi();
        routes.MapSupervisionApi();
        routes.MapEvaluationApi();
        return routes;
    }
}

using CityBrain.Kernel.Storage;

namespace CityBrain.Cockpit.Evaluation;

internal sealed class EvaluationMigrations : IMigrationSet
{
    public IReadOnlyList<Migration> Migrations { get; } =
    [
        new("cockpit.evaluation", 1, "scenarios, usage, ratings, lifecycle",
            """
            CREATE TABLE cockpit_scenarios (
                code TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                owner_unit TEXT NOT NULL,
                target_population BIGINT NOT NULL,
                state TEXT NOT NULL,
                state_since BIGINT NOT NULL,
                registered_at BIGINT NOT NULL);
            CREATE TABLE cockpit_scenario_usage (
                scenario TEXT NOT NULL REFERENCES cockpit_scenarios(code),
                day TEXT NOT NULL,
                user_hash TEXT NOT NULL,
                PRIMARY KEY (scenario, day, user_hash));
            CREATE TABLE cockpit_scenario_ratings (
                scenario TEXT NOT NULL REFERENCES cockpit_scenarios(code),
                day TEXT NOT NULL,
                citizen_hash TEXT NOT NULL,
                score INTEGER NOT NULL,
                at BIGINT NOT NULL,
                PRIMARY KEY (scenario, day, citizen_hash));
            CREATE TABLE cockpit_scenario_transitions (
                scenario TEXT NOT NULL REFERENCES cockpit_scenarios(code),
                at BIGINT NOT NULL,
                from_state TEXT NOT NULL,
                to_state TEXT NOT NULL,
                reason TEXT NOT NULL);
            CREATE INDEX ix_cockpit_scenario_transitions ON cockpit_scenario_transitions(scenario, at);
            """),
    ];
}

using System.Security.Cryptography;
using System.Text;
using CityBrain.Hub.Audit;
using CityBrain.Hub.Security;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Storage;

namespace CityBrain.Hub.Registry;

/// <summary>What one registry change did. Client secrets are shown once, for systems registered by this change.</summary>
public sealed record RegistryChangeResult(int Units, int Systems, int Interfaces, int Datasets, IReadOnlyDictionary<string, string> ClientSecrets);

/// <summary>Registry writes for the host's verbs and seeding; the API uses the same path.</summary>
public interface IRegistryAdmin
{
    Task<RegistryChangeResult> ApplyAsync(RegistryManifest manifest, Caller caller, CancellationToken cancellationToken);
}

/// <summary>
/// Every registry write goes through <see cref="ApplyAsync"/>: validate the whole change, check who may make it,
/// check references, write it in one transaction, audit it. A file of 12,000 interfaces is one change.
/// </summary>
internal sealed class RegistryService(IOperationalStore store, IAuditLog audit, TimeProvider time) : IRegistryAdmin
{
    public async Task<RegistryChangeResult> ApplyAsync(RegistryManifest manifest, Caller caller, CancellationToken cancellationToken)
    {
        var validator = new RegistryValidator();
        var units = new List<Unit>();
        var systems = new List<RegisteredSystem>();
        var interfaces = new List<(RegisteredInterface Interface, string Where)>();
        var datasets = new List<Dataset>();
        for (var i = 0; i < manifest.Units.Count; i++)
        {
            if (validator.Unit(manifest.Units[i], $"units[{i}]") is { } unit)
            {
                units.Add(unit);
            }
        }
        for (var i = 0; i < manifest.Systems.Count; i++)
        {
            var spec = manifest.Systems[i];
            if (validator.System(spec, $"systems[{i}]") is { } system)
            {
                systems.Add(system);
            }
            for (var j = 0; j < spec.Interfaces.Count; j++)
            {
                var where = $"systems[{i}].interfaces[{j}]";
                if (validator.Interface(spec.Code ?? "", spec.Interfaces[j], where) is { } registered)
                {
                    interfaces.Add((registered, where));
                }
            }
        }
        for (var i = 0; i < manifest.Datasets.Count; i++)
        {
            if (validator.Dataset(manifest.Datasets[i], $"datasets[{i}]") is { } dataset)
            {
                datasets.Add(dataset);
            }
        }
        Duplicates(validator, units.Select(u => u.Code), "units");
        Duplicates(validator, systems.Select(s => s.Code), "systems");
        Duplicates(validator, interfaces.Select(i => i.Interface.Resource), "interfaces");
        Duplicates(validator, datasets.Select(d => d.Code), "datasets");
        validator.ThrowIfInvalid();
        if (units.Count + systems.Count + interfaces.Count + datasets.Count == 0)
        {
            throw new ValidationFailedException("body", "the change registers nothing: give units, systems (with interfaces) or datasets");
        }

        return await WriteAsync(caller, units, systems, interfaces, datasets, validator, cancellationToken);
    }

    /// <summary>Adds or replaces interfaces of one existing system (API calls and OpenAPI imports).</summary>
    public async Task<RegistryChangeResult> ApplyInterfacesAsync(string system, IReadOnlyList<InterfaceSpec> specs, Caller caller, CancellationToken cancellationToken)
    {
        var validator = new RegistryValidator();
        var interfaces = new List<(RegisteredInterface, string)>();
        for (var i = 0; i < specs.Count; i++)
        {
            if (validator.Interface(system, specs[i], $"interfaces[{i}]") is { } registered)
            {
                interfaces.Add((registered, $"interfaces[{i}]"));
            }
        }
        Duplicates(validator, interfaces.Select(i => i.Item1.Resource), "interfaces");
        validator.ThrowIfInvalid();
        if (interfaces.Count == 0)
        {
            throw new ValidationFailedException("interfaces", "give at least one interface");
        }
        return await WriteAsync(caller, [], [], interfaces, [], validator, cancellationToken);
    }

    public async Task<string> RotateClientSecretAsync(string system, Caller caller, CancellationToken cancellationToken)
    {
        var secret = NewSecret();
        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var owners = await RegistryStore.SystemUnitsAsync(tx, [system], cancellationToken);
        if (!owners.TryGetValue(system, out var unit))
        {
            throw new NotFoundException($"system '{system}' is not registered");
        }
        if (!caller.IsAdmin && !(caller.Role == HubRoles.UnitOperator && caller.Unit == unit))
        {
            throw new ForbiddenException($"only the data bureau or unit '{unit}' may rotate the secret of '{system}'");
        }
        await Dapper.SqlMapper.ExecuteAsync(connection, new Dapper.CommandDefinition(
            "UPDATE hub_systems SET client_secret_hash = @hash, updated_at = @now WHERE code = @system",
            new { hash = HashSecret(secret), now = time.GetUtcNow().ToUnixTimeMilliseconds(), system }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        await audit.AppendAsync(new AuditEntry("registry.secret-rotated", caller.AuditName, system), cancellationToken);
        return secret;
    }

    public static string HashSecret(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private async Task<RegistryChangeResult> WriteAsync(
        Caller caller,
        List<Unit> units,
        List<RegisteredSystem> systems,
        List<(RegisteredInterface Interface, string Where)> interfaces,
        List<Dataset> datasets,
        RegistryValidator validator,
        CancellationToken cancellationToken)
    {
        if (!caller.IsAdmin && caller.Role != HubRoles.UnitOperator)
        {
            throw new ForbiddenException("only the data bureau and unit operators change the registry");
        }
        if (!caller.IsAdmin && units.Count > 0)
        {
            throw new ForbiddenException("only the data bureau registers units");
        }

        await using var connection = await store.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await store.LockAsync(tx, "hub_registry", cancellationToken);

        var unitCodes = units.Select(u => u.Code).ToHashSet(StringComparer.Ordinal);
        var referencedUnits = units.Where(u => u.Parent is not null).Select(u => u.Parent!)
            .Concat(systems.Select(s => s.Unit)).Concat(datasets.Select(d => d.Unit)).Where(c => !unitCodes.Contains(c)).ToList();
        var knownUnits = await RegistryStore.ExistingCodesAsync(tx, "hub_units", referencedUnits, cancellationToken);
        knownUnits.UnionWith(unitCodes);
        for (var i = 0; i < units.Count; i++)
        {
            if (units[i].Parent is { } parent && !knownUnits.Contains(parent))
            {
                validator.Add($"units[{i}].parent", $"unit '{parent}' is not registered");
            }
        }
        for (var i = 0; i < systems.Count; i++)
        {
            if (!knownUnits.Contains(systems[i].Unit))
            {
                validator.Add($"systems[{i}].unit", $"unit '{systems[i].Unit}' is not registered");
            }
        }
        for (var i = 0; i < datasets.Count; i++)
        {
            if (!knownUnits.Contains(datasets[i].Unit))
            {
                validator.Add($"datasets[{i}].unit", $"unit '{datasets[i].Unit}' is not registered");
            }
        }

        // Which unit owns each system touched: from this change, else from the registry.
        var systemUnits = systems.ToDictionary(s => s.Code, s => s.Unit, StringComparer.Ordinal);
        var existingSystems = await RegistryStore.SystemUnitsAsync(tx,
            systems.Select(s => s.Code).Concat(interfaces.Select(i => i.Interface.System)).ToList(), cancellationToken);
        foreach (var (code, unit) in existingSystems)
        {
            systemUnits.TryAdd(code, unit);
        }
        foreach (var (registered, where) in interfaces)
        {
            if (!systemUnits.ContainsKey(registered.System))
            {
                validator.Add($"{where}", $"system '{registered.System}' is not registered");
            }
        }
        validator.ThrowIfInvalid();

        if (!caller.IsAdmin)
        {
            var foreign = systems.Select(s => s.Unit)
                .Concat(existingSystems.Where(e => systems.Any(s => s.Code == e.Key)).Select(e => e.Value))
                .Concat(interfaces.Select(i => systemUnits[i.Interface.System]))
                .Concat(datasets.Select(d => d.Unit))
                .FirstOrDefault(u => u != caller.Unit);
            if (foreign is not null)
            {
                throw new ForbiddenException($"unit '{caller.Unit}' may change only its own registrations, not those of unit '{foreign}'");
            }
        }

        var secrets = new Dictionary<string, string>(StringComparer.Ordinal);
        var withSecrets = systems.Select(s =>
        {
            if (existingSystems.ContainsKey(s.Code))
            {
                return (s, (string?)null);
            }
            var secret = NewSecret();
            secrets[s.Code] = secret;
            return (s, HashSecret(secret));
        }).ToList();

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        // Parents first, so that a unit's parent row exists when its foreign key is checked.
        await RegistryStore.UpsertUnitsAsync(tx, OrderByParent(units), now, cancellationToken);
        await RegistryStore.UpsertSystemsAsync(tx, withSecrets, now, cancellationToken);
        await RegistryStore.UpsertInterfacesAsync(tx, interfaces.Select(i => i.Interface), now, cancellationToken);
        await RegistryStore.UpsertDatasetsAsync(tx, datasets, now, cancellationToken);
        await tx.CommitAsync(cancellationToken);

        await audit.AppendAsync(new AuditEntry("registry.change", caller.AuditName, Resource: Describe(units, systems, interfaces, datasets),
            Detail: new Dictionary<string, string?>
            {
                ["units"] = units.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["systems"] = systems.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["interfaces"] = interfaces.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["datasets"] = datasets.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }), cancellationToken);
        return new RegistryChangeResult(units.Count, systems.Count, interfaces.Count, datasets.Count, secrets);
    }

    private static string Describe(List<Unit> units, List<RegisteredSystem> systems, List<(RegisteredInterface Interface, string Where)> interfaces, List<Dataset> datasets)
    {
        var names = units.Select(u => $"unit:{u.Code}").Concat(systems.Select(s => $"system:{s.Code}"))
            .Concat(interfaces.Select(i => i.Interface.Resource)).Concat(datasets.Select(d => $"dataset:{d.Code}")).ToList();
        return names.Count <= 5 ? string.Join(",", names) : $"{string.Join(",", names.Take(5))},… ({names.Count} in all)";
    }

    private static List<Unit> OrderByParent(List<Unit> units)
    {
        var byCode = units.ToDictionary(u => u.Code, StringComparer.Ordinal);
        var ordered = new List<Unit>(units.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        void Place(Unit unit, int depth)
        {
            if (placed.Contains(unit.Code) || depth > units.Count)
            {
                return;
            }
            if (unit.Parent is { } parent && byCode.TryGetValue(parent, out var parentUnit))
            {
                Place(parentUnit, depth + 1);
            }
            if (placed.Add(unit.Code))
            {
                ordered.Add(unit);
            }
        }
        foreach (var unit in units)
        {
            Place(unit, 0);
        }
        return ordered;
    }

    private static void Duplicates(RegistryValidator validator, IEnumerable<string> codes, string where)
    {
        foreach (var code in codes.GroupBy(c => c, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key))
        {
            validator.Add(where, $"'{code}' appears more than once");
        }
    }

    private static string NewSecret() => "cbs_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
}

namespace CityBrain.Hub.Registry;

/// <summary>Read side of the registry as the gateway and the sharing workflow need it.</summary>
public interface IRegistryReader
{
    Task<Unit?> FindUnitAsync(string code, CancellationToken cancellationToken);

    Task<RegisteredSystem?> FindSystemAsync(string code, CancellationToken cancellationToken);

    Task<RegisteredInterface?> FindInterfaceAsync(string system, string code, CancellationToken cancellationToken);

    /// <summary>The catalog's datasets (<c>gaj.rk</c>), with their fields' levels, owner and openness.</summary>
    Task<IReadOnlyList<Dataset>> ListDatasetsAsync(CancellationToken cancellationToken);

    Task<Dataset?> FindDatasetAsync(string code, CancellationToken cancellationToken);
}

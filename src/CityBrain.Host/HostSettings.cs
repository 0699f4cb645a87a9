namespace CityBrain.Host;

/// <summary>What the verbs share: where the data folder is and which operational store to use.</summary>
public sealed record HostSettings(string DataDirectory, string? Store, string Urls)
{
    public const string DefaultUrls = "http://localhost:5080";

    /// <summary>The store from --store, else CITYBRAIN_STORE, else SQLite in the data folder.</summary>
    public string? EffectiveStore => Store ?? Environment.GetEnvironmentVariable("CITYBRAIN_STORE");
}

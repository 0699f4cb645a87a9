namespace CityBrain.Hub.Registry;

// What people write: the YAML registry file, the JSON bodies of the registry API, the result of an OpenAPI
// import. Mutable classes so that YamlDotNet and System.Text.Json both bind them; RegistryValidator turns them
// into the registry's records or says precisely what is wrong and where.

public sealed class RegistryManifest
{
    public List<UnitSpec> Units { get; set; } = [];
    public List<SystemSpec> Systems { get; set; } = [];
    public List<DatasetSpec> Datasets { get; set; } = [];
}

public sealed class UnitSpec
{
    public string? Code { get; set; }
    public string? Name { get; set; }
    public string? DivisionCode { get; set; }
    public string? Parent { get; set; }
}

public sealed class SystemSpec
{
    public string? Code { get; set; }
    public string? Unit { get; set; }
    public string? Name { get; set; }
    public string? BaseUrl { get; set; }
    public CredentialsSpec? Credentials { get; set; }
    public int? TimeoutMs { get; set; }
    public List<InterfaceSpec> Interfaces { get; set; } = [];
}

public sealed class CredentialsSpec
{
    public string? Header { get; set; }
    public string? Value { get; set; }
}

public sealed class InterfaceSpec
{
    public string? Code { get; set; }
    public string? Name { get; set; }
    public string? Method { get; set; }
    public string? Path { get; set; }
    public string? Sharing { get; set; }
    public List<ParameterSpec> Parameters { get; set; } = [];
    public List<FieldSpec> Fields { get; set; } = [];
}

public sealed class ParameterSpec
{
    public string? Name { get; set; }
    public string? In { get; set; }
    public bool Required { get; set; }
    public string? Format { get; set; }
    public string? Description { get; set; }
}

public sealed class FieldSpec
{
    public string? Name { get; set; }
    public string? Level { get; set; }
    public string? Description { get; set; }
    public string? Mask { get; set; }
}

public sealed class DatasetSpec
{
    public string? Code { get; set; }
    public string? Unit { get; set; }
    public string? Name { get; set; }
    public string? Description { get; set; }
    public string? UpdateFrequency { get; set; }
    public string? Sharing { get; set; }
    public bool Open { get; set; }
    public List<FieldSpec> Fields { get; set; } = [];
}

using System.Text.Json.Nodes;

namespace CityBrain.SyntheticCity.Departments.Hosting;

/// <summary>How a stored value is written in JSON. Values are stored as the department's file has them; a value that
/// does not read as its kind (planted dirt) is served as the stored text, an empty one as null.</summary>
internal enum ColumnKind
{
    Text,
    Integer,
    Decimal,
}

/// <summary>A column of a department file: its JSON kind and how personal it is (the hub's field levels and mask kinds).</summary>
internal sealed record Column(string Name, string Description, ColumnKind Kind = ColumnKind.Text, string Level = "internal", string? Mask = null)
{
    public static Column Public(string name, string description, ColumnKind kind = ColumnKind.Text) => new(name, description, kind, "public");

    public static Column Internal(string name, string description, ColumnKind kind = ColumnKind.Text) => new(name, description, kind);

    public static Column Personal(string name, string description, string? mask = null, ColumnKind kind = ColumnKind.Text) =>
        new(name, description, kind, "personal", mask);

    public static Column Sensitive(string name, string description, string? mask = null, ColumnKind kind = ColumnKind.Text) =>
        new(name, description, kind, "sensitive-personal", mask);
}

/// <summary>
/// One department file and the table it loads into: <c>departments/&lt;code&gt;/&lt;Name&gt;.csv</c> → table <c>Name</c>.
/// <see cref="Indexed"/> are the columns the department's queries filter or look up by.
/// </summary>
internal sealed record Table(string Name, string Title, IReadOnlyList<Column> Columns, IReadOnlyList<string> Indexed,
    string Sharing = "conditional", string UpdateFrequency = "daily")
{
    public string FileName => Name + ".csv";
}

/// <summary>A declared request parameter, as the hub's registry and the OpenAPI description name it.</summary>
internal sealed record ApiParameter(string Name, string In, bool Required, string Format, string Description)
{
    public static ApiParameter Path(string name, string format, string description) => new(name, "path", true, format, description);

    public static ApiParameter Query(string name, string format, string description, bool required = false) => new(name, "query", required, format, description);
}

/// <summary>A response field: a dotted path from the response root, arrays transparent (the hub's ResponseFilter rule).</summary>
internal sealed record ApiField(string Name, string Level, string? Mask, string Description, ColumnKind Kind = ColumnKind.Text)
{
    public static IEnumerable<ApiField> Of(Table table, string? under = null) =>
        table.Columns.Select(c => new ApiField(under is null ? c.Name : $"{under}.{c.Name}", c.Level, c.Mask, c.Description, c.Kind));

    public static ApiField Public(string name, string description, ColumnKind kind = ColumnKind.Text) => new(name, "public", null, description, kind);
}

/// <summary>Answers one request: the JSON body of a 200, or a <see cref="DepartmentException"/> the department writes in its own error shape.</summary>
internal delegate Task<JsonNode> OperationHandler(DepartmentRequest request);

/// <summary>
/// One GET operation of a department system: the route it serves, and what the hub registers for it. Both come from
/// this one description, so the registry, the OpenAPI document and the routes cannot drift apart.
/// </summary>
internal sealed record ApiOperation(
    string Code,
    string Name,
    string Path,
    string Sharing,
    IReadOnlyList<ApiParameter> Parameters,
    IReadOnlyList<ApiField> Fields,
    OperationHandler Handler)
{
    /// <summary>The dotted path of the answer's list of records, if it has one (for the OpenAPI schema).</summary>
    public string? ListAt { get; init; }
}

/// <summary>Why a department refuses a request; each department answers it with its own status and error shape.</summary>
internal enum Refusal
{
    InvalidParameter,
    NotFound,
    Unauthorized,
    UnknownResource,
    MethodNotAllowed,
    Failed,
}

/// <summary>A request the department refuses, with what was wrong and where (the parameter's name is in the message).</summary>
internal sealed class DepartmentException(Refusal refusal, string message) : Exception(message)
{
    public Refusal Refusal { get; } = refusal;
}

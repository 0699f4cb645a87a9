using System.Text.RegularExpressions;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Identifiers;

namespace CityBrain.Hub.Registry;

/// <summary>
/// Turns specs into registry records, collecting every problem with its place
/// (<c>systems[0].interfaces[3].fields[1].level</c>) so that a whole file is answered in one go.
/// </summary>
internal sealed partial class RegistryValidator
{
    public static readonly string[] MaskKinds = ["resident-id", "phone", "name", "address", "bank-card", "generic"];
    public static readonly string[] ParameterFormats = ["resident-id", "credit-code", "division-code", "date", "integer", "string"];
    private static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool HasErrors => _errors.Count > 0;

    public void ThrowIfInvalid()
    {
        if (HasErrors)
        {
            throw new ValidationFailedException(_errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal));
        }
    }

    public void Add(string where, string message)
    {
        if (!_errors.TryGetValue(where, out var list))
        {
            _errors[where] = list = [];
        }
        list.Add(message);
    }

    public Unit? Unit(UnitSpec spec, string where)
    {
        var ok = Code(spec.Code, $"{where}.code");
        ok &= Required(spec.Name, $"{where}.name", 200);
        if (!DivisionCode.TryParse(spec.DivisionCode, out _, out var divisionError))
        {
            Add($"{where}.divisionCode", divisionError!);
            ok = false;
        }
        if (spec.Parent is not null && spec.Parent == spec.Code)
        {
            Add($"{where}.parent", "a unit cannot be its own parent");
            ok = false;
        }
        return ok ? new Unit(spec.Code!, spec.Name!.Trim(), spec.DivisionCode!, spec.Parent) : null;
    }

    public RegisteredSystem? System(SystemSpec spec, string where)
    {
        var ok = Code(spec.Code, $"{where}.code");
        ok &= Code(spec.Unit, $"{where}.unit");
        ok &= Required(spec.Name, $"{where}.name", 200);
        if (!Uri.TryCreate(spec.BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https") ||
            !string.IsNullOrEmpty(baseUrl.Query) || !string.IsNullOrEmpty(baseUrl.Fragment) || !string.IsNullOrEmpty(baseUrl.UserInfo))
        {
            Add($"{where}.baseUrl", "must be an absolute http(s) URL without query, fragment or user info");
            ok = false;
        }
        ProviderCredentials? credentials = null;
        if (spec.Credentials is not null)
        {
            if (string.IsNullOrWhiteSpace(spec.Credentials.Header) || !HeaderName().IsMatch(spec.Credentials.Header))
            {
                Add($"{where}.credentials.header", "must be an HTTP header name");
                ok = false;
            }
            if (string.IsNullOrEmpty(spec.Credentials.Value) || spec.Credentials.Value.Any(char.IsControl))
            {
                Add($"{where}.credentials.value", "must be a non-empty header value");
                ok = false;
            }
            credentials = new ProviderCredentials(spec.Credentials.Header ?? "", spec.Credentials.Value ?? "");
        }
        var timeout = spec.TimeoutMs ?? 10_000;
        if (timeout is < 100 or > 120_000)
        {
            Add($"{where}.timeoutMs", "must be between 100 and 120000");
            ok = false;
        }
        return ok ? new RegisteredSystem(spec.Code!, spec.Unit!, spec.Name!.Trim(), baseUrl!.ToString().TrimEnd('/'), credentials, timeout) : null;
    }

    public RegisteredInterface? Interface(string system, InterfaceSpec spec, string where)
    {
        var ok = Code(spec.Code, $"{where}.code");
        ok &= Required(spec.Name, $"{where}.name", 200);
        var method = spec.Method?.ToUpperInvariant();
        if (method is null || !Methods.Contains(method))
        {
            Add($"{where}.method", $"must be one of {string.Join(", ", Methods)}");
            ok = false;
        }
        var sharing = Sharing(spec.Sharing, $"{where}.sharing");
        ok &= sharing is not null;

        var templateNames = new List<string>();
        if (string.IsNullOrEmpty(spec.Path) || !spec.Path.StartsWith('/') || spec.Path.Contains("..", StringComparison.Ordinal) ||
            spec.Path.Contains('?', StringComparison.Ordinal) || spec.Path.Contains('\\', StringComparison.Ordinal))
        {
            Add($"{where}.path", "must start with '/' and hold no '..', '\\' or query");
            ok = false;
        }
        else
        {
            foreach (var segment in spec.Path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (segment.StartsWith('{') && segment.EndsWith('}'))
                {
                    templateNames.Add(segment[1..^1]);
                }
                else if (segment.Contains('{', StringComparison.Ordinal) || segment.Contains('}', StringComparison.Ordinal))
                {
                    Add($"{where}.path", $"segment '{segment}': a parameter must be a whole segment, like {{id}}");
                    ok = false;
                }
            }
        }

        var parameters = new List<InterfaceParameter>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < spec.Parameters.Count; i++)
        {
            var p = spec.Parameters[i];
            var at = $"{where}.parameters[{i}]";
            if (string.IsNullOrWhiteSpace(p.Name) || !ParameterName().IsMatch(p.Name))
            {
                Add($"{at}.name", "must be letters, digits, '_' or '-'");
                ok = false;
                continue;
            }
            if (!seen.Add(p.Name))
            {
                Add($"{at}.name", $"'{p.Name}' is declared twice");
                ok = false;
            }
            var location = p.In?.ToLowerInvariant();
            if (location is not ("path" or "query"))
            {
                Add($"{at}.in", "must be 'path' or 'query'");
                ok = false;
            }
            if (p.Format is not null && !ParameterFormats.Contains(p.Format))
            {
                Add($"{at}.format", $"must be one of {string.Join(", ", ParameterFormats)}");
                ok = false;
            }
            if (location == "path" && !templateNames.Contains(p.Name))
            {
                Add($"{at}.name", $"path parameter '{p.Name}' is not in the path template");
                ok = false;
            }
            parameters.Add(new InterfaceParameter(p.Name, location ?? "query", p.Required || location == "path", p.Format, p.Description));
        }
        foreach (var name in templateNames.Where(n => !parameters.Any(p => p.Name == n && p.In == "path")))
        {
            // A template parameter nobody declared is declared implicitly: required, free text.
            parameters.Add(new InterfaceParameter(name, "path", true));
        }

        var fields = Fields(spec.Fields, where);
        ok &= fields is not null;
        if (fields is { Count: 0 })
        {
            Add($"{where}.fields", "an interface declares at least one response field");
            ok = false;
        }
        return ok ? new RegisteredInterface(system, spec.Code!, spec.Name!.Trim(), method!, spec.Path!, sharing!.Value, parameters, fields!) : null;
    }

    public Dataset? Dataset(DatasetSpec spec, string where)
    {
        var ok = Code(spec.Code, $"{where}.code");
        ok &= Code(spec.Unit, $"{where}.unit");
        ok &= Required(spec.Name, $"{where}.name", 200);
        var frequency = spec.UpdateFrequency ?? "daily";
        if (frequency is not ("realtime" or "hourly" or "daily" or "weekly" or "monthly" or "quarterly" or "yearly" or "irregular"))
        {
            Add($"{where}.updateFrequency", "must be realtime, hourly, daily, weekly, monthly, quarterly, yearly or irregular");
            ok = false;
        }
        var sharing = Sharing(spec.Sharing, $"{where}.sharing");
        ok &= sharing is not null;
        var fields = Fields(spec.Fields, where);
        ok &= fields is not null;
        if (spec.Open && fields is not null && fields.Any(f => f.Level is FieldLevel.Personal or FieldLevel.SensitivePersonal))
        {
            Add($"{where}.open", "a dataset with personal fields cannot be open data");
            ok = false;
        }
        return ok ? new Dataset(spec.Code!, spec.Unit!, spec.Name!.Trim(), spec.Description, frequency, sharing!.Value, spec.Open, fields!) : null;
    }

    private List<InterfaceField>? Fields(List<FieldSpec> specs, string where)
    {
        var ok = true;
        var fields = new List<InterfaceField>(specs.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < specs.Count; i++)
        {
            var f = specs[i];
            var at = $"{where}.fields[{i}]";
            if (string.IsNullOrWhiteSpace(f.Name) || !FieldPath().IsMatch(f.Name))
            {
                Add($"{at}.name", "must be a property name or a dotted path (data.XM)");
                ok = false;
                continue;
            }
            if (!seen.Add(f.Name))
            {
                Add($"{at}.name", $"'{f.Name}' is declared twice");
                ok = false;
            }
            var level = Level(f.Level);
            if (level is null)
            {
                Add($"{at}.level", "must be public, internal, personal or sensitive-personal");
                ok = false;
            }
            if (f.Mask is not null && !MaskKinds.Contains(f.Mask))
            {
                Add($"{at}.mask", $"must be one of {string.Join(", ", MaskKinds)}");
                ok = false;
            }
            fields.Add(new InterfaceField(f.Name, level ?? FieldLevel.Internal, f.Description, f.Mask));
        }
        return ok ? fields : null;
    }

    public static FieldLevel? Level(string? text) => text?.ToLowerInvariant() switch
    {
        "public" => FieldLevel.Public,
        "internal" => FieldLevel.Internal,
        "personal" => FieldLevel.Personal,
        "sensitive-personal" or "sensitive" => FieldLevel.SensitivePersonal,
        _ => null,
    };

    public static string LevelName(FieldLevel level) => level switch
    {
        FieldLevel.Public => "public",
        FieldLevel.Internal => "internal",
        FieldLevel.Personal => "personal",
        _ => "sensitive-personal",
    };

    public static string SharingName(SharingType sharing) => sharing switch
    {
        SharingType.Unconditional => "unconditional",
        SharingType.Conditional => "conditional",
        _ => "not-shared",
    };

    private SharingType? Sharing(string? text, string where)
    {
        SharingType? sharing = text?.ToLowerInvariant() switch
        {
            "unconditional" => SharingType.Unconditional,
            "conditional" or null => SharingType.Conditional,
            "not-shared" or "none" => SharingType.NotShared,
            _ => null,
        };
        if (sharing is null)
        {
            Add(where, "must be unconditional, conditional or not-shared");
        }
        return sharing;
    }

    private bool Code(string? code, string where)
    {
        if (code is null || !CodePattern().IsMatch(code))
        {
            Add(where, "a code is 1-64 lower-case letters, digits, '-', '_' or '.', starting with a letter or digit");
            return false;
        }
        return true;
    }

    private bool Required(string? text, string where, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > maxLength)
        {
            Add(where, $"is required, at most {maxLength} characters");
            return false;
        }
        return true;
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex CodePattern();

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ParameterName();

    [GeneratedRegex(@"^[\p{L}A-Za-z0-9_$@-]{1,64}(\.[\p{L}A-Za-z0-9_$@-]{1,64}){0,7}$")]
    private static partial Regex FieldPath();

    [GeneratedRegex("^[A-Za-z0-9-]{1,64}$")]
    private static partial Regex HeaderName();
}

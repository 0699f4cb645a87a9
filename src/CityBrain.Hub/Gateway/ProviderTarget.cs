using System.Globalization;
using System.Text;
using CityBrain.Hub.Registry;
using CityBrain.Kernel.Errors;
using CityBrain.Kernel.Identifiers;
using Microsoft.AspNetCore.Http;

namespace CityBrain.Hub.Gateway;

/// <summary>
/// The provider URL a call may reach: built by the hub from the interface's path template and the declared
/// parameters only, each value checked and re-encoded. A consumer cannot reach anything else on the provider:
/// extra segments, '..', encoded slashes, undeclared query parameters are refused.
/// </summary>
internal sealed record ProviderTarget(string PathAndQuery, IReadOnlyList<string> SubjectIds)
{
    public static ProviderTarget Resolve(RegisteredInterface registered, string rawRest, IQueryCollection query)
    {
        var templateSegments = registered.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var restSegments = rawRest.Length == 0 ? [] : rawRest.Split('/');
        var parameterSegments = templateSegments.Count(t => t.StartsWith('{'));
        if (restSegments.Length == parameterSegments && parameterSegments != templateSegments.Length)
        {
            // The short form: only the parameter values, in template order (/hub/call/police/person/3301...).
            var values = new Queue<string>(restSegments);
            restSegments = templateSegments.Select(t => t.StartsWith('{') ? values.Dequeue() : t).ToArray();
        }
        if (restSegments.Length != templateSegments.Length)
        {
            throw new ValidationFailedException("path", $"{registered.Resource} answers {registered.Method} {registered.Path}: give the path after the interface as in the template, or just its {parameterSegments} parameter value(s); the call gave {restSegments.Length} segment(s)");
        }

        var subjects = new List<string>();
        var path = new StringBuilder();
        for (var i = 0; i < templateSegments.Length; i++)
        {
            var template = templateSegments[i];
            var raw = restSegments[i];
            string value;
            try
            {
                value = Uri.UnescapeDataString(raw);
            }
            catch (UriFormatException)
            {
                throw new ValidationFailedException("path", $"segment {i + 1} is not valid percent-encoding");
            }
            if (value.Length == 0 || value is "." or ".." || value.IndexOfAny(['/', '\\']) >= 0 || value.Any(char.IsControl))
            {
                throw new ValidationFailedException("path", $"segment {i + 1} is empty, a dot segment, or hides a slash or control character");
            }
            path.Append('/');
            if (template.StartsWith('{') && template.EndsWith('}'))
            {
                var parameter = registered.Parameters.First(p => p.In == "path" && p.Name == template[1..^1]);
                value = Check(parameter, value, subjects);
                path.Append(Uri.EscapeDataString(value));
            }
            else if (!string.Equals(template, value, StringComparison.Ordinal))
            {
                throw new ValidationFailedException("path", $"segment {i + 1} must be '{template}' ({registered.Path})");
            }
            else
            {
                path.Append(template);
            }
        }

        var first = true;
        foreach (var (name, values) in query)
        {
            var parameter = registered.Parameters.FirstOrDefault(p => p.In == "query" && p.Name == name)
                ?? throw new ValidationFailedException(name, $"'{name}' is not a query parameter of {registered.Resource}");
            if (values.Count != 1)
            {
                throw new ValidationFailedException(name, "give the parameter once");
            }
            var value = Check(parameter, values[0] ?? "", subjects);
            path.Append(first ? '?' : '&').Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value));
            first = false;
        }
        foreach (var missing in registered.Parameters.Where(p => p.In == "query" && p.Required && !query.ContainsKey(p.Name)))
        {
            throw new ValidationFailedException(missing.Name, $"the query parameter '{missing.Name}' is required");
        }
        return new ProviderTarget(path.Length == 0 ? "/" : path.ToString(), subjects);
    }

    private static string Check(InterfaceParameter parameter, string value, List<string> subjects)
    {
        if (value.Length > 256 || value.Any(char.IsControl))
        {
            throw new ValidationFailedException(parameter.Name, "at most 256 characters, no control characters");
        }
        switch (parameter.Format)
        {
            case "resident-id":
                if (!ResidentId.TryParse(value, out var id, out var error))
                {
                    throw new ValidationFailedException(parameter.Name, $"not a valid resident ID: {error}");
                }
                subjects.Add(id.Value);
                return id.Value;
            case "credit-code":
                if (!UnifiedSocialCreditCode.TryParse(value, out var code, out var codeError))
                {
                    throw new ValidationFailedException(parameter.Name, $"not a valid unified social credit code: {codeError}");
                }
                return code.Value;
            case "division-code":
                if (!DivisionCode.TryParse(value, out _, out var divisionError))
                {
                    throw new ValidationFailedException(parameter.Name, divisionError!);
                }
                return value;
            case "date":
                if (!DateOnly.TryParseExact(value, ["yyyy-MM-dd", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                {
                    throw new ValidationFailedException(parameter.Name, "a date is yyyy-MM-dd or yyyyMMdd");
                }
                return value;
            case "integer":
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                {
                    throw new ValidationFailedException(parameter.Name, "must be an integer");
                }
                return value;
            default:
                if (parameter.Required && value.Length == 0)
                {
                    throw new ValidationFailedException(parameter.Name, "is required");
                }
                return value;
        }
    }
}

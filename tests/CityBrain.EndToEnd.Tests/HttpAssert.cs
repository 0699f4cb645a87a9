using System.Net;

namespace CityBrain.EndToEnd.Tests;

internal static class HttpAssert
{
    /// <summary>Asserts the status, showing the body when it differs (a ProblemDetails says why).</summary>
    public static async Task StatusAsync(HttpStatusCode expected, HttpResponseMessage response)
    {
        if (response.StatusCode != expected)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.Fail($"Expected {(int)expected} {expected}, got {(int)response.StatusCode} {response.StatusCode}: {body}");
        }
    }
}

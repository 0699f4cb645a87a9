using System.Net;
using System.Text.Json.Nodes;
using static CityBrain.SyntheticCity.Departments.Tests.FixtureCity;

namespace CityBrain.SyntheticCity.Departments.Tests;

/// <summary>Malformed requests get a 4xx in the department's own error shape, saying which parameter was wrong.</summary>
public sealed class DepartmentErrorTests(RunningCity city) : IClassFixture<RunningCity>
{
    /// <summary>department, request, expected status, the error's code property and value, the property holding the message.</summary>
    public static TheoryData<string, string, int, string, string, string> Malformed => new()
    {
        { "gaj", "/api/v1/rk/12345", 400, "code", "40001", "msg" },
        { "gaj", "/api/v1/rk?size=0", 400, "code", "40001", "msg" },
        { "gaj", $"/api/v1/rk/{ResidentId(29)[..17]}9", 404, "code", "40401", "msg" },
        { "gaj", "/api/v1/nothing", 404, "code", "40400", "msg" },
        { "mzj", "/api/v1/dibao?cursor=not-a-cursor", 400, "type", "https://mzj.hangzhou.gov.cn/problems/invalid-parameter", "detail" },
        { "mzj", "/api/v1/deaths?since=20250101", 400, "type", "https://mzj.hangzhou.gov.cn/problems/invalid-parameter", "detail" },
        { "mzj", "/api/v1/dibao?limit=1000", 400, "type", "https://mzj.hangzhou.gov.cn/problems/invalid-parameter", "detail" },
        { "rsj", "/rsj/api/v1/persons?start_date_from=2020-03-01", 400, "error_code", "INVALID_PARAMETER", "error_msg" },
        { "rsj", "/rsj/api/v1/persons?offset=-1", 400, "error_code", "INVALID_PARAMETER", "error_msg" },
        { "rsj", "/rsj/api/v1/units/not-a-code", 400, "error_code", "INVALID_PARAMETER", "error_msg" },
        { "scjgj", "/scjg/api/qy?pagesize=abc", 400, "errcode", "PARAM_ERROR", "errmsg" },
        { "scjgj", "/scjg/api/qy?estdate_from=2020/01/01", 400, "errcode", "PARAM_ERROR", "errmsg" },
        { "swj", $"/swj/api/nsr/{CreditCode(0)}?ssq_q=2025-03", 400, "ret", "1001", "msg" },
        { "swj", "/swj/api/sbqc", 400, "ret", "1001", "msg" },
        { "wjw", "/wjw/api/deaths?since=2025-06-01", 400, "error", "invalid_request", "error_description" },
        { "wjw", "/wjw/api/births?after=Q33000001", 400, "error", "invalid_request", "error_description" },
        { "ybj", "/ybj/api/setl?begntime=2025-07-01T00:00:00", 400, "infcode", "-1", "err_msg" },
        { "ybj", "/ybj/api/psn/abc", 400, "infcode", "-1", "err_msg" },
        { "jtj", "/jtj/api/parking?from=yesterday", 400, "errorCode", "BAD_PARAMETER", "errorMessage" },
        { "jtj", "/jtj/api/vehicles?limit=501", 400, "errorCode", "BAD_PARAMETER", "errorMessage" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public async Task Get_MalformedOrUnknown_4xxInTheDepartmentsOwnShape(string department, string request, int status, string codeProperty, string code, string messageProperty)
    {
        var (actual, body) = await city.GetAsync(department, request);

        Assert.Equal(status, actual);
        Assert.Equal(code, body[codeProperty]!.ToString());
        var message = (string)body[messageProperty]!;
        Assert.False(string.IsNullOrWhiteSpace(message));
        if (status == 400)
        {
            // The message names the parameter that was wrong.
            var parameter = request.Contains('?', StringComparison.Ordinal)
                ? request[(request.IndexOf('?', StringComparison.Ordinal) + 1)..].Split('=')[0]
                : null;
            if (parameter is not null)
            {
                Assert.Contains(parameter, message, StringComparison.Ordinal);
            }
        }
    }

    [Theory]
    [InlineData("gaj", "code", "40100")]
    [InlineData("mzj", "type", "https://mzj.hangzhou.gov.cn/problems/unauthorized")]
    [InlineData("rsj", "error_code", "UNAUTHORIZED")]
    [InlineData("scjgj", "errcode", "APPKEY_INVALID")]
    [InlineData("swj", "ret", "1002")]
    [InlineData("wjw", "error", "invalid_token")]
    [InlineData("ybj", "infcode", "-1")]
    [InlineData("jtj", "errorCode", "AUTH_FAILED")]
    public async Task Get_WithoutCredentials_401InTheDepartmentsOwnShape(string department, string codeProperty, string code)
    {
        var path = city.Cluster.Registry.Systems.Single(s => s.Unit == department).Interfaces.First(i => !i.Path!.Contains('{', StringComparison.Ordinal)).Path!;

        var (status, body) = await city.GetAsync(department, path, authenticated: false);

        Assert.Equal(401, status);
        Assert.Equal(code, body[codeProperty]!.ToString());
    }

    [Fact]
    public async Task Get_WrongCredential_401()
    {
        using var client = new HttpClient { BaseAddress = city.Cluster.BaseUrls["gaj"] };
        client.DefaultRequestHeaders.Add("X-Api-Key", "guessed");

        using var response = await client.GetAsync("/api/v1/rk");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Post_ToAGetOperation_405InTheDepartmentsOwnShape()
    {
        using var client = city.Client("mzj");

        using var response = await client.PostAsync("/api/v1/dibao", new StringContent("{}"));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(405, (int)body["status"]!);
    }
}

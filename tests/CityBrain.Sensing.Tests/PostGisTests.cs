using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using CityBrain.Sensing.Geo;
using CityBrain.Sensing.Queries;
using CityBrain.Storage.Postgres;
using CityBrain.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NetTopologySuite.Geometries;

namespace CityBrain.Sensing.Tests;

/// <summary>
/// One small city stored twice: on PostgreSQL, where geo-queries run in PostGIS, and on SQLite, where they run in memory
/// with NetTopologySuite. Shared by the comparison cases, which only read.
/// </summary>
public sealed class TwinCities : IAsyncLifetime
{
    /// <summary>Near 西湖 (West Lake), Hangzhou: the reference point of the near queries.</summary>
    public static readonly Coordinate Centre = new(120.1580, 30.2630);

    /// <summary>The reference polygon of the relation queries, around <see cref="Centre"/> (about 1.5 by 1.8 km).</summary>
    public const string Square = "[[[120.150,30.255],[120.166,30.255],[120.166,30.271],[120.150,30.271],[120.150,30.255]]]";

    /// <summary>Distances of the ring points from <see cref="Centre"/>: half a metre either side of 1 km and 2 km among them.</summary>
    public static readonly double[] RingDistances = [500, 998, 999.5, 1000.5, 1002, 1500, 1999.5, 2000.5];

    public static readonly int[] RingBearings = [0, 45, 90, 135, 200, 270];

    public Broker PostGis { get; private set; } = null!;

    public Broker InMemory { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        PostGis = await Broker.StartAsync(TestStores.Postgres);
        InMemory = await Broker.StartAsync(TestStores.Sqlite);
        var batch = CityBatch();
        foreach (var broker in new[] { PostGis, InMemory })
        {
            using var response = await broker.PostAsync("/entityOperations/create", batch);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await PostGis.DisposeAsync();
        await InMemory.DisposeAsync();
    }

    /// <summary>
    /// Ring points (type Ring, in <c>location</c>) at <see cref="RingDistances"/> on <see cref="RingBearings"/>, and shapes
    /// (type Shape, in <c>observationSpace</c>, with a far-off <c>location</c>) placed against <see cref="Square"/>.
    /// </summary>
    private static string CityBatch()
    {
        var entities = new List<string>();
        foreach (var bearing in RingBearings)
        {
            foreach (var distance in RingDistances)
            {
                var point = Destination(Centre, bearing, distance);
                entities.Add(string.Create(CultureInfo.InvariantCulture,
                    $$$"""{"id": "urn:ngsi-ld:Ring:{{{bearing}}}-{{{distance}}}", "type": "Ring", "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [{{{point.X:R}}}, {{{point.Y:R}}}]}} }"""));
            }
        }
        // West edges on meridians 990 m and 1,010 m east of the centre: on a meridian the planar and geodesic nearest points agree.
        var edgeNear = Destination(Centre, 90, 990).X;
        var edgeFar = Destination(Centre, 90, 1010).X;
        var shapes = new (string Id, string Geometry)[]
        {
            ("inside", """{"type": "Polygon", "coordinates": [[[120.152,30.257],[120.154,30.257],[120.154,30.259],[120.152,30.259],[120.152,30.257]]]}"""),
            ("crossing", """{"type": "Polygon", "coordinates": [[[120.160,30.265],[120.170,30.265],[120.170,30.275],[120.160,30.275],[120.160,30.265]]]}"""),
            ("outside", """{"type": "Polygon", "coordinates": [[[120.20,30.20],[120.21,30.20],[120.21,30.21],[120.20,30.21],[120.20,30.20]]]}"""),
            ("road", """{"type": "LineString", "coordinates": [[120.14,30.26],[120.18,30.26]]}"""),
            ("cover", """{"type": "Polygon", "coordinates": [[[120.10,30.20],[120.25,30.20],[120.25,30.30],[120.10,30.30],[120.10,30.20]]]}"""),
            // The square itself, starting from another corner: equal as a shape, not as a list of coordinates.
            ("same", """{"type": "Polygon", "coordinates": [[[120.166,30.271],[120.150,30.271],[120.150,30.255],[120.166,30.255],[120.166,30.271]]]}"""),
            ("corner", """{"type": "Point", "coordinates": [120.150,30.255]}"""),
            ("edgenear", string.Create(CultureInfo.InvariantCulture, $$"""{"type": "Polygon", "coordinates": [[[{{edgeNear:R}},30.25],[120.19,30.25],[120.19,30.28],[{{edgeNear:R}},30.28],[{{edgeNear:R}},30.25]]]}""")),
            ("edgefar", string.Create(CultureInfo.InvariantCulture, $$"""{"type": "Polygon", "coordinates": [[[{{edgeFar:R}},30.25],[120.19,30.25],[120.19,30.28],[{{edgeFar:R}},30.28],[{{edgeFar:R}},30.25]]]}""")),
        };
        foreach (var (id, geometry) in shapes)
        {
            entities.Add($$$"""
                {"id": "urn:ngsi-ld:Shape:{{{id}}}", "type": "Shape",
                 "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [121.5, 31.2]}},
                 "observationSpace": {"type": "GeoProperty", "value": {{{geometry}}}}}
                """);
        }
        return "[" + string.Join(",", entities) + "]";
    }

    /// <summary>The point <paramref name="metres"/> from <paramref name="from"/> on a compass bearing, found by bisection on the spheroid distance.</summary>
    public static Coordinate Destination(Coordinate from, double bearingDegrees, double metres)
    {
        var bearing = bearingDegrees * Math.PI / 180;
        // A degree of latitude is about 111 km; of longitude, that times cos(latitude).
        var (dx, dy) = (Math.Sin(bearing) / Math.Cos(from.Y * Math.PI / 180), Math.Cos(bearing));
        double low = 0, high = 2 * metres / 100_000;
        for (var i = 0; i < 100; i++)
        {
            var middle = (low + high) / 2;
            if (Geodesic.DistanceMetres(from, new Coordinate(from.X + dx * middle, from.Y + dy * middle)) < metres)
            {
                low = middle;
            }
            else
            {
                high = middle;
            }
        }
        return new Coordinate(from.X + dx * low, from.Y + dy * low);
    }
}

public sealed class PostGisTests(TwinCities cities) : IClassFixture<TwinCities>
{
    private const string Shapes = "type=Shape&geoproperty=observationSpace";

    private static readonly string CentreCoordinates = string.Create(CultureInfo.InvariantCulture, $"[{TwinCities.Centre.X},{TwinCities.Centre.Y}]");

    /// <summary>Ring point ids whose distance satisfies the range, read from the ids (bearing-distance).</summary>
    private static string RingIds(double min, double max) => string.Join(",",
        TwinCities.RingBearings.SelectMany(b => TwinCities.RingDistances.Where(d => d >= min && d <= max).Select(d => string.Create(CultureInfo.InvariantCulture, $"{b}-{d}")))
            .Order(StringComparer.Ordinal));

    public static TheoryData<string, string> Cases() => new()
    {
        // Points near the centre, half a metre either side of the limits.
        { $"type=Ring&georel=near%3BmaxDistance==1000&geometry=Point&coordinates={CentreCoordinates}", RingIds(0, 1000) },
        { $"type=Ring&georel=near%3BminDistance==1000%3BmaxDistance==2000&geometry=Point&coordinates={CentreCoordinates}", RingIds(1000, 2000) },
        { $"type=Ring&georel=near%3BminDistance==2000&geometry=Point&coordinates={CentreCoordinates}", RingIds(2000, double.MaxValue) },
        // The square reaches about 770 m east and west, 890 m north and south: on the diagonals up to 1,089 m.
        { $"type=Ring&georel=within&geometry=Polygon&coordinates={TwinCities.Square}", "0-500,135-1000.5,135-1002,135-500,135-998,135-999.5,200-500,270-500,45-1000.5,45-1002,45-500,45-998,45-999.5,90-500" },
        // Shapes in another GeoProperty than location.
        { $"{Shapes}&georel=near%3BmaxDistance==1000&geometry=Point&coordinates={CentreCoordinates}", "cover,crossing,edgenear,inside,road,same" },
        { $"{Shapes}&georel=near%3BminDistance==1000%3BmaxDistance==2000&geometry=Point&coordinates={CentreCoordinates}", "corner,edgefar" },
        { $"{Shapes}&georel=within&geometry=Polygon&coordinates={TwinCities.Square}", "inside,same" },
        { $"{Shapes}&georel=contains&geometry=Point&coordinates=[120.153,30.258]", "cover,inside,same" },
        { $"{Shapes}&georel=intersects&geometry=Polygon&coordinates={TwinCities.Square}", "corner,cover,crossing,inside,road,same" },
        { $"{Shapes}&georel=disjoint&geometry=Polygon&coordinates={TwinCities.Square}", "edgefar,edgenear,outside" },
        { $"{Shapes}&georel=equals&geometry=Polygon&coordinates={TwinCities.Square}", "same" },
        { $"{Shapes}&georel=overlaps&geometry=Polygon&coordinates={TwinCities.Square}", "crossing" },
        { $"{Shapes}&georel=intersects&geometry=LineString&coordinates=[[120.165,30.24],[120.165,30.29]]", "cover,crossing,road,same" },
        // The shapes' location is far off: location (the default) finds none of them here.
        { $"type=Shape&georel=intersects&geometry=Polygon&coordinates={TwinCities.Square}", "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task QueryEntities_PostGisAndInMemory_SelectTheSameEntities(string query, string expected)
    {
        var inPostGis = await IdsAsync(cities.PostGis, query);
        var inMemory = await IdsAsync(cities.InMemory, query);
        Assert.Equal(expected, inPostGis);
        Assert.Equal(expected, inMemory);
    }

    [Fact]
    public async Task MatchingIds_PostgresWithPostGis_DecidedInPostGis()
    {
        var index = cities.PostGis.Services.GetRequiredService<PostGisGeoIndex>();
        var context = Ld.LdContext.Core;
        var near = GeoQuery.Parse("near;maxDistance==1000", "Point", CentreCoordinates, null, context)!;
        var ids = await index.MatchingIdsAsync("", near, TestContext.Current.CancellationToken);
        Assert.NotNull(ids);
        Assert.Equal(RingIds(0, 1000), string.Join(",", ids.Select(i => i.Split(':')[^1]).Order(StringComparer.Ordinal)));
        var onSqlite = cities.InMemory.Services.GetRequiredService<PostGisGeoIndex>();
        Assert.Null(await onSqlite.MatchingIdsAsync("", near, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Subscription_PeriodicGeoQ_NotifiesEntitiesPostGisSelects()
    {
        // The periodic notification reads stored entities through the same query: in PostGIS here.
        await using var receiver = await Receiver.StartAsync();
        using var response = await cities.PostGis.PostAsync("/subscriptions", $$$"""
            {"id": "urn:ngsi-ld:Subscription:near-{{{Guid.NewGuid():N}}}", "type": "Subscription", "entities": [{"type": "Ring"}], "timeInterval": 1,
             "geoQ": {"geometry": "Point", "coordinates": {{{CentreCoordinates}}}, "georel": "near;maxDistance==1000"},
             "notification": {"endpoint": {"uri": "{{{receiver.Url}}}"}} }
            """);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var notification = (await receiver.WaitForAsync(1))[0];
        var ids = notification["data"]!.AsArray().Select(e => e!["id"]!.GetValue<string>().Split(':')[^1]).Order(StringComparer.Ordinal);
        Assert.Equal(RingIds(0, 1000), string.Join(",", ids));
        using var deleted = await cities.PostGis.Client.DeleteAsync(response.Headers.Location);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
    }

    [Fact]
    public void Geodesic_VincentysOwnExample_MatchesToTheMillimetre()
    {
        // Flinders Peak to Buninyong (Vincenty 1975, Geoscience Australia's worked example): 54,972.271 m.
        var flinders = new Coordinate(144 + 25 / 60.0 + 29.52440 / 3600, -(37 + 57 / 60.0 + 3.72030 / 3600));
        var buninyong = new Coordinate(143 + 55 / 60.0 + 35.38390 / 3600, -(37 + 39 / 60.0 + 10.15610 / 3600));
        Assert.Equal(54_972.271, Geodesic.DistanceMetres(flinders, buninyong), 0.001);
    }

    [Fact]
    public async Task Geodesic_AtOneKilometreInHangzhou_AgreesWithPostGisSpheroidToTheCentimetre()
    {
        await using var connection = await TestStores.OpenConnectionAsync(cities.PostGis.Store.Connection);
        foreach (var bearing in Enumerable.Range(0, 12).Select(i => i * 30))
        {
            var to = TwinCities.Destination(TwinCities.Centre, bearing, 1000);
            await using var command = connection.CreateCommand();
            command.CommandText = string.Create(CultureInfo.InvariantCulture,
                $"SELECT ST_Distance('SRID=4326;POINT({TwinCities.Centre.X:R} {TwinCities.Centre.Y:R})'::geography, 'SRID=4326;POINT({to.X:R} {to.Y:R})'::geography, true)");
            var postGis = Convert.ToDouble(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken), CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(postGis - Geodesic.DistanceMetres(TwinCities.Centre, to)) < 0.01, $"bearing {bearing}: PostGIS {postGis} m, in memory {Geodesic.DistanceMetres(TwinCities.Centre, to)} m");
        }
    }

    private static async Task<string> IdsAsync(Broker broker, string query)
    {
        var result = await broker.GetJsonAsync("/entities?limit=1000&" + query);
        return string.Join(",", result.AsArray().Select(e => e!["id"]!.GetValue<string>().Split(':')[^1]).Order(StringComparer.Ordinal));
    }
}

public sealed class PostGisStoreTests
{
    private const string Point = """{"type": "Point", "coordinates": [120.1600, 30.2580]}""";

    [Fact]
    public async Task Writes_CreateMoveDelete_GeometryFollowsInTheSameTransaction()
    {
        await using var broker = await Broker.StartAsync(TestStores.Postgres);
        using (var created = await broker.PostAsync("/entities", $$"""{"id": "urn:ngsi-ld:OffStreetParking:hubin", "type": "OffStreetParking", "location": {{Point}}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.Equal(["hubin"], await NearAsync(broker, "[120.1600,30.2580]"));
        Assert.Equal("POINT(120.16 30.258)", await StoredGeometryAsync(broker.Store, "urn:ngsi-ld:OffStreetParking:hubin"));

        // Moved 8 km south-east, to 滨江.
        using (var moved = await broker.Client.PatchAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:hubin/attrs",
            Broker.Json("""{"location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [120.2100, 30.2080]}}}""")))
        {
            Assert.Equal(HttpStatusCode.NoContent, moved.StatusCode);
        }
        Assert.Empty(await NearAsync(broker, "[120.1600,30.2580]"));
        Assert.Equal(["hubin"], await NearAsync(broker, "[120.2100,30.2080]"));
        Assert.Equal("POINT(120.21 30.208)", await StoredGeometryAsync(broker.Store, "urn:ngsi-ld:OffStreetParking:hubin"));

        using (var deleted = await broker.Client.DeleteAsync("/ngsi-ld/v1/entities/urn:ngsi-ld:OffStreetParking:hubin"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }
        Assert.Empty(await NearAsync(broker, "[120.2100,30.2080]"));
        Assert.Null(await StoredGeometryAsync(broker.Store, "urn:ngsi-ld:OffStreetParking:hubin"));
    }

    [Fact]
    public async Task Start_EntitiesStoredBeforePostGis_GeometriesFilledFromTheEntities()
    {
        await using var store = await TestStores.CreateAsync(TestStores.Postgres);
        await using (var first = await Broker.StartAsync(TestStores.Postgres, store))
        {
            using var created = await first.PostAsync("/entities", $$"""{"id": "urn:ngsi-ld:OffStreetParking:hubin", "type": "OffStreetParking", "location": {{Point}}}""");
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        // As on a store whose entities were written before PostGIS was installed.
        await using (var connection = await TestStores.OpenConnectionAsync(store.Connection))
        await using (var drop = connection.CreateCommand())
        {
            drop.CommandText = "DROP TABLE sensing_geometries";
            await drop.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }
        await using var second = await Broker.StartAsync(TestStores.Postgres, store);
        Assert.Equal(["hubin"], await NearAsync(second, "[120.1600,30.2580]"));
        Assert.Equal("POINT(120.16 30.258)", await StoredGeometryAsync(store, "urn:ngsi-ld:OffStreetParking:hubin"));
    }

    [Fact]
    public async Task Queries_PostgresWithoutRightToCreatePostGis_WarnOnceAndAnswerInMemory()
    {
        var connection = await PostgresServer.Instance.CreateDatabaseWithoutSuperuserAsync(TestContext.Current.CancellationToken);
        await using var store = new TestStore(new PostgresOperationalStore(connection), TestStores.Postgres, connection, null);
        await using var broker = await Broker.StartAsync(TestStores.Postgres, store);
        using (var created = await broker.PostAsync("/entities", $$"""{"id": "urn:ngsi-ld:OffStreetParking:hubin", "type": "OffStreetParking", "location": {{Point}}}"""))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }
        Assert.Equal(["hubin"], await NearAsync(broker, "[120.1600,30.2580]"));
        Assert.Empty(await NearAsync(broker, "[120.2100,30.2080]"));

        var logs = new ListLogger();
        var index = new PostGisGeoIndex(store.Store, logs);
        var near = GeoQuery.Parse("near;maxDistance==1000", "Point", "[120.16,30.258]", null, Ld.LdContext.Core)!;
        Assert.Null(await index.MatchingIdsAsync("", near, TestContext.Current.CancellationToken));
        Assert.Null(await index.MatchingIdsAsync("", near, TestContext.Current.CancellationToken));
        var warning = Assert.Single(logs.Messages);
        Assert.Contains("CREATE EXTENSION postgis failed (42501)", warning, StringComparison.Ordinal);
    }

    private static async Task<List<string>> NearAsync(Broker broker, string coordinates)
    {
        var result = await broker.GetJsonAsync($"/entities?type=OffStreetParking&georel=near%3BmaxDistance==1000&geometry=Point&coordinates={coordinates}");
        return [.. result.AsArray().Select(e => e!["id"]!.GetValue<string>().Split(':')[^1])];
    }

    private static async Task<string?> StoredGeometryAsync(TestStore store, string id)
    {
        await using var connection = await TestStores.OpenConnectionAsync(store.Connection);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT ST_AsText(geom) FROM sensing_geometries WHERE id = '{id}' AND property = 'https://uri.etsi.org/ngsi-ld/location'";
        return await command.ExecuteScalarAsync(TestContext.Current.CancellationToken) as string;
    }

    private sealed class ListLogger : ILogger<PostGisGeoIndex>
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }
}

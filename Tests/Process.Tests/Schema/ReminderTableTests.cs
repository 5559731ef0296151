using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using OrleansMq.Process.Tests.Fixtures;
using OrleansMq.TestKit.Postgres;

namespace OrleansMq.Process.Tests.Schema;

/// <summary>
/// The reminder part of the schema, driven through Orleans' own ADO.NET reminder table. OrleansMq registers no
/// reminders yet; these tests keep the tables and queries usable for when it does.
/// </summary>
[Trait("Suite", "SlowBVT")]
[Trait("Area", "Cluster")]
public sealed class ReminderTableTests(PostgresServerFixture postgres)
{
    private static readonly DateTime Start = new(2026, 11, 24, 3, 0, 0, 250, DateTimeKind.Utc);

    [Fact]
    public async Task UpsertRow_InsertsAtVersionZero_ThenBumpsTheVersion()
    {
        var table = await CreateTableAsync();
        var grain = GrainId.Create("queue", "broker-1|orders|0");

        var inserted = await table.UpsertRow(Entry(grain, "flush", TimeSpan.FromMinutes(1)));
        var updated = await table.UpsertRow(Entry(grain, "flush", TimeSpan.FromMinutes(5)));

        Assert.Equal("0", inserted);
        Assert.Equal("1", updated);
        var row = await table.ReadRow(grain, "flush");
        Assert.NotNull(row);
        Assert.Equal(grain, row.GrainId);
        Assert.Equal(TimeSpan.FromMinutes(5), row.Period);
        Assert.Equal(Start, row.StartAt);
        Assert.Equal("1", row.ETag);
    }

    [Fact]
    public async Task ReadRows_OfAGrain_ReturnsItsRemindersOnly()
    {
        var table = await CreateTableAsync();
        var grain = GrainId.Create("queue", "a");
        await table.UpsertRow(Entry(grain, "one", TimeSpan.FromMinutes(1)));
        await table.UpsertRow(Entry(grain, "two", TimeSpan.FromMinutes(1)));
        await table.UpsertRow(Entry(GrainId.Create("queue", "b"), "one", TimeSpan.FromMinutes(1)));

        var rows = await table.ReadRows(grain);

        Assert.Equal(["one", "two"], rows.Reminders.Select(r => r.ReminderName).Order());
        Assert.Null(await table.ReadRow(grain, "missing"));
    }

    [Fact]
    public async Task ReadRows_ByHashRange_HandlesPlainAndWrappingRanges()
    {
        var table = await CreateTableAsync();
        var grains = Enumerable.Range(0, 40).Select(i => GrainId.Create("queue", $"q{i}")).ToArray();
        foreach (var grain in grains)
        {
            await table.UpsertRow(Entry(grain, "r", TimeSpan.FromMinutes(1)));
        }

        // Orleans' ring uses unsigned hashes; the table compares them as signed integers (GrainHash column).
        var (begin, end) = (0x2000_0000u, 0x9000_0000u); // crosses int.MaxValue as signed: a wrapping query
        var expectedInside = grains.Where(g => InRange(g.GetUniformHashCode(), begin, end)).Select(g => g.ToString()).Order().ToArray();

        var inside = await table.ReadRows(begin, end);
        var outside = await table.ReadRows(end, begin);

        Assert.Equal(expectedInside, inside.Reminders.Select(r => r.GrainId.ToString()).Order());
        Assert.Equal(grains.Length - expectedInside.Length, outside.Reminders.Count);
        Assert.Empty(inside.Reminders.Select(r => r.GrainId).Intersect(outside.Reminders.Select(r => r.GrainId)));
    }

    [Fact]
    public async Task RemoveRow_NeedsTheCurrentETag()
    {
        var table = await CreateTableAsync();
        var grain = GrainId.Create("queue", "a");
        await table.UpsertRow(Entry(grain, "r", TimeSpan.FromMinutes(1)));
        var current = await table.UpsertRow(Entry(grain, "r", TimeSpan.FromMinutes(2)));

        Assert.False(await table.RemoveRow(grain, "r", "0"));
        Assert.True(await table.RemoveRow(grain, "r", current!));
        Assert.Null(await table.ReadRow(grain, "r"));
    }

    private static bool InRange(uint hash, uint begin, uint end) => begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private static ReminderEntry Entry(GrainId grain, string name, TimeSpan period) =>
        new() { GrainId = grain, ReminderName = name, StartAt = Start, Period = period };

    private async Task<IReminderTable> CreateTableAsync()
    {
        var connectionString = await SchemaDatabase.CreateMigratedAsync(postgres.Server);
        var services = new ServiceCollection();
        services.AddLogging();
        services.Configure<ClusterOptions>(o => o.ServiceId = "reminders-" + Guid.NewGuid().ToString("N")[..6]);
        services.UseAdoNetReminderService(options => options.Configure(o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = connectionString;
        }));
        var table = services.BuildServiceProvider().GetRequiredService<IReminderTable>();
        await table.StartAsync(TestContext.Current.CancellationToken);
        return table;
    }
}

using OrleansMq.TestKit.Postgres;

// Silo processes are timing-sensitive and the CI machine has 2 cores: classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// One private PostgreSQL server for the whole assembly; every test gets its own database.
[assembly: AssemblyFixture(typeof(PostgresServerFixture))]

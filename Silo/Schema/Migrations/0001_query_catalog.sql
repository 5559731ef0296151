-- OrleansMq schema, migration 1: the query catalog.
--
-- The Orleans ADO.NET providers (clustering, persistence, reminders) issue only the SQL stored here, looked up by key.
-- Parameters are named (@Name) and bound by name; results are read by column name. Later migrations add the tables,
-- functions and queries of each provider. Never edit a migration that has shipped: add a new one (docs/cluster.md).

CREATE TABLE OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL,
    QueryText varchar(8000) NOT NULL,

    CONSTRAINT OrleansQuery_Key PRIMARY KEY (QueryKey)
);

-- Demo source for cdc: database `shop`, CDC on the database and its tables, and the least-privilege
-- `cdc_reader` login used by the embedded worker and by Debezium. Idempotent; run by entrypoint.sh.
SET NOCOUNT ON;
IF DB_ID(N'shop') IS NULL CREATE DATABASE shop;
GO
USE shop;
GO
IF OBJECT_ID(N'dbo.customers', N'U') IS NULL
  CREATE TABLE dbo.customers (
    id int NOT NULL PRIMARY KEY,
    name nvarchar(200) NOT NULL,
    email varchar(320) NULL,
    created_at datetime2(3) NOT NULL DEFAULT SYSUTCDATETIME()
  );
IF OBJECT_ID(N'dbo.orders', N'U') IS NULL
  CREATE TABLE dbo.orders (
    id bigint NOT NULL PRIMARY KEY,
    customer_id int NOT NULL,
    amount decimal(12, 2) NOT NULL,
    status varchar(20) NOT NULL,
    note nvarchar(max) NULL,
    updated_at datetime2(3) NOT NULL DEFAULT SYSUTCDATETIME()
  );
GO
IF NOT EXISTS (SELECT 1 FROM dbo.customers)
  INSERT INTO dbo.customers (id, name, email) VALUES
    (1, N'Ada Lovelace', 'ada@example.com'),
    (2, N'Grace Hopper', NULL),
    (3, N'Zoë Ünicode', 'zoe@example.com');
IF NOT EXISTS (SELECT 1 FROM dbo.orders)
  INSERT INTO dbo.orders (id, customer_id, amount, status, note) VALUES
    (1, 1, 12.50, 'paid', NULL),
    (2, 2, 99.99, 'shipped', N'fragile'),
    (3, 3, 0.00, 'cancelled', N'');
GO
-- CDC needs SQL Server Agent (MSSQL_AGENT_ENABLED=true): enabling creates the capture and cleanup jobs.
IF (SELECT is_cdc_enabled FROM sys.databases WHERE name = N'shop') = 0
  EXEC sys.sp_cdc_enable_db;
GO
-- Only members of this gating role may read the change tables.
IF DATABASE_PRINCIPAL_ID(N'cdc_reader_role') IS NULL CREATE ROLE cdc_reader_role;
GO
IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'dbo.customers'))
  EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'customers',
    @role_name = N'cdc_reader_role', @supports_net_changes = 0;
IF NOT EXISTS (SELECT 1 FROM cdc.change_tables WHERE source_object_id = OBJECT_ID(N'dbo.orders'))
  EXEC sys.sp_cdc_enable_table @source_schema = N'dbo', @source_name = N'orders',
    @role_name = N'cdc_reader_role', @supports_net_changes = 0;
GO
-- Change-table retention: 3 days (minutes). A consumer stopped longer than this hits a retention gap
-- (docs/operations.md explains the recovery).
EXEC sys.sp_cdc_change_job @job_type = N'cleanup', @retention = 4320;
GO
USE master;
GO
-- The password arrives as a sqlcmd scripting variable from the environment (checked alphanumeric by
-- entrypoint.sh); QUOTENAME keeps it one literal inside the dynamic statement.
DECLARE @password nvarchar(128) = N'$(MSSQL_CDC_PASSWORD)';
DECLARE @sql nvarchar(max);
IF SUSER_ID(N'cdc_reader') IS NULL
  SET @sql = N'CREATE LOGIN cdc_reader WITH PASSWORD = ' + QUOTENAME(@password, '''') + N', CHECK_POLICY = ON, DEFAULT_DATABASE = shop';
ELSE
  SET @sql = N'ALTER LOGIN cdc_reader WITH PASSWORD = ' + QUOTENAME(@password, '''');
EXEC sys.sp_executesql @sql;
GO
USE shop;
GO
IF DATABASE_PRINCIPAL_ID(N'cdc_reader') IS NULL CREATE USER cdc_reader FOR LOGIN cdc_reader;
ALTER ROLE cdc_reader_role ADD MEMBER cdc_reader;
-- Read-only: snapshot reads of the captured tables, the change tables and LSN functions, metadata.
GRANT SELECT ON SCHEMA::dbo TO cdc_reader;
GRANT SELECT ON SCHEMA::cdc TO cdc_reader;
GRANT VIEW DEFINITION ON SCHEMA::dbo TO cdc_reader;
GRANT VIEW DATABASE STATE TO cdc_reader;
GO

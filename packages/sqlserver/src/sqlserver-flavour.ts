/**
 * Which server answers the TDS connection — SQL Server, Azure SQL Database, Azure SQL Managed Instance or
 * Babelfish for PostgreSQL — and what that changes for cdc (CDC availability, UTF-8 collations, time
 * precision, Agent checks).
 */

/** The facts read once per connection (see {@link FLAVOUR_SQL}). */
export interface SqlServerServerFacts {
  version: string;
  engineEdition: number | null;
  productVersion: string | null;
  /** `SERVERPROPERTY('babelfish')`: 1 on Babelfish, NULL on SQL Server. */
  babelfish: number | string | null;
  database: string;
  /** `sys.databases.is_cdc_enabled` of the current database. */
  cdcEnabled: boolean | null;
  /** `sys.databases.snapshot_isolation_state` (1 = ON). */
  snapshotIsolationState: number | null;
  /** `sys.databases.compatibility_level`. */
  compatibilityLevel: number | null;
}

/** One query for all of {@link SqlServerServerFacts}; each column degrades to NULL where unsupported. */
export const FLAVOUR_SQL = `SELECT @@VERSION AS version,
  CAST(SERVERPROPERTY('EngineEdition') AS int) AS engineEdition,
  CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS productVersion,
  CAST(SERVERPROPERTY('babelfish') AS nvarchar(16)) AS babelfish,
  DB_NAME() AS [database],
  d.is_cdc_enabled AS cdcEnabled,
  CAST(d.snapshot_isolation_state AS int) AS snapshotIsolationState,
  CAST(d.compatibility_level AS int) AS compatibilityLevel
FROM sys.databases AS d
WHERE d.database_id = DB_ID()`;

/** What the adapter does differently per server. */
export interface SqlServerFlavour {
  kind: 'sqlserver' | 'azure-sql-database' | 'azure-sql-managed-instance' | 'babelfish';
  /** Major product version (13 = 2016, 14 = 2017, 15 = 2019, 16 = 2022, 17 = 2025); 0 if unknown. */
  majorVersion: number;
  /** Change data capture exists on this server (not on Babelfish). */
  supportsCdc: boolean;
  /** `Latin1_General_100_BIN2_UTF8` exists (SQL Server 2019+, Azure), so text can be hashed as UTF-8 in SQL. */
  supportsUtf8Collation: boolean;
  /** `DATEDIFF_BIG` exists (2016+). */
  supportsDatediffBig: boolean;
  /** HASHBYTES input beyond 8,000 bytes (2016+). */
  hashbytesUnbounded: boolean;
  /** Maximum fractional-second digits of time/datetime2/datetimeoffset (Babelfish: 6). */
  maxTimePrecision: number;
  /** The capture job runs in SQL Server Agent (SQL Server, Managed Instance) rather than a built-in scheduler. */
  captureByAgent: boolean;
  /** nvarchar is stored as UTF-8 (Babelfish), so DATALENGTH/HASHBYTES over nvarchar differ from SQL Server. */
  nvarcharIsUtf8: boolean;
}

/** Parses `16.0.4135.4` → 16. */
export function majorVersionOf(productVersion: string | null | undefined): number {
  const m = /^(\d+)\./.exec(productVersion ?? '');
  return m ? Number(m[1]) : 0;
}

/** Derives the flavour from the facts of {@link FLAVOUR_SQL}. */
export function detectFlavour(
  facts: Pick<SqlServerServerFacts, 'version' | 'engineEdition' | 'productVersion' | 'babelfish'>,
): SqlServerFlavour {
  const babelfish =
    (facts.babelfish !== null && facts.babelfish !== undefined && String(facts.babelfish) === '1') ||
    /babelfish/i.test(facts.version);
  const major = majorVersionOf(facts.productVersion);
  if (babelfish) {
    return {
      kind: 'babelfish',
      majorVersion: major,
      supportsCdc: false,
      supportsUtf8Collation: false,
      supportsDatediffBig: false,
      hashbytesUnbounded: true,
      maxTimePrecision: 6,
      captureByAgent: false,
      nvarcharIsUtf8: true,
    };
  }
  const kind =
    facts.engineEdition === 5
      ? 'azure-sql-database'
      : facts.engineEdition === 8
        ? 'azure-sql-managed-instance'
        : 'sqlserver';
  // Azure SQL Database/Managed Instance run the newest engine whatever ProductVersion says (12.x on Azure SQL DB).
  const cloud = kind !== 'sqlserver';
  return {
    kind,
    majorVersion: major,
    supportsCdc: true,
    supportsUtf8Collation: cloud || major >= 15,
    supportsDatediffBig: cloud || major >= 13,
    hashbytesUnbounded: cloud || major >= 13,
    maxTimePrecision: 7,
    captureByAgent: kind !== 'azure-sql-database',
    nvarcharIsUtf8: false,
  };
}

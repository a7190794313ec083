/**
 * What the real-server tests of this package share: the `CDC_TEST_MSSQL_URL` gate with its visible skip
 * notice, a throw-away database per test file (CDC cannot be enabled on `master`), and table creation
 * with parameterized inserts.
 */
import type { Column, LogicalType, Row, TableId } from '@cdc/core';
import type { ContractTable, ContractTypeSupport } from '@cdc/testkit';
import * as tedious from 'tedious';
import {
  SqlServerDriver,
  encodeSqlServerParam,
  parseSqlServerUrl,
  sqlServerSql,
  type SqlServerConfig,
  type SqlServerParam,
} from '../src/index.js';

/** The server under test, or undefined when the real-server tests are skipped. */
export const MSSQL_URL: string | undefined = process.env.CDC_TEST_MSSQL_URL;

/** Why the real-server tests are skipped (undefined when they run). */
export const MSSQL_SKIP: string | undefined = MSSQL_URL ? undefined : 'CDC_TEST_MSSQL_URL is not set';

/** Prints the visible notice that `what` is skipped, with how to run it. No-op when the URL is set. */
export function warnMssqlSkipped(what: string): void {
  if (MSSQL_URL) return;
  console.warn(
    `[@cdc/sqlserver] ${what} SKIPPED: set CDC_TEST_MSSQL_URL, e.g.\n` +
      '  docker run -d -e ACCEPT_EULA=Y -e MSSQL_SA_PASSWORD=Passw0rd! -e MSSQL_AGENT_ENABLED=true -p 1433:1433 mcr.microsoft.com/mssql/server:2022-latest\n' +
      '  CDC_TEST_MSSQL_URL="mssql://sa:Passw0rd!@localhost:1433/master?trustServerCertificate=true" npx nx run @cdc/sqlserver:test',
  );
}

/** What SQL Server cannot store of the contract suite's tables, with the reasons the report shows. */
export const SQLSERVER_CONTRACT_TYPES: ContractTypeSupport = {
  unsupportedKinds: {
    interval: 'SQL Server has no interval type',
    json: 'SQL Server 2022 has no json type (nvarchar introspects as text)',
    list: 'SQL Server has no array types',
  },
  unsupportedValues: {
    'numeric-nan-infinity': 'decimal has no NaN or Infinity',
    'float-nan-infinity': 'real/float have no NaN or Infinity',
    'float-subnormal': 'float is documented from 2.23E-308 (no subnormals)',
    'date-bc': 'date/datetime2/datetimeoffset start at 0001-01-01',
    'temporal-infinity': 'no infinity dates or instants',
  },
};

/** A column of a test table: logical type and the SQL Server type to create it with. */
export interface TestColumn {
  name: string;
  type: LogicalType;
  native: string;
}

/** The adapter's view of a test column (for parameter encoding and casts). */
export function testColumn(c: TestColumn, key: boolean): Column {
  return { name: c.name, type: c.type, nativeType: c.native, nullable: !key };
}

/**
 * The SQL Server type the contract fixture creates for a logical type. Unconstrained numerics become
 * `decimal(38,12)` (the widest scale the contract values need); text keys `nvarchar(100)` (index limit).
 */
export function sqlServerTypeFor(type: LogicalType, key: boolean): string {
  switch (type.kind) {
    case 'int16':
      return 'smallint';
    case 'int32':
      return 'int';
    case 'int64':
      return 'bigint';
    case 'numeric':
      return type.precision === undefined
        ? 'decimal(38,12)'
        : `decimal(${type.precision},${type.scale ?? 0})`;
    case 'float32':
      return 'real';
    case 'float64':
      return 'float';
    case 'bool':
      return 'bit';
    case 'text':
      return key ? 'nvarchar(100)' : 'nvarchar(max)';
    case 'bytes':
      return key ? 'varbinary(100)' : 'varbinary(max)';
    case 'uuid':
      return 'uniqueidentifier';
    case 'date':
      return 'date';
    case 'time':
      return `time(${Math.min(type.precision, 7)})`;
    case 'timestamp':
      return `datetime2(${Math.min(type.precision, 7)})`;
    case 'timestamptz':
      return `datetimeoffset(${Math.min(type.precision, 7)})`;
    default:
      throw new Error(`the SQL Server test fixture has no type for logical ${type.kind}`);
  }
}

/** The columns the contract fixture creates for a contract table (logical type → SQL Server type). */
export function contractTestColumns(table: ContractTable): TestColumn[] {
  return table.columns.map((c) => ({
    name: c.name,
    type: c.type,
    native: sqlServerTypeFor(c.type, table.primaryKey.includes(c.name)),
  }));
}

/** A database created for one test file on the server of `CDC_TEST_MSSQL_URL`, dropped by {@link drop}. */
export class SqlServerTestDatabase {
  private constructor(
    /** Connection settings of the test database (the URL's, with `database` replaced). */
    readonly config: SqlServerConfig,
    /** Name of the test database. */
    readonly database: string,
    private readonly admin: SqlServerDriver,
    /** A driver on the test database, for setup statements. */
    readonly driver: SqlServerDriver,
  ) {}

  /** Creates `cdc_<label>_<pid>_<time>` with snapshot isolation allowed. */
  static async create(url: string, label: string): Promise<SqlServerTestDatabase> {
    const base = parseSqlServerUrl(url);
    const database = `cdc_${label}_${process.pid}_${Date.now().toString(36)}`;
    const admin = new SqlServerDriver({ config: { ...base, database: 'master' }, tedious, label: 'admin' });
    const quoted = sqlServerSql.quoteIdent(database);
    await exec(admin, `CREATE DATABASE ${quoted}`);
    await exec(admin, `ALTER DATABASE ${quoted} SET ALLOW_SNAPSHOT_ISOLATION ON`);
    const config = { ...base, database };
    const driver = new SqlServerDriver({ config, tedious, label: 'test db' });
    return new SqlServerTestDatabase(config, database, admin, driver);
  }

  /** Runs one setup batch on the test database. */
  exec(sql: string, params: Record<string, SqlServerParam> = {}): Promise<Record<string, unknown>[]> {
    return exec(this.driver, sql, params);
  }

  /** Creates `dbo.<name>` and inserts `rows` with parameters cast to each column's type. */
  async createTable(name: string, columns: TestColumn[], key: string[], rows: Row[]): Promise<TableId> {
    const id = { schema: 'dbo', name };
    const table = sqlServerSql.quoteTable(id);
    const defs = columns.map(
      (c) => `${sqlServerSql.quoteIdent(c.name)} ${c.native}${key.includes(c.name) ? ' NOT NULL' : ' NULL'}`,
    );
    await this.exec(
      `CREATE TABLE ${table} (${defs.join(', ')}, PRIMARY KEY (${key.map(sqlServerSql.quoteIdent).join(', ')}))`,
    );
    // SQL Server takes at most 2,100 parameters per statement.
    const perInsert = Math.max(1, Math.floor(1800 / columns.length));
    const names = columns.map((c) => sqlServerSql.quoteIdent(c.name)).join(', ');
    for (let i = 0; i < rows.length; i += perInsert) {
      const params: Record<string, SqlServerParam> = {};
      const values = rows.slice(i, i + perInsert).map((row, r) => {
        const cells = columns.map((c, j) => {
          const p = `p${r}_${j}`;
          const col = testColumn(c, key.includes(c.name));
          params[p] = encodeSqlServerParam(col, row[c.name]);
          return sqlServerSql.paramCastSql(col, p);
        });
        return `(${cells.join(', ')})`;
      });
      await this.exec(`INSERT INTO ${table} (${names}) VALUES ${values.join(', ')}`, params);
    }
    return id;
  }

  /** Drops the test database (closing other sessions first) and closes the drivers. */
  async drop(): Promise<void> {
    await this.driver.close();
    const quoted = sqlServerSql.quoteIdent(this.database);
    await exec(this.admin, `ALTER DATABASE ${quoted} SET SINGLE_USER WITH ROLLBACK IMMEDIATE`).catch(
      () => undefined,
    );
    await exec(this.admin, `DROP DATABASE ${quoted}`).catch(() => undefined);
    await this.admin.close();
  }
}

function exec(
  driver: SqlServerDriver,
  sql: string,
  params: Record<string, SqlServerParam> = {},
): Promise<Record<string, unknown>[]> {
  return driver.withSession((s) => s.query({ sql, params }, 'test setup'));
}

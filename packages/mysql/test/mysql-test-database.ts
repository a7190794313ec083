/**
 * What the real-server tests of this package share: the server of the run (a private MariaDB, or
 * `CDC_TEST_MYSQL_URL`) with its visible skip notice, a throw-away database per test file, and table
 * creation with parameterized inserts.
 */
import { randomBytes } from 'node:crypto';
import type { Column, LogicalType, Row, TableId } from '@cdc/core';
import type { ContractTable } from '@cdc/testkit';
import * as mysql2 from 'mysql2';
import { afterAll, beforeAll, inject } from 'vitest';
import { encodeMysqlKey, mysqlSql, parseMysqlUrl, mysql2PoolOptions } from '../src/index.js';

/** Test sessions: UTC like the adapter's, but strict, so a value a column cannot hold fails loudly. */
const STRICT_SESSION_SQL =
  "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'";

/** The run's server URL, or '' when the MariaDB tests are skipped. */
export function mysqlServerUrl(): string {
  return inject('cdcMysqlUrl');
}

/** Why the MariaDB tests are skipped (undefined when they run). */
export function mysqlSkipReason(): string | undefined {
  return inject('cdcMysqlSkip') || undefined;
}

/** A database created for one test file. */
export interface MysqlTestDatabase {
  readonly name: string;
  /** `mysql://…/<name>` with the admin user's credentials. */
  readonly url: string;
  /** Runs one statement (with `?` parameters) on the test database; rows as objects. */
  exec(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Creates `name` with the given native column types and inserts `rows` with typed parameters. */
  createTable(name: string, columns: TestColumn[], key: string[], rows: Row[]): Promise<TableId>;
  drop(): Promise<void>;
}

/** A column of a test table: logical type (for encoding values) and the native type to create it with. */
export interface TestColumn {
  name: string;
  type: LogicalType;
  native: string;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** A value as a typed parameter for inserting into a column of `native` type. */
export function insertParam(column: TestColumn, value: unknown): { sql: string; value?: unknown } {
  if (value === null || value === undefined) return { sql: 'NULL' };
  if (column.type.kind === 'json')
    return { sql: '?', value: typeof value === 'string' ? value : JSON.stringify(value) };
  const c: Column = { name: column.name, type: column.type, nativeType: column.native, nullable: true };
  const p = encodeMysqlKey(c, value);
  return p.value === undefined ? { sql: p.sql } : { sql: p.sql, value: p.value };
}

/** Creates a database on the run's server; `drop()` removes it. */
export async function createMysqlTestDatabase(
  serverUrl: string,
  prefix = 'cdc_test',
): Promise<MysqlTestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = mysql2
    .createPool({ ...mysql2PoolOptions(parseMysqlUrl(serverUrl)), connectionLimit: 1 })
    .promise();
  await admin.query(`CREATE DATABASE ${mysqlSql.quoteIdent(name)} CHARACTER SET utf8mb4`);
  const url = withDatabase(serverUrl, name);
  // One connection, strict: a value the column cannot hold fails the insert instead of becoming NULL.
  const pool = mysql2.createPool({ ...mysql2PoolOptions(parseMysqlUrl(url)), connectionLimit: 1 });
  pool.on('connection', (connection) => void connection.query(STRICT_SESSION_SQL, () => undefined));
  const db = pool.promise();
  const exec = async (sql: string, params: unknown[] = []) => {
    const [rows] = await db.query(sql, params);
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  };
  let dropped = false;
  return {
    name,
    url,
    exec,
    async createTable(table, columns, key, rows) {
      const q = mysqlSql.quoteIdent;
      const defs = columns.map(
        (c) => `${q(c.name)} ${c.native}${key.includes(c.name) ? ' NOT NULL' : ' NULL'}`,
      );
      await exec(`CREATE TABLE ${q(table)} (${defs.join(', ')}, PRIMARY KEY (${key.map(q).join(', ')}))`);
      const names = columns.map((c) => q(c.name)).join(', ');
      const perInsert = 200;
      for (let i = 0; i < rows.length; i += perInsert) {
        const params: unknown[] = [];
        const values = rows.slice(i, i + perInsert).map((row) => {
          const cells = columns.map((c) => {
            const p = insertParam(c, row[c.name]);
            if ('value' in p) params.push(p.value);
            return p.sql;
          });
          return `(${cells.join(', ')})`;
        });
        await exec(`INSERT INTO ${q(table)} (${names}) VALUES ${values.join(', ')}`, params);
      }
      return { schema: name, name: table };
    },
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.end();
      await admin.query(`DROP DATABASE IF EXISTS ${mysqlSql.quoteIdent(name)}`);
      await admin.end();
    },
  };
}

/**
 * Registers hooks giving the calling test file its own database on the run's server (nothing when the
 * MariaDB tests are skipped; callers gate their suites on {@link mysqlSkipReason}).
 */
export function useMysqlTestDatabase(prefix?: string): () => MysqlTestDatabase {
  let db: MysqlTestDatabase | undefined;
  beforeAll(async () => {
    if (mysqlSkipReason()) return;
    db = await createMysqlTestDatabase(mysqlServerUrl(), prefix);
  });
  afterAll(async () => {
    await db?.drop();
  });
  return () => {
    if (!db) throw new Error('no MariaDB test database (the suite should be skipped)');
    return db;
  };
}

/** The MariaDB type the contract fixture creates for a logical type. */
export function mysqlTypeFor(type: LogicalType, key: boolean): string {
  switch (type.kind) {
    case 'int16':
      return 'smallint';
    case 'int32':
      return 'int';
    case 'int64':
      return 'bigint';
    case 'numeric':
      return type.precision === undefined
        ? 'decimal(65,30)'
        : `decimal(${type.precision},${type.scale ?? 0})`;
    case 'float32':
      return 'float';
    case 'float64':
      return 'double';
    case 'bool':
      return 'boolean';
    case 'text':
      return key ? 'varchar(191)' : 'longtext';
    case 'bytes':
      return key ? 'varbinary(191)' : 'longblob';
    case 'uuid':
      return 'uuid';
    case 'date':
      return 'date';
    case 'time':
      return `time(${Math.min(type.precision, 6)})`;
    case 'timestamp':
      return `datetime(${Math.min(type.precision, 6)})`;
    case 'timestamptz':
      return `timestamp(${Math.min(type.precision, 6)})`;
    case 'json':
      return 'json';
    default:
      throw new Error(`the MariaDB test fixture has no type for logical ${type.kind}`);
  }
}

/** The columns the contract fixture creates for a contract table. */
export function contractTestColumns(table: ContractTable): TestColumn[] {
  return table.columns.map((c) => ({
    name: c.name,
    type: c.type,
    native: mysqlTypeFor(c.type, table.primaryKey.includes(c.name)),
  }));
}

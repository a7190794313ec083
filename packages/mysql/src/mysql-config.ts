/**
 * Connection settings for MariaDB and MySQL: a zod schema (one source of truth for validation, types and
 * docs) and the `mysql://` / `mariadb://` URL parser the CLI uses.
 */
import { z } from 'zod';
import { CdcError, redactUrl } from '@cdc/core';

const boolText = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => (typeof v === 'boolean' ? v : v === 'true' || v === '1' || v === 'yes'));
const intText = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Validated MariaDB/MySQL connection and behaviour settings. */
export const mysqlConfigSchema = z
  .object({
    /** Host name or IP (ignored with `socket`). */
    host: z.string().min(1).default('localhost'),
    /** TCP port. Default 3306. */
    port: intText(1, 65535).default(3306),
    /** Unix socket path instead of TCP (`?socket=/run/mysqld/mysqld.sock`). */
    socket: z.string().min(1).optional(),
    /** Database (MySQL's schema) that table names without one resolve to. */
    database: z.string().min(1).optional(),
    user: z.string().optional(),
    password: z.string().optional(),
    /** TLS: `false` (default), `true` (verify the certificate), `no-verify` (encrypt, trust any certificate). */
    ssl: z.union([boolText, z.literal('no-verify')]).default(false),
    connectTimeoutMs: intText(1000, 600_000).default(15_000),
    /** Connections in the pool (scans of parallel units each hold one). Default 4. */
    poolMax: intText(1, 100).default(4),
    /**
     * `auto` (default): hash inside the server where every column kind can be reproduced in SQL;
     * `client`: never push down (stream rows and hash in cdc).
     */
    hashing: z.enum(['auto', 'client']).default('auto'),
    /**
     * How `tinyint(1)` (MySQL's `BOOLEAN`) is read: `bool` (default; 0 is false, any other value true, as
     * in MySQL conditions) or `int` (the integer, `int16`).
     */
    tinyInt1: z.enum(['bool', 'int']).default('bool'),
  })
  .strict();

/** Input accepted by {@link mysqlConfigSchema} (strings allowed where URLs carry them). */
export type MysqlConfigInput = z.input<typeof mysqlConfigSchema>;
/** Validated settings. */
export type MysqlConfig = z.output<typeof mysqlConfigSchema>;

const QUERY_KEYS: Record<string, keyof MysqlConfigInput> = {
  socket: 'socket',
  socketpath: 'socket',
  ssl: 'ssl',
  connecttimeout: 'connectTimeoutMs',
  connecttimeoutms: 'connectTimeoutMs',
  poolmax: 'poolMax',
  connectionlimit: 'poolMax',
  hashing: 'hashing',
  tinyint1: 'tinyInt1',
  database: 'database',
  user: 'user',
  password: 'password',
};

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates a settings object, turning zod issues into a `CONFIG_INVALID` CdcError. */
export function parseMysqlConfig(input: unknown, where = 'MariaDB/MySQL connection settings'): MysqlConfig {
  const result = mysqlConfigSchema.safeParse(input);
  if (!result.success) {
    throw new CdcError('CONFIG_INVALID', `Invalid ${where}: ${describeIssues(result.error)}.`, {
      hint: 'See docs/sources/mysql.md for every option.',
    });
  }
  return result.data;
}

/** URL schemes this package answers. */
export const MYSQL_SCHEMES = ['mysql', 'mariadb'] as const;

/**
 * Parses `mysql://user:password@host:3306/database?ssl=true&hashing=client` (also `mariadb://`). Every
 * query parameter is an option of {@link mysqlConfigSchema} (case-insensitive). Throws `CONFIG_INVALID`
 * naming the offending part, never echoing the password.
 */
export function parseMysqlUrl(url: string): MysqlConfig {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CdcError('CONFIG_INVALID', `"${redactUrl(url)}" is not a valid URL.`, {
      hint: 'Write mysql://user:password@host:3306/database (percent-encode special characters)',
    });
  }
  const scheme = u.protocol.replace(/:$/, '');
  if (!(MYSQL_SCHEMES as readonly string[]).includes(scheme)) {
    throw new CdcError('CONFIG_INVALID', `Unsupported scheme "${u.protocol}" in ${redactUrl(url)}.`, {
      hint: 'MariaDB/MySQL URLs start with mysql:// or mariadb://',
    });
  }
  const input: Record<string, unknown> = {};
  if (u.hostname) input.host = decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, '$1');
  if (u.port) input.port = u.port;
  if (u.username) input.user = decodeURIComponent(u.username);
  if (u.password) input.password = decodeURIComponent(u.password);
  const path = decodeURIComponent(u.pathname.replace(/^\//, ''));
  if (path.includes('/')) {
    throw new CdcError('CONFIG_INVALID', `The path of ${redactUrl(url)} must be just the database name.`, {
      hint: 'Write mysql://user@host:3306/database',
    });
  }
  if (path) input.database = path;
  for (const [rawKey, value] of u.searchParams) {
    const key = QUERY_KEYS[rawKey.toLowerCase()];
    if (!key) {
      throw new CdcError('CONFIG_INVALID', `Unknown parameter "${rawKey}" in ${redactUrl(url)}.`, {
        hint: `Known parameters: ${[...new Set(Object.values(QUERY_KEYS))].join(', ')}.`,
      });
    }
    input[key] = value;
  }
  if (!u.hostname && input.socket === undefined) {
    throw new CdcError('CONFIG_INVALID', `No host in ${redactUrl(url)}.`, {
      hint: 'Write mysql://user@host:3306/database, or mysql://user@localhost/database?socket=/run/mysqld/mysqld.sock',
    });
  }
  return parseMysqlConfig(input, `MariaDB/MySQL URL ${redactUrl(url)}`);
}

/**
 * Turns mysql2/MariaDB/MySQL failures into {@link CdcError}s: a stable code, whether retrying can help
 * (deadlocks, lost connections) and what the user should do. Classification is by the server's error
 * name (`ER_…`, the same in MariaDB and MySQL) and Node's socket error codes.
 */
import { CdcError, isCdcError, type CdcErrorCode } from '@cdc/core';

interface Classification {
  code: CdcErrorCode;
  transient: boolean;
  hint?: string;
}

const BY_CODE: Record<string, Classification> = {
  ER_ACCESS_DENIED_ERROR: {
    code: 'AUTH_FAILED',
    transient: false,
    hint: 'Check the user name and password in the URL (or the secret reference) and the host the user may connect from.',
  },
  ER_ACCESS_DENIED_NO_PASSWORD_ERROR: {
    code: 'AUTH_FAILED',
    transient: false,
    hint: 'The server wants a password: give it in the URL, with --<role>-password env:NAME, or in MYSQL_PWD.',
  },
  ER_NOT_SUPPORTED_AUTH_MODE: {
    code: 'AUTH_FAILED',
    transient: false,
    hint: 'The server asked for an authentication plugin mysql2 does not speak; use mysql_native_password or caching_sha2_password.',
  },
  ER_DBACCESS_DENIED_ERROR: {
    code: 'PERMISSION_DENIED',
    transient: false,
    hint: 'Grant the user access to the database: GRANT SELECT ON <db>.* TO <user>.',
  },
  ER_TABLEACCESS_DENIED_ERROR: {
    code: 'PERMISSION_DENIED',
    transient: false,
    hint: 'Grant SELECT on the table: GRANT SELECT ON <db>.<table> TO <user>.',
  },
  ER_COLUMNACCESS_DENIED_ERROR: {
    code: 'PERMISSION_DENIED',
    transient: false,
    hint: 'Grant SELECT on every column cdc reads.',
  },
  ER_SPECIFIC_ACCESS_DENIED_ERROR: {
    code: 'PERMISSION_DENIED',
    transient: false,
    hint: 'The statement needs a privilege the user lacks (REPLICATION CLIENT / REPLICATION SLAVE for the binary log).',
  },
  ER_BAD_DB_ERROR: {
    code: 'CONNECTION_FAILED',
    transient: false,
    hint: 'The database in the URL does not exist (names are case-sensitive on Linux servers).',
  },
  ER_NO_SUCH_TABLE: {
    code: 'TABLE_NOT_FOUND',
    transient: false,
    hint: 'Check the database and table name (exact case on Linux servers).',
  },
  ER_BAD_FIELD_ERROR: {
    code: 'COLUMN_NOT_FOUND',
    transient: false,
    hint: 'Re-introspect the table: a column was renamed or dropped.',
  },
  ER_LOCK_DEADLOCK: { code: 'UPSTREAM_ERROR', transient: true },
  ER_LOCK_WAIT_TIMEOUT: { code: 'UPSTREAM_ERROR', transient: true },
  ER_QUERY_INTERRUPTED: { code: 'CANCELLED', transient: false },
  ER_CON_COUNT_ERROR: {
    code: 'CONNECTION_FAILED',
    transient: true,
    hint: 'The server has no free connections (max_connections): lower poolMax or the diff concurrency.',
  },
  ER_TOO_MANY_USER_CONNECTIONS: {
    code: 'CONNECTION_FAILED',
    transient: true,
    hint: 'The user reached its connection limit: lower poolMax or the diff concurrency.',
  },
  ER_SERVER_SHUTDOWN: { code: 'CONNECTION_FAILED', transient: true },
  PROTOCOL_CONNECTION_LOST: { code: 'CONNECTION_FAILED', transient: true },
  PROTOCOL_SEQUENCE_TIMEOUT: { code: 'TIMEOUT', transient: true },
  ECONNREFUSED: {
    code: 'CONNECTION_FAILED',
    transient: true,
    hint: 'Nothing listens there: check host and port (default 3306) and that the server runs.',
  },
  ECONNRESET: { code: 'CONNECTION_FAILED', transient: true },
  ENOTFOUND: { code: 'CONNECTION_FAILED', transient: false, hint: 'The host name does not resolve.' },
  EHOSTUNREACH: { code: 'CONNECTION_FAILED', transient: true },
  ETIMEDOUT: {
    code: 'TIMEOUT',
    transient: true,
    hint: 'The server did not answer in time: check the network path and firewall, or raise connectTimeoutMs.',
  },
  HANDSHAKE_SSL_ERROR: {
    code: 'CONNECTION_FAILED',
    transient: false,
    hint: 'TLS failed: check the server certificate, or use ssl=no-verify for a self-signed one in development.',
  },
};

/** How a mysql2 error code is classified (`undefined` for unknown codes). */
export function classifyMysqlErrorCode(code: string): Classification | undefined {
  return BY_CODE[code];
}

/**
 * Wraps a driver failure as a `CdcError` saying what cdc was doing (`context`); `CdcError`s pass
 * through. The server's message is kept (it never contains the password).
 */
export function toMysqlError(error: unknown, context: string): CdcError {
  if (isCdcError(error)) return error;
  const e = error as { code?: unknown; errno?: unknown; sqlMessage?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.sqlMessage === 'string' ? e.sqlMessage : String(e.message ?? error);
  const c = code ? classifyMysqlErrorCode(code) : undefined;
  return new CdcError(
    c?.code ?? 'UPSTREAM_ERROR',
    `MariaDB/MySQL error while ${context}: ${message}${code ? ` (${code})` : ''}`,
    {
      ...(c?.hint ? { hint: c.hint } : {}),
      transient: c?.transient ?? false,
      cause: error,
    },
  );
}

/**
 * Turns tedious/SQL Server failures into {@link CdcError}s: a stable code, whether retrying can help
 * (deadlocks, Azure failovers, throttling) and what the user should do. Classification is by SQL Server
 * error number (`RequestError.number`) and tedious' connection error codes.
 */
import { CdcError, type CdcErrorCode } from '@cdc/core';

interface Classification {
  code: CdcErrorCode;
  transient: boolean;
  hint?: string;
}

/**
 * SQL Server error numbers a retry can fix: deadlock victim (1205), lock timeout (1222), Azure SQL
 * reconfiguration/failover/throttling (40613, 40501, 40197, 49918-49920, 10928, 10929, 4060 during
 * failover, 4221 on readable secondaries), snapshot update conflict (3960), log full while the
 * capture job catches up (9002 is NOT here: it needs an operator).
 */
const TRANSIENT_NUMBERS = new Set([
  1205, 1222, 3960, 4060, 4221, 10053, 10054, 10060, 10928, 10929, 40143, 40197, 40501, 40540, 40613, 49918,
  49919, 49920, 233, 64, 121,
]);

const BY_NUMBER: Record<number, Omit<Classification, 'transient'>> = {
  18456: {
    code: 'AUTH_FAILED',
    hint: 'Check the user name and password in the URL (or the secret reference), and that SQL authentication is enabled on the server.',
  },
  18452: {
    code: 'AUTH_FAILED',
    hint: 'The login is from an untrusted domain: use SQL authentication or an Azure AD option (authentication=…).',
  },
  229: {
    code: 'PERMISSION_DENIED',
    hint: 'Grant SELECT on the table (and on the cdc schema for replication): GRANT SELECT ON SCHEMA::cdc TO <user>.',
  },
  230: { code: 'PERMISSION_DENIED', hint: 'Grant SELECT on the columns cdc reads.' },
  262: {
    code: 'PERMISSION_DENIED',
    hint: 'The statement needs a permission the login lacks (VIEW SERVER STATE for agent checks, db_owner to enable CDC).',
  },
  300: {
    code: 'PERMISSION_DENIED',
    hint: 'Grant VIEW SERVER STATE (on Azure SQL Database: VIEW DATABASE STATE) to read the capture health views.',
  },
  297: { code: 'PERMISSION_DENIED', hint: 'The login lacks permission for this operation.' },
  916: {
    code: 'PERMISSION_DENIED',
    hint: 'The login cannot open the database: create a user for it there (CREATE USER … FOR LOGIN …).',
  },
  4060: {
    code: 'CONNECTION_FAILED',
    hint: 'The database in the URL does not exist or the login cannot open it; on Azure it may be failing over.',
  },
  208: {
    code: 'TABLE_NOT_FOUND',
    hint: 'Check the schema and table name (names are exact, case as created); for cdc.* objects enable CDC first.',
  },
  207: { code: 'COLUMN_NOT_FOUND', hint: 'Re-introspect the table: a column was renamed or dropped.' },
  313: {
    code: 'RETENTION_GAP',
    hint: 'The requested LSN range is outside the capture instance validity interval: changes were cleaned up. Re-snapshot the table.',
  },
  22985: {
    code: 'CDC_NOT_ENABLED',
    hint: 'CDC needs sysadmin to enable on the database (EXEC sys.sp_cdc_enable_db).',
  },
  22902: { code: 'CDC_NOT_ENABLED', hint: 'Enable CDC on the database: EXEC sys.sp_cdc_enable_db.' },
  22832: {
    code: 'CDC_NOT_ENABLED',
    hint: 'sp_cdc_enable_table failed: check that SQL Server Agent is running and the table exists.',
  },
  3952: {
    code: 'CONFIG_INVALID',
    hint: 'Snapshot isolation is off: ALTER DATABASE <db> SET ALLOW_SNAPSHOT_ISOLATION ON (or set snapshotIsolation: repeatable-read).',
  },
  9002: {
    code: 'UPSTREAM_ERROR',
    hint: 'The transaction log is full, often because the CDC capture job (SQL Server Agent) is not running.',
  },
  2812: {
    code: 'UPSTREAM_ERROR',
    hint: 'A stored procedure is missing: is this server a SQL Server with CDC?',
  },
};

const CONNECTION_CODES: Record<string, Classification> = {
  ELOGIN: { code: 'AUTH_FAILED', transient: false, hint: BY_NUMBER[18456]?.hint },
  ETIMEOUT: {
    code: 'TIMEOUT',
    transient: true,
    hint: 'The server did not answer in time: check host, port (1433) and firewall, or raise connectTimeout.',
  },
  ESOCKET: {
    code: 'CONNECTION_FAILED',
    transient: true,
    hint: 'Check host and port, that TCP/IP is enabled on the server and that no firewall blocks the port.',
  },
  EINSTLOOKUP: {
    code: 'CONNECTION_FAILED',
    transient: false,
    hint: 'The named instance was not found: check instanceName and that SQL Server Browser (UDP 1434) is reachable, or give the port instead.',
  },
  ETLS: { code: 'CONNECTION_FAILED', transient: false, hint: '' },
  ECLOSE: {
    code: 'CONNECTION_FAILED',
    transient: true,
    hint: 'The connection was closed; it will be reopened.',
  },
  ECONNCLOSED: {
    code: 'CONNECTION_FAILED',
    transient: true,
    hint: 'The connection was closed; it will be reopened.',
  },
  ECANCEL: { code: 'CANCELLED', transient: false, hint: 'The request was cancelled.' },
  EREQUEST: { code: 'UPSTREAM_ERROR', transient: false },
};

const TLS_HINT =
  'TLS failed: for a self-signed server certificate add ?trustServerCertificate=true (development only), ' +
  'or install the CA; to connect without TLS to an old server set ?encrypt=false.';

/** Error facts tedious exposes (RequestError / ConnectionError, or an AggregateError of them). */
interface DriverErrorShape {
  message?: unknown;
  number?: unknown;
  code?: unknown;
  errors?: unknown;
}

function isTlsMessage(message: string): boolean {
  return /certificate|self[- ]signed|SSL|TLS|ssl routines|UNABLE_TO_VERIFY|DEPTH_ZERO/i.test(message);
}

/** Classifies a SQL Server error number (transient or not, and which {@link CdcErrorCode}). */
export function classifySqlServerErrorNumber(number: number): Classification {
  const known = BY_NUMBER[number];
  const transient = TRANSIENT_NUMBERS.has(number);
  if (known) return { ...known, transient };
  if (transient) {
    return {
      code: number === 1205 || number === 1222 || number === 3960 ? 'UPSTREAM_ERROR' : 'CONNECTION_FAILED',
      transient: true,
      hint: 'Transient server condition (deadlock, failover or throttling); the operation is retried.',
    };
  }
  return { code: 'UPSTREAM_ERROR', transient: false };
}

/**
 * Wraps any error thrown by tedious (or the pool) into a {@link CdcError} that says what failed and
 * where (`context`, e.g. `scanning dbo.orders`). CdcErrors pass through unchanged.
 */
export function toSqlServerError(error: unknown, context: string): CdcError {
  if (error instanceof CdcError) return error;
  const shape = (typeof error === 'object' && error !== null ? error : {}) as DriverErrorShape;
  const inner =
    Array.isArray(shape.errors) && shape.errors.length > 0 ? (shape.errors[0] as DriverErrorShape) : shape;
  const message = String(inner.message ?? shape.message ?? error);
  const number =
    typeof inner.number === 'number'
      ? inner.number
      : typeof shape.number === 'number'
        ? shape.number
        : undefined;
  const driverCode =
    typeof inner.code === 'string' ? inner.code : typeof shape.code === 'string' ? shape.code : undefined;

  let c: Classification;
  if (number !== undefined) {
    c = classifySqlServerErrorNumber(number);
  } else if (driverCode === 'ESOCKET' && isTlsMessage(message)) {
    c = { code: 'CONNECTION_FAILED', transient: false, hint: TLS_HINT };
  } else if (driverCode !== undefined && CONNECTION_CODES[driverCode]) {
    c = CONNECTION_CODES[driverCode];
    if (driverCode === 'ETLS') c = { ...c, hint: TLS_HINT };
  } else if (isTlsMessage(message)) {
    c = { code: 'CONNECTION_FAILED', transient: false, hint: TLS_HINT };
  } else {
    c = { code: 'UPSTREAM_ERROR', transient: false };
  }
  const tag = number !== undefined ? ` (SQL Server error ${number})` : driverCode ? ` (${driverCode})` : '';
  return new CdcError(c.code, `SQL Server: ${context} failed${tag}: ${message}`, {
    hint: c.hint || undefined,
    transient: c.transient,
    cause: error,
  });
}

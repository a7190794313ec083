/** Maps cassandra-driver errors to {@link CdcError}s with a code, a location and a hint. */
import { CdcError, isCdcError } from '@cdc/core';

interface DriverErrorShape {
  name?: string;
  message?: string;
  code?: number;
  innerErrors?: Record<string, unknown>;
}

/** CQL protocol error codes we distinguish (native protocol spec, section 9). */
const CODES = {
  badCredentials: 0x0100,
  unavailable: 0x1000,
  overloaded: 0x1001,
  bootstrapping: 0x1002,
  writeTimeout: 0x1100,
  readTimeout: 0x1200,
  readFailure: 0x1300,
  syntaxError: 0x2000,
  unauthorized: 0x2100,
  invalid: 0x2200,
} as const;

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

/**
 * The one-line reason of a driver error. NoHostAvailableError's own message embeds its inner errors with
 * their stack traces; it becomes `no host reachable (host: reason; …)` instead.
 */
export function describeDriverError(error: unknown): string {
  const e = (error ?? {}) as DriverErrorShape;
  if (e.name === 'NoHostAvailableError' && e.innerErrors && Object.keys(e.innerErrors).length > 0) {
    const hosts = Object.entries(e.innerErrors).map(([host, inner]) => {
      const m = (inner as DriverErrorShape | undefined)?.message;
      return `${host}: ${firstLine(typeof m === 'string' ? m : String(inner))}`;
    });
    return `no host reachable (${hosts.join('; ')})`;
  }
  return firstLine(typeof e.message === 'string' ? e.message : String(error));
}

/** Wraps any error from the driver; `where` says what was being done (never contains secrets). */
export function toCdcError(error: unknown, where: string): CdcError {
  if (isCdcError(error)) return error;
  const e = (error ?? {}) as DriverErrorShape;
  const msg = `${where}: ${describeDriverError(error)}`;
  const inner = e.innerErrors ? Object.values(e.innerErrors) : [];
  if (
    e.name === 'AuthenticationError' ||
    e.code === CODES.badCredentials ||
    inner.some((i) => (i as DriverErrorShape)?.name === 'AuthenticationError')
  ) {
    return new CdcError('AUTH_FAILED', msg, {
      cause: error,
      hint: 'Check the username and password (URL user-info or username/password options).',
    });
  }
  if (e.name === 'NoHostAvailableError') {
    return new CdcError('CONNECTION_FAILED', msg, {
      cause: error,
      transient: true,
      hint: 'Check contact points, port, TLS settings and localDataCenter (SELECT data_center FROM system.local).',
    });
  }
  if (e.name === 'OperationTimedOutError' || e.code === CODES.readTimeout || e.code === CODES.writeTimeout) {
    return new CdcError('TIMEOUT', msg, {
      cause: error,
      transient: true,
      hint: 'Raise readTimeoutMs/serverTimeoutMs or use more, smaller token ranges.',
    });
  }
  if (
    e.code === CODES.unavailable ||
    e.code === CODES.overloaded ||
    e.code === CODES.bootstrapping ||
    e.code === CODES.readFailure
  ) {
    return new CdcError('UPSTREAM_ERROR', msg, { cause: error, transient: true });
  }
  if (e.code === CODES.unauthorized) {
    return new CdcError('PERMISSION_DENIED', msg, {
      cause: error,
      hint: 'GRANT SELECT on the keyspace (and on system_distributed for CDC) to this user.',
    });
  }
  if (
    e.code === CODES.invalid &&
    /unconfigured table|does not exist|Keyspace .* not found/i.test(e.message ?? '')
  ) {
    return new CdcError('TABLE_NOT_FOUND', msg, { cause: error });
  }
  return new CdcError('UPSTREAM_ERROR', msg, { cause: error });
}

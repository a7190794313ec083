/**
 * Turns any failure into one line a user can act on (what, where, how to fix) and exit code 2. Errors
 * from drivers that did not go through an adapter's mapping are classified by their codes here, so an
 * unreachable host or a wrong password never ends in a stack trace.
 */
import { CdcError, isCdcError } from '@cdc/core';

/** Exit codes of every cdc command. */
export const ExitCode = { inSync: 0, differences: 1, error: 2 } as const;

interface DriverErrorShape {
  code?: string;
  message?: string;
  errno?: number;
  address?: string;
  port?: number;
  hostname?: string;
}

/** Maps common driver and system errors to a `CdcError`; leaves `CdcError`s unchanged. */
export function classifyError(error: unknown, where?: string): CdcError {
  if (isCdcError(error)) return error;
  const e = (error ?? {}) as DriverErrorShape & Error;
  const at = where ? ` (${where})` : '';
  const message = typeof e.message === 'string' ? e.message.split('\n')[0]! : String(error);
  switch (e.code) {
    case 'ECONNREFUSED':
      return new CdcError(
        'CONNECTION_FAILED',
        `cannot connect${at}: connection refused at ${e.address ?? ''}${e.port ? `:${e.port}` : ''}`,
        {
          hint: 'check host and port, and that the server is running and accepts TCP connections',
          cause: error,
          transient: true,
        },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new CdcError('CONNECTION_FAILED', `cannot connect${at}: host ${e.hostname ?? ''} not found`, {
        hint: 'check the host name in the URL (DNS)',
        cause: error,
        transient: e.code === 'EAI_AGAIN',
      });
    case 'ETIMEDOUT':
    case 'ECONNRESET':
    case 'EHOSTUNREACH':
      return new CdcError('CONNECTION_FAILED', `cannot connect${at}: ${message}`, {
        hint: 'check the network path (firewall, VPN) and the port',
        cause: error,
        transient: true,
      });
    case '28P01':
    case '28000':
      return new CdcError('AUTH_FAILED', `authentication failed${at}: ${message}`, {
        hint: 'check the user and password (--source-password/--target-password env:NAME, or PGPASSWORD)',
        cause: error,
      });
    case '3D000':
      return new CdcError('CONNECTION_FAILED', `${message}${at}`, {
        hint: 'check the database name at the end of the URL',
        cause: error,
      });
    case '42P01':
      return new CdcError('TABLE_NOT_FOUND', `${message}${at}`, {
        hint: 'check the schema and table name; quote names with capitals or dots ("Sales"."Orders")',
        cause: error,
      });
    case '42501':
      return new CdcError('PERMISSION_DENIED', `${message}${at}`, {
        hint: 'grant the cdc user SELECT (and for repair INSERT/UPDATE/DELETE) on the table',
        cause: error,
      });
    case 'ENOENT':
    case 'EACCES':
      return new CdcError('INVALID_ARGUMENT', message, {
        hint: 'check the path and its permissions',
        cause: error,
      });
    default:
      if (/password authentication failed|Login failed/i.test(message)) {
        return new CdcError('AUTH_FAILED', `authentication failed${at}: ${message}`, {
          hint: 'check the user and password',
          cause: error,
        });
      }
      return new CdcError('INTERNAL', `${message}${at}`, {
        hint: 'run again with --verbose for details; if it persists, please report it',
        cause: error,
      });
  }
}

/** One line, `what/where — how to fix`; the stack chain follows only in verbose mode. */
export function formatError(error: CdcError, verbose: boolean): string {
  const hint = error.hint ? ` — ${error.hint}` : '';
  if (!verbose) return `${error.message}${hint}`;
  const causes: string[] = [];
  let cause: unknown = error.cause;
  while (cause instanceof Error) {
    causes.push(`caused by: ${cause.stack ?? cause.message}`);
    cause = cause.cause;
  }
  return [`${error.message}${hint}`, `[${error.code}] ${error.stack ?? ''}`, ...causes].join('\n');
}

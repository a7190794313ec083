/** One error type for the whole toolkit: a stable code, a message that says what/where, and how to fix. */

/** Stable error codes. Apps map them to exit codes and one-line messages. */
export type CdcErrorCode =
  | 'CONFIG_INVALID'
  | 'CONNECTION_FAILED'
  | 'AUTH_FAILED'
  | 'PERMISSION_DENIED'
  | 'TABLE_NOT_FOUND'
  | 'COLUMN_NOT_FOUND'
  | 'NO_PRIMARY_KEY'
  | 'UNSUPPORTED_TYPE'
  | 'SCHEMA_MISMATCH'
  | 'INVALID_ARGUMENT'
  | 'SECRET_UNRESOLVED'
  | 'RETENTION_GAP'
  | 'FENCED'
  | 'CANCELLED'
  | 'TIMEOUT'
  | 'CDC_NOT_ENABLED'
  | 'UPSTREAM_ERROR'
  /** This machine cannot do what was asked: a missing platform binary, file permissions, an OS user. */
  | 'ENVIRONMENT'
  | 'INTERNAL';

/** Options of {@link CdcError}. */
export interface CdcErrorOptions {
  /** What the user can do about it, one sentence. */
  hint?: string;
  /** Retrying may succeed (network blips, deadlocks, failovers). Default `false`. */
  transient?: boolean;
  cause?: unknown;
}

/**
 * The error every package throws for conditions a user can act on. Messages never contain secrets:
 * pass URLs through `redactUrl` before putting them in a message.
 */
export class CdcError extends Error {
  readonly code: CdcErrorCode;
  readonly hint: string | undefined;
  readonly transient: boolean;

  constructor(code: CdcErrorCode, message: string, options: CdcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CdcError';
    this.code = code;
    this.hint = options.hint;
    this.transient = options.transient ?? false;
  }
}

/** True for a {@link CdcError} (also across duplicated package copies, by shape). */
export function isCdcError(error: unknown): error is CdcError {
  return (
    error instanceof CdcError ||
    (error instanceof Error && error.name === 'CdcError' && typeof (error as CdcError).code === 'string')
  );
}

/** Replaces the password (and any token-like query parameter) of a URL with `***`. Never throws. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) {
      if (/pass|secret|token|key|pwd/i.test(k)) u.searchParams.set(k, '***');
    }
    return u.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

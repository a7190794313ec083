/**
 * Which failures the replication engine retries and how long it waits: exponential backoff with full
 * jitter, bounded by attempts. Classification looks at CdcError.transient, PostgreSQL SQLSTATEs and
 * Node socket errors, so adapters need not wrap every driver error.
 */
import { CdcError, isCdcError } from '../errors.js';

/** Retry policy of a pipeline. */
export interface RetryPolicy {
  /** Consecutive failed attempts before giving up. Default 10. */
  maxAttempts: number;
  /** Delay before the first retry in ms. Default 500. */
  initialDelayMs: number;
  /** Cap of any single delay in ms. Default 30,000. */
  maxDelayMs: number;
  /** Growth per attempt. Default 2. */
  multiplier: number;
}

/** Documented defaults of {@link RetryPolicy}. */
export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 10,
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  multiplier: 2,
};

/**
 * Delay before retry number `attempt` (1-based): a uniformly random value in
 * `[0, min(maxDelayMs, initialDelayMs * multiplier^(attempt-1))]` ("full jitter"), so many workers
 * restarting together do not hammer the database in lockstep.
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** (attempt - 1));
  return Math.round(ceiling * random());
}

// SQLSTATE classes/codes that describe the moment, not the request.
const TRANSIENT_SQLSTATE_PREFIXES = ['08', '53', '57P0'];
const TRANSIENT_SQLSTATES = new Set(['40001', '40P01', '55006', '55P03', '57014']);
const TRANSIENT_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when retrying may succeed: a `CdcError` marked transient, a PostgreSQL connection/resource/
 * shutdown/serialization/deadlock/lock error, a dropped socket, or pg's "Connection terminated".
 * `CdcError`s not marked transient are permanent (their adapters classified them).
 */
export function isTransientError(error: unknown): boolean {
  if (isCdcError(error)) {
    if (error.transient) return true;
    return error.code === 'CONNECTION_FAILED' && error.cause !== undefined && isTransientError(error.cause);
  }
  const code = codeOf(error);
  if (code !== undefined) {
    if (TRANSIENT_NODE_CODES.has(code) || TRANSIENT_SQLSTATES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return TRANSIENT_SQLSTATE_PREFIXES.some((p) => code.startsWith(p));
  }
  if (error instanceof Error) {
    if (
      /Connection terminated|connection timeout|Client has encountered a connection error/i.test(
        error.message,
      )
    ) {
      return true;
    }
    if (error.cause !== undefined) return isTransientError(error.cause);
  }
  return false;
}

/** Renders any error as one line for logs and the status table (never includes stacks). */
export function describeError(error: unknown): string {
  if (isCdcError(error)) return error.hint ? `${error.message} (${error.hint})` : error.message;
  if (error instanceof Error) {
    const code = codeOf(error);
    return code ? `${error.message} [${code}]` : error.message;
  }
  return String(error);
}

/** Sleeps `ms`, rejecting with `CANCELLED` if `signal` aborts first. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The error a stopped pipeline's pending waits end with. */
export function cancelled(): CdcError {
  return new CdcError('CANCELLED', 'replication stopped');
}

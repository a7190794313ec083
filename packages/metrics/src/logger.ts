/**
 * Structured JSON logs (pino) with correlation ids (run, pipeline, table, batch) and redaction of
 * secrets at every entry point: the message, the merged object, child bindings and the final line.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { pino, type DestinationStream, type Logger, type LoggerOptions as PinoOptions } from 'pino';
import pinoPretty from 'pino-pretty';
import type { SecretRedactor } from './log-redaction.js';
import { redactText, redactValue } from './log-redaction.js';

/** Ids that tie log lines, metrics and spans of one unit of work together. */
export interface CorrelationIds {
  run?: string;
  pipeline?: string;
  table?: string;
  batch?: string | number;
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** `trace` … `fatal`, or `silent`. Default `info`. */
  level?: string;
  /** Human-readable colored output (pino-pretty). Default: when stdout is a TTY. */
  pretty?: boolean;
  /** Fields on every line: correlation ids and anything else (`component`, …). Redacted too. */
  bindings?: CorrelationIds & Record<string, unknown>;
  /** Secret values to cut out of every line (register resolved secrets here). */
  secrets?: SecretRedactor;
  /** Where lines go. Default stdout. */
  destination?: DestinationStream;
}

const correlation = new AsyncLocalStorage<CorrelationIds>();

/**
 * Runs `fn` with correlation ids that every logger created by {@link createLogger} adds to its lines
 * (nested calls merge, inner ids win).
 */
export function runWithCorrelation<T>(ids: CorrelationIds, fn: () => T): T {
  return correlation.run({ ...correlation.getStore(), ...ids }, fn);
}

/** The correlation ids of the current async context. */
export function currentCorrelation(): CorrelationIds {
  return { ...correlation.getStore() };
}

/** A child logger carrying `ids` on every line. */
export function withCorrelation(logger: Logger, ids: CorrelationIds): Logger {
  return logger.child(ids);
}

/**
 * Creates the cdc logger: JSON lines (or pretty output on a TTY) with redaction of URL passwords,
 * tokens, password/secret keys and registered secret values.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: 'info', bindings: { pipeline: 'orders' } });
 * log.info({ url: 'postgres://cdc:hunter2@db/app' }, 'connected'); // url logged as postgres://cdc:[REDACTED]@db/app
 * ```
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const secrets = options.secrets;
  const pretty = options.pretty ?? process.stdout.isTTY === true;
  const config: PinoOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    mixin: () => ({ ...correlation.getStore() }),
    formatters: {
      level: (label) => ({ level: label }),
      bindings: (bindings) => redactValue(bindings, secrets) as Record<string, unknown>,
      log: (object) => redactValue(object, secrets) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const redacted = args.map((a) => (typeof a === 'string' ? redactText(a, secrets) : a));
        return method.apply(this, redacted as Parameters<typeof method>);
      },
      // Last line of defence: a registered secret that reached the line by any other path.
      streamWrite: (line) => (secrets ? secrets.redact(line) : line),
    },
  };
  const destination = pretty
    ? pinoPretty({
        colorize: options.destination === undefined,
        sync: true,
        ...(options.destination ? { destination: options.destination } : {}),
      })
    : (options.destination ?? pino.destination({ dest: 1, sync: false }));
  const logger = pino(config, destination);
  return options.bindings ? logger.child(options.bindings) : logger;
}

export type { Logger };

/** Command-line entry of the worker: flags, configuration, logging, signal handling, exit codes. */
import { dirname, resolve } from 'node:path';
import { createConnectorRegistry, parsePluginList } from '@cdc/connectors';
import { describeError } from '@cdc/core';
import { createLogger, SecretRedactor, type Logger } from '@cdc/metrics';
import { Command, CommanderError } from 'commander';
import { startWorker, type Worker } from './worker.js';
import { loadWorkerConfig } from './worker-config.js';

/** Options of {@link runWorkerCli} (tests inject these). */
export interface WorkerCliOptions {
  env?: Readonly<Record<string, string | undefined>>;
  logger?: Logger;
  /** Called once the worker runs (tests use it to reach the worker). */
  onStarted?: (worker: Worker) => void;
  /** The process to take SIGTERM/SIGINT from. Default `process`. */
  signals?: Pick<NodeJS.Process, 'once' | 'off'>;
}

const positiveInt = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CommanderError(2, 'cdc-worker.invalid', `${name} must be a positive integer, got ${value}`);
  return n;
};

/**
 * Runs the worker until SIGTERM/SIGINT and resolves the exit code: 0 after a clean drain, 2 when it
 * cannot start (bad flags or configuration, port in use).
 */
export async function runWorkerCli(argv: string[], options: WorkerCliOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const program = new Command('cdc-worker')
    .description(
      'Runs every configured pipeline with its always-on verification and the scheduled reconciliation; serves /healthz, /readyz, /metrics, /api/v1/status and the web console at / (127.0.0.1 unless metrics.host)',
    )
    .option('-c, --config <file>', 'configuration file (default: $CDC_CONFIG or cdc.yaml)')
    .option(
      '--metrics-port <port>',
      'port of /metrics /healthz /readyz, the API and the console (default: metrics.port, else 9464)',
      positiveInt('--metrics-port'),
    )
    .option(
      '--reconcile-concurrency <n>',
      'tables reconciled at once',
      positiveInt('--reconcile-concurrency'),
      2,
    )
    .option(
      '--reconcile-rows-per-second <n>',
      'source rows read per second by reconciliation',
      positiveInt('--reconcile-rows-per-second'),
    )
    .option('--log-level <level>', 'trace, debug, info, warn, error', env.CDC_LOG_LEVEL ?? 'info')
    .option(
      '--plugin <specifier>',
      'load a connector plugin module (a path or a package name); repeatable (also CDC_PLUGINS, comma-separated, and plugins: in the configuration)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let opts: {
    config?: string;
    metricsPort?: number;
    reconcileConcurrency: number;
    reconcileRowsPerSecond?: number;
    logLevel: string;
    plugin?: string[];
  };
  try {
    program.parse(argv, { from: 'user' });
    opts = program.opts();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const secrets = new SecretRedactor();
  const logger =
    options.logger ?? createLogger({ level: opts.logLevel, secrets, bindings: { component: 'worker' } });
  let worker: Worker;
  try {
    const path = opts.config ?? env.CDC_CONFIG ?? 'cdc.yaml';
    // Plugins load before any URL is parsed: the environment's and the command line's (relative to the
    // working directory), then the configuration's (relative to the file).
    const connectors = await createConnectorRegistry({
      plugins: [...parsePluginList(env.CDC_PLUGINS), ...(opts.plugin ?? [])],
    });
    const { config, secrets: values } = await loadWorkerConfig(path, env);
    for (const v of values) secrets.add(v);
    if (config.plugins?.length) {
      await connectors.loadPlugins(config.plugins, { baseDir: dirname(resolve(path)) });
    }
    worker = await startWorker({
      config,
      connectors,
      logger,
      secrets,
      ...(opts.metricsPort ? { metricsPort: opts.metricsPort } : {}),
      reconcileConcurrency: opts.reconcileConcurrency,
      ...(opts.reconcileRowsPerSecond ? { reconcileRowsPerSecond: opts.reconcileRowsPerSecond } : {}),
    });
  } catch (error) {
    logger.fatal({ error: describeError(error) }, 'worker cannot start');
    return 2;
  }
  const signals = options.signals ?? process;
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'stop requested');
    void worker.stop();
  };
  signals.once('SIGTERM', onSignal);
  signals.once('SIGINT', onSignal);
  options.onStarted?.(worker);
  await worker.done;
  signals.off('SIGTERM', onSignal);
  signals.off('SIGINT', onSignal);
  return 0;
}

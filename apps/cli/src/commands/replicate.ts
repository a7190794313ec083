/**
 * `cdc replicate`: runs the configured pipelines in this process (embedded mode) until SIGTERM/SIGINT,
 * or once until caught up; `--drop-slot` removes a pipeline's replication slot instead. Also the
 * helpers `cdc snapshot` and `cdc status` share: selecting pipelines and opening their replication.
 */
import {
  CdcError,
  describeError,
  embeddedPipelines,
  formatTableId,
  pipelineRunOptions,
  runPipeline,
  type CdcConfig,
  type PipelineConfig,
  type PipelineEvent,
  type PipelineResult,
} from '@cdc/core';
import type { Command } from 'commander';
import { action, type CliDeps, type CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import {
  noSlotMessage,
  openPipelineReplication,
  sourceConnectorOf,
  type PipelineReplication,
} from '../replication-sources.js';

export { urlWithPassword } from '../replication-sources.js';

/** Test hooks of the replication commands (default: the process's SIGTERM/SIGINT). */
export interface ReplicationCommandOptions {
  /** Aborting it stops replication gracefully, like SIGTERM. */
  stop?: AbortSignal;
}

/** The configuration path from `--config` or `$CDC_CONFIG`. */
export function configPath(ctx: CommandContext, given: string | undefined, command: string): string {
  const path = given ?? ctx.env.CDC_CONFIG;
  if (!path) {
    throw new CdcError('INVALID_ARGUMENT', `${command} needs a configuration file`, {
      hint: `${command} --config cdc.yaml`,
    });
  }
  return path;
}

/** The embedded pipelines to work on: all, or the one `--pipeline` names. */
export function selectPipelines(config: CdcConfig, name: string | undefined): PipelineConfig[] {
  const all = embeddedPipelines(config);
  if (name === undefined) {
    if (all.length === 0) {
      throw new CdcError('CONFIG_INVALID', 'the configuration has no embedded pipelines to replicate', {
        hint: 'add a pipeline under pipelines: (source, target, tables)',
      });
    }
    return all;
  }
  const found = all.find((p) => p.name === name);
  if (!found) {
    throw new CdcError('INVALID_ARGUMENT', `no embedded pipeline named "${name}"`, {
      hint: `use one of: ${all.map((p) => p.name).join(', ') || 'none'}`,
    });
  }
  return [found];
}

/** Opens a configured pipeline's source and sink (by their URL schemes) and tables. */
export async function openReplication(
  ctx: CommandContext,
  config: CdcConfig,
  pipeline: PipelineConfig,
): Promise<PipelineReplication> {
  return openPipelineReplication({
    pipeline,
    connectors: await ctx.connectors(),
    source: { name: pipeline.source, ...config.connections[pipeline.source]! },
    target: { name: pipeline.target, ...config.connections[pipeline.target]! },
    onWarning: (message) => ctx.out.warn(message),
  });
}

/** Renders engine events as progress lines on stderr. */
export function progressPrinter(ctx: CommandContext): (event: PipelineEvent) => void {
  let applied = 0;
  let lastReport = 0;
  return (event) => {
    switch (event.type) {
      case 'started':
        ctx.out.info(`${event.pipeline}: started (fencing epoch ${event.epoch})`);
        break;
      case 'snapshot-started':
        ctx.out.info(`${event.pipeline}: snapshot of ${formatTableId(event.table)} at ${event.position}`);
        break;
      case 'snapshot-done':
        ctx.out.info(`${event.pipeline}: snapshot of ${formatTableId(event.table)} done, ${event.rows} rows`);
        break;
      case 'applied':
        applied += event.events;
        if (Date.now() - lastReport >= 5_000) {
          lastReport = Date.now();
          const lag = event.lagMs !== undefined ? `, lag ${(event.lagMs / 1000).toFixed(1)} s` : '';
          ctx.out.info(`${event.pipeline}: ${applied} changes applied, at ${event.position}${lag}`);
        }
        if (event.deadLetters > 0) {
          ctx.out.warn(
            `${event.pipeline}: ${event.deadLetters} change(s) dead-lettered at ${event.position}`,
          );
        }
        break;
      case 'retry':
        ctx.out.warn(
          `${event.pipeline}: ${event.during} failed (${describeError(event.error)}); retry ${event.attempt} in ${event.delayMs} ms`,
        );
        break;
      case 'schema-evolved':
        ctx.out.info(
          `${event.pipeline}: ${formatTableId(event.table)} gained column(s) ${event.addedColumns.join(', ')}`,
        );
        break;
      case 'caught-up':
        ctx.out.info(`${event.pipeline}: caught up`);
        break;
      case 'stopped':
        ctx.out.info(`${event.pipeline}: stopped`);
        break;
      default:
        break;
    }
  };
}

/** An AbortSignal that fires on SIGTERM/SIGINT (or the injected one); `dispose` removes the handlers. */
export function stopSignal(options: ReplicationCommandOptions): { signal: AbortSignal; dispose(): void } {
  if (options.stop) return { signal: options.stop, dispose: () => undefined };
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}

function summary(r: PipelineResult): string {
  const snap = r.snapshots.length
    ? `${r.snapshots.length} table(s) snapshotted (${r.snapshots.reduce((n, s) => n + s.rows, 0)} rows), `
    : '';
  return (
    `${r.pipeline}: ${snap}${r.events} change(s) in ${r.batches} batch(es): ${r.upserts} upserts, ` +
    `${r.deletes} deletes, ${r.deadLetters} dead letters${r.stopped ? ' (stopped)' : ''}`
  );
}

interface ReplicateOptions {
  config?: string;
  pipeline?: string;
  once?: boolean;
  dropSlot?: boolean;
  format: 'text' | 'json';
}

async function replicate(ctx: CommandContext, opts: ReplicateOptions, hooks: ReplicationCommandOptions) {
  const config = await ctx.config(configPath(ctx, opts.config, 'cdc replicate'));
  const pipelines = selectPipelines(config, opts.pipeline);
  if (opts.dropSlot) {
    await dropSlots(ctx, config, pipelines);
    return;
  }
  const stop = stopSignal(hooks);
  const onEvent = progressPrinter(ctx);
  try {
    const results = await Promise.all(
      pipelines.map(async (pipeline) => {
        const r = await openReplication(ctx, config, pipeline);
        try {
          return await runPipeline({
            ...pipelineRunOptions(pipeline),
            source: r.source,
            sink: r.sink,
            once: opts.once === true,
            signal: stop.signal,
            onEvent,
            resnapshotCommand: (t) =>
              `cdc snapshot --config ${opts.config ?? '$CDC_CONFIG'} --pipeline ${pipeline.name} --table ${formatTableId(t)}`,
          });
        } finally {
          await r.close();
        }
      }),
    );
    if (opts.format === 'json') ctx.out.result(JSON.stringify(results, jsonSafe, 2));
    else ctx.out.result(results.map(summary).join('\n'));
  } finally {
    stop.dispose();
  }
}

/** `--drop-slot`: drops PostgreSQL sources' slots; other engines keep none, which is said, not hidden. */
async function dropSlots(ctx: CommandContext, config: CdcConfig, pipelines: PipelineConfig[]) {
  let postgres = 0;
  const connectors = await ctx.connectors();
  for (const pipeline of pipelines) {
    const connector = sourceConnectorOf(connectors, pipeline, {
      name: pipeline.source,
      url: config.connections[pipeline.source]!.url,
    });
    if (connector.name !== 'postgres') {
      ctx.out.warn(noSlotMessage(pipeline, connector));
      continue;
    }
    postgres++;
    const r = await openReplication(ctx, config, pipeline);
    try {
      if (!r.dropSlot)
        throw new CdcError('INTERNAL', `${pipeline.name}: the PostgreSQL source has no slot to drop`);
      const { slot, dropped } = await r.dropSlot();
      ctx.out.result(
        dropped
          ? `${pipeline.name}: dropped replication slot ${slot} and its publication`
          : `${pipeline.name}: no replication slot ${slot} (publication removed if present)`,
      );
    } finally {
      await r.close();
    }
  }
  if (postgres === 0) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `--drop-slot: no selected pipeline replicates from PostgreSQL (${pipelines.map((p) => p.name).join(', ')})`,
      {
        hint: 'replication slots exist only for postgres:// sources; SQL Server and ScyllaDB sources keep none',
      },
    );
  }
}

/** JSON.stringify replacer for bigint. */
export function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Registers `cdc replicate`. */
export function registerReplicateCommand(
  program: Command,
  deps: CliDeps,
  hooks: ReplicationCommandOptions = {},
): void {
  const command = program
    .command('replicate')
    .description(
      'Replicate the configured pipelines (PostgreSQL, SQL Server or ScyllaDB sources) into PostgreSQL: snapshot, then changes, until SIGTERM/SIGINT',
    )
    .option('-c, --config <file>', 'configuration file (default: $CDC_CONFIG)')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('--once', 'stop once caught up instead of running until stopped')
    .option(
      '--drop-slot',
      "drop the pipeline's replication slot and publication, then exit (PostgreSQL sources only)",
    )
    .option('--format <format>', 'output format: text or json', 'text')
    .action(
      action(deps, async (ctx, opts: ReplicateOptions) => {
        if (opts.format !== 'text' && opts.format !== 'json') {
          throw new CdcError('INVALID_ARGUMENT', `--format must be text or json, got ${opts.format}`);
        }
        await replicate(ctx, opts, hooks);
      }),
    );
  withExamples(command, [
    'cdc replicate --config cdc.yaml',
    'cdc replicate --config cdc.yaml --pipeline sales --once',
    'cdc replicate --config cdc.yaml --pipeline sales --drop-slot',
  ]);
}

/**
 * `cdc snapshot`: (re-)copies configured tables consistently into the target, recording where the
 * change stream must resume, so a later `cdc replicate` continues without loss. A re-snapshot replaces
 * the target table (the way out of a retention gap).
 */
import {
  CdcError,
  formatTableId,
  parseTableName,
  pipelineRunOptions,
  pipelineTables,
  runPipeline,
  type TableId,
} from '@cdc/core';
import type { Command } from 'commander';
import { action, type CliDeps, type CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { sourceConnectorOf } from '../replication-sources.js';
import {
  configPath,
  jsonSafe,
  openReplication,
  progressPrinter,
  selectPipelines,
  stopSignal,
  type ReplicationCommandOptions,
} from './replicate.js';

interface SnapshotOptions {
  config?: string;
  pipeline?: string;
  table?: string;
  format: 'text' | 'json';
}

/** `--table` matches a configured table; a configured name without schema is in the engine's default one. */
const sameTable = (a: TableId, b: TableId, defaultSchema: string | undefined) =>
  a.name === b.name && (b.schema === undefined || (a.schema ?? defaultSchema) === b.schema);

async function snapshot(ctx: CommandContext, opts: SnapshotOptions, hooks: ReplicationCommandOptions) {
  const config = await ctx.config(configPath(ctx, opts.config, 'cdc snapshot'));
  const wanted = opts.table !== undefined ? parseTableName(opts.table) : undefined;
  const stop = stopSignal(hooks);
  const onEvent = progressPrinter(ctx);
  const results = [];
  let matched = 0;
  try {
    for (const pipeline of selectPipelines(config, opts.pipeline)) {
      const source = config.connections[pipeline.source]!;
      const connectors = await ctx.connectors();
      const defaultSchema = sourceConnectorOf(connectors, pipeline, {
        name: pipeline.source,
        url: source.url,
      }).defaultSchema?.(source.url);
      const configured = pipelineTables(pipeline);
      const tables = wanted
        ? configured.filter((t) => sameTable(t.table, wanted, defaultSchema))
        : configured;
      if (tables.length === 0) continue;
      const r = await openReplication(ctx, config, pipeline);
      try {
        matched += tables.length;
        results.push(
          await runPipeline({
            ...pipelineRunOptions(pipeline),
            source: r.source,
            sink: r.sink,
            tables,
            mode: 'snapshot',
            resnapshot: tables.map((t) => t.table),
            signal: stop.signal,
            onEvent,
          }),
        );
      } finally {
        await r.close();
      }
    }
  } finally {
    stop.dispose();
  }
  if (wanted && matched === 0) {
    throw new CdcError('TABLE_NOT_FOUND', `no configured pipeline replicates ${formatTableId(wanted)}`, {
      hint: 'name a source table listed under pipelines[].tables',
    });
  }
  if (opts.format === 'json') {
    ctx.out.result(JSON.stringify(results, jsonSafe, 2));
    return;
  }
  for (const r of results) {
    for (const s of r.snapshots) ctx.out.result(`${r.pipeline}: ${formatTableId(s.table)}: ${s.rows} rows`);
    if (r.stopped) ctx.out.result(`${r.pipeline}: stopped before the snapshot finished; run it again`);
  }
}

/** Registers `cdc snapshot`. */
export function registerSnapshotCommand(
  program: Command,
  deps: CliDeps,
  hooks: ReplicationCommandOptions = {},
): void {
  const command = program
    .command('snapshot')
    .description('Copy configured tables consistently into the target (again), keeping replication positions')
    .option('-c, --config <file>', 'configuration file (default: $CDC_CONFIG)')
    .option('-p, --pipeline <name>', 'only this pipeline')
    .option('-t, --table <table>', 'only this source table (schema.table)')
    .option('--format <format>', 'output format: text or json', 'text')
    .action(action(deps, (ctx, opts: SnapshotOptions) => snapshot(ctx, opts, hooks)));
  withExamples(command, [
    'cdc snapshot --config cdc.yaml',
    'cdc snapshot --config cdc.yaml --table public.orders',
  ]);
}

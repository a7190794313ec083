/**
 * `cdc reconcile run` compares every configured table (in parallel) and stores the outcome in the
 * target's `cdc_meta`; `cdc reconcile report` renders that history (text, json, markdown, or one
 * self-contained HTML file with the drift chart).
 */
import { writeFile } from 'node:fs/promises';
import {
  renderHtmlReport,
  renderRunMarkdown,
  renderRunText,
  type ReportRun,
  type ReportTable,
} from '@cdc/console';
import { CdcError, embeddedPipelines, type CdcConfig, type DiffResult } from '@cdc/core';
import { Option, type Command } from 'commander';
import { classifyError, ExitCode } from '../cli-error.js';
import { matchesTable, tableEntries } from '../config-tables.js';
import { configuredPair, requireConfigPath, withResultStore } from '../configured.js';
import { action, type CliDeps, type CommandContext } from '../context.js';
import { comparePair, openPair, type PairSpec } from '../diff-session.js';
import { withExamples } from '../help.js';
import { recordFailure, recordResult, toReportRun } from '../result-store.js';

/** Every configured pair to reconcile (reconcile.tables, else every table), grouped by target connection. */
export function reconcilePairs(config: CdcConfig, only?: string[]): Map<string, PairSpec[]> {
  const wanted = only ?? config.reconcile?.tables;
  const groups = new Map<string, PairSpec[]>();
  for (const pipeline of embeddedPipelines(config)) {
    for (const entry of tableEntries(pipeline)) {
      if (wanted && !wanted.some((w) => matchesTable(entry, w))) continue;
      const list = groups.get(pipeline.target) ?? [];
      list.push(configuredPair(config, pipeline, entry));
      groups.set(pipeline.target, list);
    }
  }
  if (groups.size === 0) {
    throw new CdcError('CONFIG_INVALID', 'no tables to reconcile', {
      hint: wanted
        ? `none of ${wanted.join(', ')} is a pipeline table`
        : 'add pipelines with tables to the configuration',
    });
  }
  return groups;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

interface RunOptions {
  config?: string;
  table?: string[];
  parallel: string;
  format: 'text' | 'json' | 'markdown';
}

async function runReconcile(ctx: CommandContext, opts: RunOptions): Promise<number> {
  const path = requireConfigPath(
    ctx,
    opts.config,
    'reconcile needs a configuration file',
    'cdc reconcile run --config cdc.yaml',
  );
  const config = await ctx.config(path);
  const parallel = Number(opts.parallel);
  if (!Number.isInteger(parallel) || parallel < 1 || parallel > 32) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `--parallel must be an integer from 1 to 32, got ${opts.parallel}`,
    );
  }
  const settings = config.reconcile ?? {};
  let exit: number = ExitCode.inSync;
  const reports: ReportRun[] = [];
  for (const [targetName, pairs] of reconcilePairs(config, opts.table)) {
    await withResultStore(ctx, config, targetName, async (store, targetConn) => {
      const startedAt = new Date();
      const runId = await store.startRun({
        kind: 'reconcile',
        target: targetConn.display,
        options: { ...settings, tables: pairs.map((p) => p.name) },
      });
      ctx.out.info(
        `reconcile run ${runId}: ${pairs.length} table(s) into ${targetName}, ${parallel} at a time`,
      );
      const outcomes = await mapLimit(pairs, parallel, async (spec): Promise<ReportTable> => {
        const started = Date.now();
        try {
          const pair = await openPair(ctx, spec);
          let result: DiffResult;
          try {
            result = await comparePair(pair, {
              algorithm: settings.algorithm ?? 'auto',
              maxDiffs: settings.maxDiffs ?? 1000,
              ...(settings.threads !== undefined ? { threads: settings.threads } : {}),
              ...(settings.floatTolerance !== undefined ? { floatTolerance: settings.floatTolerance } : {}),
              ...(settings.timestampPrecision !== undefined
                ? { timestampPrecision: settings.timestampPrecision }
                : {}),
            });
          } finally {
            await pair.close();
          }
          await recordResult(store, runId, result, Date.now() - started);
          ctx.out.info(
            `  ${spec.name}: ${result.status === 'in_sync' ? 'in sync' : `${result.summary.missing} missing, ${result.summary.extra} extra, ${result.summary.mismatched} mismatched`}`,
          );
          return {
            table: spec.name,
            status: result.status,
            sourceCount: Number(result.counts.source),
            targetCount: Number(result.counts.target),
            ...result.summary,
            durationMs: Date.now() - started,
          };
        } catch (error) {
          const e = classifyError(error, spec.name);
          const line = ctx.redactor.redact(`${e.message}${e.hint ? ` — ${e.hint}` : ''}`);
          await recordFailure(
            store,
            runId,
            JSON.stringify(spec.source.table),
            JSON.stringify(spec.target.table),
            line,
          );
          ctx.out.error(`${spec.name}: ${line}`);
          return { table: spec.name, status: 'error', missing: 0, extra: 0, mismatched: 0, error: line };
        }
      });
      const failed = outcomes.some((o) => o.status === 'error');
      const differs = outcomes.some((o) => o.status === 'differences');
      const status = failed ? 'failed' : differs ? 'differences' : 'in-sync';
      const totals = outcomes.reduce(
        (t, o) => ({
          missing: t.missing + o.missing,
          extra: t.extra + o.extra,
          mismatched: t.mismatched + o.mismatched,
        }),
        { missing: 0, extra: 0, mismatched: 0 },
      );
      await store.finishRun(runId, { status, summary: { ...totals, tables: outcomes } });
      reports.push({ id: runId, startedAt, status, tables: outcomes });
      if (failed) exit = ExitCode.error;
      else if (differs && exit === ExitCode.inSync) exit = ExitCode.differences;
    });
  }
  if (opts.format === 'json')
    ctx.out.result(JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2));
  else
    ctx.out.result(
      reports.map((r) => (opts.format === 'markdown' ? renderRunMarkdown(r) : renderRunText(r))).join('\n\n'),
    );
  return exit;
}

interface ReportOptions {
  config?: string;
  connection?: string;
  run?: string;
  limit: string;
  format: 'text' | 'json' | 'markdown' | 'html';
  output?: string;
}

/** Which connection holds the history: `--connection`, else the single pipeline target. */
export function historyConnection(config: CdcConfig, name?: string): string {
  if (name) {
    if (!config.connections[name]) {
      throw new CdcError('INVALID_ARGUMENT', `--connection ${name} is not defined`, {
        hint: `connections: ${Object.keys(config.connections).join(', ')}`,
      });
    }
    return name;
  }
  const targets = [...new Set(embeddedPipelines(config).map((p) => p.target))];
  if (targets.length !== 1) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      targets.length === 0
        ? 'no pipeline target holds reconciliation history'
        : `pipelines write to ${targets.length} targets (${targets.join(', ')})`,
      {
        hint: 'choose one with --connection <name>',
      },
    );
  }
  return targets[0]!;
}

async function runReport(ctx: CommandContext, opts: ReportOptions): Promise<number> {
  const path = requireConfigPath(
    ctx,
    opts.config,
    'reconcile report needs a configuration file',
    'cdc reconcile report --config cdc.yaml',
  );
  const config = await ctx.config(path);
  const name = historyConnection(config, opts.connection);
  return withResultStore(ctx, config, name, async (store, conn) => {
    const limit = Number(opts.limit) || 30;
    // Differences found by the worker's always-on verification are runs too (kind `verify`).
    const runs = await store.listRuns({ limit, kind: ['reconcile', 'verify'] });
    const selectedId = opts.run ?? runs[0]?.id;
    if (!selectedId)
      throw new CdcError('INVALID_ARGUMENT', `no reconciliation runs stored in ${conn.display}`, {
        hint: 'run cdc reconcile run first',
      });
    const detail = await store.getRun(selectedId);
    if (!detail)
      throw new CdcError('INVALID_ARGUMENT', `run ${selectedId} not found in ${conn.display}`, {
        hint: `recent runs: ${runs
          .slice(0, 5)
          .map((r) => r.id)
          .join(', ')}`,
      });
    // Table names, counts and statuses are shown as stored; only stored error texts (which may echo
    // a driver's connection string, or were written by an older version) are masked.
    const report = (run: Parameters<typeof toReportRun>[0]): ReportRun => {
      const r = toReportRun(run);
      return {
        ...r,
        tables: r.tables.map((t) => (t.error ? { ...t, error: ctx.redactor.redact(t.error) } : t)),
      };
    };
    const selected = report(detail);
    let text: string;
    if (opts.format === 'html')
      text = renderHtmlReport(
        runs.map((r) => report(r)),
        selected,
      );
    else if (opts.format === 'markdown') text = renderRunMarkdown(selected);
    else if (opts.format === 'json')
      text = JSON.stringify({ run: selected, history: runs.map((r) => report(r)) }, null, 2);
    else text = renderRunText(selected);
    if (opts.output) {
      await writeFile(opts.output, text, 'utf8');
      ctx.out.info(`report written to ${opts.output}`);
    } else {
      ctx.out.result(text);
    }
    return ExitCode.inSync;
  });
}

/** Registers `cdc reconcile run|report`. */
export function registerReconcileCommand(program: Command, deps: CliDeps): void {
  const reconcile = program
    .command('reconcile')
    .description('Reconcile every configured table and keep the history in cdc_meta');
  withExamples(reconcile, [
    'cdc reconcile run --config cdc.yaml',
    'cdc reconcile report --config cdc.yaml --format html -o report.html',
  ]);

  const run = reconcile
    .command('run')
    .description('Compare every configured table (reconcile.tables, default all) and store the results')
    .option('-c, --config <file>', 'configuration file (default $CDC_CONFIG)')
    .option('-t, --table <name...>', 'only these tables')
    .option('--parallel <n>', 'tables compared at the same time', '2')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'),
    )
    .action(action(deps, async (ctx, opts: RunOptions) => runReconcile(ctx, opts)));
  withExamples(run, [
    'cdc reconcile run --config cdc.yaml',
    'cdc reconcile run --config cdc.yaml --table dbo.orders --format json',
  ]);

  const report = reconcile
    .command('report')
    .description(
      'Show a stored run (default: the latest; reconciliation or always-on verification) and the drift over past runs',
    )
    .option('-c, --config <file>', 'configuration file (default $CDC_CONFIG)')
    .option('--connection <name>', "connection holding cdc_meta (default: the pipelines' target)")
    .option('--run <id>', 'run id (default: the latest)')
    .option('--limit <n>', 'past runs in the drift chart', '30')
    .addOption(
      new Option('--format <format>', 'output format')
        .choices(['text', 'json', 'markdown', 'html'])
        .default('text'),
    )
    .option('-o, --output <file>', 'write to a file')
    .action(action(deps, async (ctx, opts: ReportOptions) => runReport(ctx, opts)));
  withExamples(report, [
    'cdc reconcile report --config cdc.yaml',
    'cdc reconcile report --config cdc.yaml --run 42 --format markdown',
    'cdc reconcile report --config cdc.yaml --format html --output drift.html',
  ]);
}

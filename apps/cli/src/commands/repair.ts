/**
 * `cdc repair --run <id> --table <t> (--sql <file> | --apply)`: turn the differences a reconciliation
 * run stored into a guarded repair — a reviewed script, or applied in batches — and record it.
 */
import { readFile } from 'node:fs/promises';
import { CdcError, parseTableName, type TableId } from '@cdc/core';
import type { Command } from 'commander';
import { ExitCode } from '../cli-error.js';
import { action, type CliDeps, type CommandContext } from '../context.js';
import { applyRepair, openPair, repairPlanOf, writeRepairSql } from '../diff-session.js';
import { pairFromConfig } from './diff.js';
import { withExamples } from '../help.js';
import { historyConnection } from './reconcile.js';
import { requireConfigPath, withResultStore } from '../configured.js';
import { storedResult } from '../result-store.js';

interface RepairOptions {
  config?: string;
  connection?: string;
  run: string;
  table: string;
  sql?: string;
  apply?: boolean;
  yes?: boolean;
}

function sameTable(stored: string, wanted: TableId): boolean {
  try {
    const id = JSON.parse(stored) as TableId;
    return id.name === wanted.name && (wanted.schema === undefined || id.schema === wanted.schema);
  } catch {
    return false;
  }
}

async function runRepair(ctx: CommandContext, opts: RepairOptions): Promise<number> {
  if (!opts.sql === !opts.apply) {
    throw new CdcError('INVALID_ARGUMENT', 'choose one of --sql <file> or --apply', {
      hint: 'cdc repair --run 42 --table dbo.orders --sql repair.sql (review, then psql -f repair.sql)',
    });
  }
  const path = requireConfigPath(
    ctx,
    opts.config,
    'repair needs the configuration file',
    'cdc repair --config cdc.yaml --run <id> --table <t> --sql repair.sql',
  );
  const config = await ctx.config(path);
  const wanted = parseTableName(opts.table);
  const spec = pairFromConfig(config, opts.table);
  const name = historyConnection(config, opts.connection ?? spec.target.label);
  return withResultStore(ctx, config, name, async (store, storeConn) => {
    const run = await store.getRun(opts.run);
    if (!run)
      throw new CdcError('INVALID_ARGUMENT', `run ${opts.run} not found in ${storeConn.display}`, {
        hint: 'list runs with cdc reconcile report --format json',
      });
    const result = storedResult(run, opts.table, (stored) => sameTable(stored, wanted));
    if (result.differences.length === 0) {
      ctx.out.result(`run ${opts.run}: ${opts.table} was in sync; nothing to repair`);
      return ExitCode.inSync;
    }
    const pair = await openPair(ctx, spec);
    try {
      const plan = repairPlanOf(pair, result);
      if (opts.sql) {
        await writeRepairSql(pair, plan, opts.sql);
        const script = await readFile(opts.sql, 'utf8');
        await store.recordRepair({
          runId: opts.run,
          targetTable: JSON.stringify(result.target),
          mode: 'script',
          statements: result.differences.length,
          rowsChanged: 0,
          guardsFailed: 0,
          script,
        });
        ctx.out.result(
          `guarded repair script for ${result.differences.length} difference(s) written to ${opts.sql}`,
        );
        return ExitCode.differences;
      }
      if (!opts.yes) {
        if (!ctx.deps.stdinIsTTY)
          throw new CdcError('INVALID_ARGUMENT', '--apply needs confirmation but stdin is not a terminal', {
            hint: 'add --yes',
          });
        const answer = await ctx.deps.prompt(
          `Apply ${result.differences.length} guarded change(s) to ${pair.target.display}? [y/N] `,
        );
        if (!/^y(es)?$/i.test(answer.trim())) {
          ctx.out.info('repair not applied');
          return ExitCode.differences;
        }
      }
      const applied = await applyRepair(pair, plan);
      await store.recordRepair({
        runId: opts.run,
        targetTable: JSON.stringify(result.target),
        mode: 'apply',
        statements: result.differences.length,
        rowsChanged: applied.rowsChanged,
        guardsFailed: applied.guardsFailed.length,
      });
      ctx.out.result(
        `repair applied: ${applied.rowsChanged} row(s) changed, ${applied.guardsFailed.length} skipped because the target changed since the run`,
      );
      return applied.guardsFailed.length > 0 ? ExitCode.differences : ExitCode.inSync;
    } finally {
      await pair.close();
    }
  });
}

/** Registers `cdc repair`. */
export function registerRepairCommand(program: Command, deps: CliDeps): void {
  const repair = program
    .command('repair')
    .description('Repair the differences a reconcile run found: a guarded SQL script, or applied in batches')
    .requiredOption('--run <id>', 'reconcile run id (see cdc reconcile report)')
    .requiredOption('-t, --table <name>', 'configured table to repair')
    .option('-c, --config <file>', 'configuration file (default $CDC_CONFIG)')
    .option('--connection <name>', "connection holding cdc_meta (default: the table's target)")
    .option('--sql <file>', 'write the guarded repair script (one transaction) for review')
    .option('--apply', 'apply the guarded repair now (asks first on a terminal)')
    .option('-y, --yes', 'do not ask before --apply')
    .action(action(deps, async (ctx, opts: RepairOptions) => runRepair(ctx, opts)));
  withExamples(repair, [
    'cdc repair --config cdc.yaml --run 42 --table dbo.orders --sql repair.sql && psql "$TARGET_URL" -f repair.sql',
    'cdc repair --config cdc.yaml --run 42 --table dbo.orders --apply --yes',
  ]);
}

/**
 * `cdc diff`: compare one table pair, ad hoc (`<source-url> <source-table> <target-url> <target-table>`)
 * or from the configuration (`--config cdc.yaml --table dbo.orders`); print text, markdown or one JSON
 * document; optionally write or apply the guarded repair. Exit 0 in sync, 1 differences, 2 error.
 */
import { writeFile } from 'node:fs/promises';
import {
  CdcError,
  embeddedPipelines,
  parseTableName,
  renderDiffJson,
  renderDiffMarkdown,
  renderDiffText,
  type CdcConfig,
  type DiffResult,
} from '@cdc/core';
import { Option, type Command } from 'commander';
import { ExitCode } from '../cli-error.js';
import type { Colors } from '../output.js';
import { matchesTable, tableEntries } from '../config-tables.js';
import { configuredPair } from '../configured.js';
import { action, type CliDeps, type CommandContext } from '../context.js';
import {
  applyRepair,
  comparePair,
  openPair,
  repairPlanOf,
  withInterrupt,
  writeRepairSql,
  type PairSpec,
} from '../diff-session.js';
import { parseDuration } from '../duration.js';
import { withExamples } from '../help.js';
import { createProgress } from '../progress.js';

/** Options of `cdc diff`. */
export interface DiffCommandOptions {
  config?: string;
  table?: string;
  sourcePassword?: string;
  targetPassword?: string;
  algorithm: 'auto' | 'hash' | 'stream' | 'count';
  hashing: 'auto' | 'canonical' | 'client';
  key?: string;
  columns?: string;
  excludeColumns?: string;
  jsonColumns?: string;
  floatTolerance?: string;
  timestampPrecision?: string;
  threads?: string;
  workers?: string;
  maxDiffs: string;
  format: 'text' | 'json' | 'markdown';
  output?: string;
  repairSql?: string;
  apply?: boolean;
  yes?: boolean;
  recheckAfter?: string;
  progress: boolean;
}

const list = (s: string | undefined) =>
  s === undefined
    ? undefined
    : s
        .split(',')
        .map((c) => c.trim())
        .filter((c) => c.length > 0);

function intOption(
  value: string | undefined,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) {
    throw new CdcError('INVALID_ARGUMENT', `${name} must be a number ≥ 0, got ${JSON.stringify(value)}`);
  }
  return n;
}

/** The pair named by `--table` in a configuration. */
export function pairFromConfig(config: CdcConfig, table: string): PairSpec {
  const candidates: PairSpec[] = [];
  const known: string[] = [];
  for (const pipeline of embeddedPipelines(config)) {
    for (const entry of tableEntries(pipeline)) {
      known.push(entry.name);
      if (matchesTable(entry, table)) candidates.push(configuredPair(config, pipeline, entry));
    }
  }
  if (candidates.length === 0) {
    throw new CdcError('TABLE_NOT_FOUND', `table ${table} is not in any pipeline of the configuration`, {
      hint: known.length ? `configured tables: ${known.join(', ')}` : "add it to a pipeline's tables",
    });
  }
  if (candidates.length > 1) {
    throw new CdcError('INVALID_ARGUMENT', `table ${table} appears in ${candidates.length} pipelines`, {
      hint: 'name it with its schema (schema.table) so it is unique',
    });
  }
  return candidates[0]!;
}

/** Builds the pair from positional arguments or the configuration. */
async function resolvePair(ctx: CommandContext, args: string[], opts: DiffCommandOptions): Promise<PairSpec> {
  const configPath = opts.config ?? (args.length === 0 ? ctx.env.CDC_CONFIG : undefined);
  if (configPath) {
    if (args.length > 0) {
      throw new CdcError(
        'INVALID_ARGUMENT',
        'give either four arguments or --config with --table, not both',
        {
          hint: 'cdc diff --config cdc.yaml --table dbo.orders',
        },
      );
    }
    if (!opts.table) {
      throw new CdcError('INVALID_ARGUMENT', '--config needs --table <name>', {
        hint: 'cdc diff --config cdc.yaml --table dbo.orders',
      });
    }
    return pairFromConfig(await ctx.config(configPath), opts.table);
  }
  if (args.length !== 4) {
    throw new CdcError(
      'INVALID_ARGUMENT',
      `cdc diff needs 4 arguments (source URL, source table, target URL, target table), got ${args.length}`,
      {
        hint: 'cdc diff postgres://app@db1/shop public.orders postgres://app@db2/shop public.orders, or --config cdc.yaml --table public.orders',
      },
    );
  }
  const [sourceUrl, sourceTable, targetUrl, targetTable] = args as [string, string, string, string];
  return {
    name: sourceTable,
    source: {
      role: 'source',
      label: 'source',
      url: sourceUrl,
      password: opts.sourcePassword,
      table: parseTableName(sourceTable),
    },
    target: {
      role: 'target',
      label: 'target',
      url: targetUrl,
      password: opts.targetPassword,
      table: parseTableName(targetTable),
    },
  };
}

/** Renders a result in the requested format. */
export function renderResult(
  result: DiffResult,
  format: DiffCommandOptions['format'],
  colors?: Colors,
): string {
  if (format === 'json') return renderDiffJson(result);
  if (format === 'markdown') return renderDiffMarkdown(result);
  const text = renderDiffText(result);
  if (!colors) return text;
  // Only the verdict on the first line is colored, so the text stays greppable.
  const [first = '', ...rest] = text.split('\n');
  const verdict = first
    .replace(/: DIFFERENCES \(/, `: ${colors.red(colors.bold('DIFFERENCES'))} (`)
    .replace(/: in sync \(/, `: ${colors.green('in sync')} (`);
  return [verdict, ...rest].join('\n');
}

async function confirm(ctx: CommandContext, question: string, yes: boolean | undefined): Promise<boolean> {
  if (yes) return true;
  if (!ctx.deps.stdinIsTTY) {
    throw new CdcError('INVALID_ARGUMENT', '--apply needs confirmation but stdin is not a terminal', {
      hint: 'add --yes to apply without asking (scripts, CI)',
    });
  }
  const answer = await ctx.deps.prompt(`${question} [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}

/** Runs `cdc diff`. */
export async function runDiff(
  ctx: CommandContext,
  args: string[],
  opts: DiffCommandOptions,
): Promise<number> {
  const maxDiffs = intOption(opts.maxDiffs, '--max-diffs', 1)!;
  const threads = intOption(opts.threads, '--threads', 1, 64);
  const workers = intOption(opts.workers, '--workers', 0, 64);
  const timestampPrecision = intOption(opts.timestampPrecision, '--timestamp-precision', 0, 9);
  const floatTolerance = numberOption(opts.floatTolerance, '--float-tolerance');
  const recheckAfterMs =
    opts.recheckAfter === undefined ? undefined : parseDuration(opts.recheckAfter, '--recheck-after');
  if (opts.apply && opts.algorithm === 'count') {
    throw new CdcError(
      'INVALID_ARGUMENT',
      '--apply needs row-level differences; --algorithm count has none',
      { hint: 'use --algorithm auto' },
    );
  }
  const spec = await resolvePair(ctx, args, opts);
  for (const [flag, value] of [
    ['--key', opts.key],
    ['--columns', opts.columns],
    ['--exclude-columns', opts.excludeColumns],
    ['--json-columns', opts.jsonColumns],
  ] as const) {
    if (value !== undefined && list(value)!.length === 0)
      throw new CdcError('INVALID_ARGUMENT', `${flag} is empty`, { hint: `${flag} a,b,c` });
  }
  if (opts.key) spec.key = list(opts.key);
  if (opts.columns) spec.columns = list(opts.columns);
  if (opts.excludeColumns) spec.excludeColumns = list(opts.excludeColumns);
  if (opts.jsonColumns) spec.jsonColumns = list(opts.jsonColumns);

  const pair = await openPair(ctx, spec);
  try {
    const progress = createProgress(
      ctx.deps.stderr,
      opts.progress && opts.format !== 'json' && !ctx.out.quiet,
    );
    ctx.out.debug(`comparing ${spec.name} with --algorithm ${opts.algorithm}`);
    const result = await withInterrupt((signal) =>
      comparePair(pair, {
        signal,
        algorithm: opts.algorithm,
        hashing: opts.hashing,
        maxDiffs,
        progress,
        ...(threads !== undefined ? { threads } : {}),
        ...(workers !== undefined ? { workers } : {}),
        ...(timestampPrecision !== undefined ? { timestampPrecision } : {}),
        ...(floatTolerance !== undefined ? { floatTolerance } : {}),
        ...(recheckAfterMs !== undefined ? { recheckAfterMs } : {}),
      }),
    );
    const rendered = renderResult(result, opts.format, opts.output ? undefined : ctx.out.stdoutColors);
    if (opts.output) {
      await writeFile(opts.output, rendered.endsWith('\n') ? rendered : `${rendered}\n`, 'utf8');
      ctx.out.info(`result written to ${opts.output}`);
    } else {
      ctx.out.result(rendered);
    }
    const inSync = result.status === 'in_sync';
    if (!inSync && (opts.repairSql || opts.apply)) {
      const plan = repairPlanOf(pair, result);
      if (opts.repairSql) {
        await writeRepairSql(pair, plan, opts.repairSql);
        ctx.out.info(
          `guarded repair script written to ${opts.repairSql} (review it, then run it with psql -f)`,
        );
      }
      if (opts.apply) {
        const summary = `${result.summary.missing} insert(s), ${result.summary.extra} delete(s), ${result.summary.mismatched} update(s)`;
        if (
          await confirm(
            ctx,
            `Apply ${summary} to ${pair.target.display} ${spec.target.table.name}?`,
            opts.yes,
          )
        ) {
          const applied = await applyRepair(pair, plan);
          ctx.out.info(
            `repair applied: ${applied.inserted} inserted, ${applied.updated} updated, ${applied.deleted} deleted` +
              (applied.guardsFailed.length > 0
                ? `; ${applied.guardsFailed.length} skipped because the target row changed since the diff`
                : ''),
          );
        } else {
          ctx.out.info('repair not applied');
        }
      }
    }
    return inSync ? ExitCode.inSync : ExitCode.differences;
  } finally {
    await pair.close();
  }
}

/** Registers `cdc diff`. */
export function registerDiffCommand(program: Command, deps: CliDeps): void {
  const diff = program
    .command('diff')
    .description('Compare a source table with its target copy and list every difference')
    .argument('[source-url]', 'source connection URL (postgres://, mssql://, scylla://)')
    .argument('[source-table]', 'source table, e.g. dbo.Orders or \'"Sales-EU"."Order Items"\'')
    .argument('[target-url]', 'target connection URL')
    .argument('[target-table]', 'target table')
    .option('-c, --config <file>', 'configuration file (with --table)')
    .option('-t, --table <name>', 'configured table to compare (source or target name)')
    .option('--source-password <ref>', 'source password reference: env:NAME or file:/path')
    .option('--target-password <ref>', 'target password reference: env:NAME or file:/path')
    .addOption(
      new Option('--algorithm <name>', 'comparison strategy')
        .choices(['auto', 'hash', 'stream', 'count'])
        .default('auto'),
    )
    .addOption(
      new Option(
        '--hashing <mode>',
        'auto: same-engine native hash where provably equivalent; canonical: cross-engine MD5 in each database; client: hash in cdc',
      )
        .choices(['auto', 'canonical', 'client'])
        .default('auto'),
    )
    .option('--key <columns>', 'key columns, comma-separated (default: the primary key)')
    .option('--columns <columns>', 'compare only these columns (comma-separated)')
    .option('--exclude-columns <columns>', 'never compare these columns (comma-separated)')
    .option(
      '--json-columns <columns>',
      'columns holding JSON in a text type (e.g. nvarchar): compared as JSON documents (comma-separated)',
    )
    .option('--float-tolerance <n>', 'floats/numerics equal when |a − b| ≤ n')
    .option('--timestamp-precision <digits>', 'compare instants at this many fractional-second digits (0–9)')
    .option('--threads <n>', 'parallel segments per side')
    .option(
      '--workers <n>',
      'threads that scan and hash client-hashed sides (default: one per core from 100,000 rows; 0: none)',
    )
    .option('--max-diffs <n>', 'stop after this many differences', '1000')
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'),
    )
    .option('-o, --output <file>', 'write the result to a file instead of stdout')
    .option('--repair-sql <file>', 'write a guarded repair script (one transaction) for the target')
    .option('--apply', 'apply the guarded repair to the target (asks first on a terminal)')
    .option('-y, --yes', 'do not ask before --apply')
    .option(
      '--recheck-after <duration>',
      'live mode: re-check differences after this delay (e.g. 30s) and report only persistent ones',
    )
    .option('--no-progress', 'no progress bar')
    .action(
      action(deps, async (ctx, ...rest: unknown[]) => {
        const opts = rest[4] as DiffCommandOptions;
        const args = rest.slice(0, 4).filter((a): a is string => typeof a === 'string');
        return runDiff(ctx, args, opts);
      }),
    );
  withExamples(diff, [
    'cdc diff postgres://app@db1/shop public.orders postgres://app@db2/shop public.orders',
    'PGPASSWORD=… cdc diff postgres://app@db1/shop orders postgres://app@db2/shop orders --format json',
    'cdc diff mssql://cdc@sql1/Sales \'"Sales-EU"."Order Items"\' postgres://cdc@pg/dw sales.order_items --source-password env:MSSQL_PASSWORD',
    'cdc diff --config cdc.yaml --table dbo.orders --repair-sql repair.sql',
    'cdc diff --config cdc.yaml --table dbo.orders --apply --yes --recheck-after 30s',
  ]);
}

/**
 * `cdc demo`: a minute with cdc, offline. Starts an embedded PostgreSQL, creates a source and a target
 * database with customers and orders, plants drift in the target, shows the diff, writes and applies
 * the guarded repair, shows both tables in sync, and cleans everything up.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTableName, redactUrl, renderDiffText } from '@cdc/core';
import type { Command } from 'commander';
import pg from 'pg';
import pc from 'picocolors';
import { ExitCode } from '../cli-error.js';
import { action, type CliDeps, type CommandContext } from '../context.js';
import { DEMO_DRIFT_SQL, DEMO_SCHEMA_SQL, DEMO_TABLES } from '../demo-data.js';
import {
  applyRepair,
  comparePair,
  openPair,
  repairPlanOf,
  writeRepairSql,
  type OpenPair,
} from '../diff-session.js';
import { withExamples } from '../help.js';

function databaseUrl(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function run(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function openDemoPair(
  ctx: CommandContext,
  sourceUrl: string,
  targetUrl: string,
  table: string,
): Promise<OpenPair> {
  const id = parseTableName(table);
  return openPair(ctx, {
    name: table,
    source: { role: 'source', label: 'demo_source', url: sourceUrl, passwordResolved: true, table: id },
    target: { role: 'target', label: 'demo_target', url: targetUrl, passwordResolved: true, table: id },
  });
}

/** Runs the demo; returns 0 when every table ends in sync. */
export async function runDemo(ctx: CommandContext, options: { keep?: boolean }): Promise<number> {
  const { out } = ctx;
  const c = out.stdoutColors ?? pc.createColors(false);
  const step = (n: number, text: string) => out.result(`\n${c.bold(c.cyan(`${n}.`))} ${c.bold(text)}`);
  const started = Date.now();

  step(1, 'Starting an embedded PostgreSQL server (no Docker, no network)…');
  // Imported lazily (and external to the bundle): only `demo` needs the embedded server.
  const { startEmbeddedPostgres } = await import('@cdc/testkit/embedded');
  const server = await startEmbeddedPostgres();
  ctx.redactor.add(new URL(server.url).password);
  const workDir = await mkdtemp(join(tmpdir(), 'cdc-demo-'));
  try {
    out.result(`   PostgreSQL listening on 127.0.0.1:${server.port}`);
    await run(server.url, 'CREATE DATABASE demo_source');
    await run(server.url, 'CREATE DATABASE demo_target');
    const sourceUrl = databaseUrl(server.url, 'demo_source');
    const targetUrl = databaseUrl(server.url, 'demo_target');

    step(
      2,
      'Creating customers (500) and orders (2,000) in demo_source and an identical copy in demo_target',
    );
    out.result(
      '   columns: uuid, numeric(12,2), timestamptz(6), jsonb, char(n), Unicode text (Zoë Ångström, 李小龍, أحمد)',
    );
    await run(sourceUrl, DEMO_SCHEMA_SQL);
    await run(targetUrl, DEMO_SCHEMA_SQL);

    step(
      3,
      'Introducing drift in the target: 3 missing orders, 2 extra, 4 changed orders, 2 changed customers',
    );
    out.result('   (a cent on a total, 1 µs on a timestamp, a jsonb array, accents stripped from a name…)');
    await run(targetUrl, DEMO_DRIFT_SQL);

    let allInSync = true;
    for (const [i, table] of DEMO_TABLES.entries()) {
      step(4 + i * 3, `cdc diff … ${table} … ${table}`);
      const pair = await openDemoPair(ctx, sourceUrl, targetUrl, table);
      try {
        const before = await comparePair(pair, { algorithm: 'auto', maxDiffs: 1000 });
        out.result(renderDiffText(before));
        if (before.status === 'in_sync') continue;

        const script = join(workDir, `repair-${pair.targetSchema.id.name}.sql`);
        const plan = repairPlanOf(pair, before);
        await writeRepairSql(pair, plan, script);
        step(5 + i * 3, `Guarded repair script (${script}), first lines:`);
        const text = await readFile(script, 'utf8');
        out.result(
          text
            .split('\n')
            .slice(0, 14)
            .map((l) => `   ${c.dim(l)}`)
            .join('\n') + `\n   ${c.dim('…')}`,
        );
        out.result(
          '   Every UPDATE and DELETE also checks the values the diff saw, so a row changed since is skipped.',
        );
        const applied = await applyRepair(pair, plan);
        out.result(
          `   applied: ${applied.inserted} inserted, ${applied.updated} updated, ${applied.deleted} deleted, ` +
            `${applied.guardsFailed.length} skipped by guards`,
        );

        step(6 + i * 3, `cdc diff again: ${table}`);
        const after = await comparePair(pair, { algorithm: 'auto', maxDiffs: 1000 });
        out.result(renderDiffText(after));
        if (after.status !== 'in_sync') allInSync = false;
      } finally {
        await pair.close();
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    out.result(
      allInSync
        ? `\n${c.green('✓')} Both tables are in sync again (${seconds} s). Next: cdc diff --help, docs/getting-started.md`
        : `\n${c.red('✗')} Some differences remain after the repair (${seconds} s).`,
    );
    return allInSync ? ExitCode.inSync : ExitCode.differences;
  } finally {
    if (!options.keep) {
      await server.stop();
      await rm(workDir, { recursive: true, force: true });
      out.info('cleaned up: server stopped, data directory and scripts removed');
    } else {
      out.info(`kept: server at ${redactUrl(server.url)} (stop it with Ctrl-C), scripts in ${workDir}`);
    }
  }
}

/** Registers `cdc demo`. */
export function registerDemoCommand(program: Command, deps: CliDeps): void {
  const demo = program
    .command('demo')
    .description(
      'Show cdc end to end on an embedded PostgreSQL: drift, diff, guarded repair, in sync (offline, < 1 min)',
    )
    .action(action(deps, async (ctx) => runDemo(ctx, {})));
  withExamples(demo, ['cdc demo', 'npm run demo   # from a fresh clone, after npm ci']);
}

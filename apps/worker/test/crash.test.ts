import { type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffTables } from '@cdc/core';
import { connectPostgres } from '@cdc/postgres';
import { createTestDatabase, startEmbeddedPostgres, useTestDatabase, type TestDatabase } from '@cdc/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkerBundle, exited, startWorkerProcess } from './worker-bundle.js';

// The crash test of issue 7: the real worker binary replicates a real PostgreSQL source while a write
// workload runs (inserts, updates, deletes in multi-statement transactions); it is killed with SIGKILL
// at random moments and restarted; in the end the diff engine must find source and target equal.
const src = useTestDatabase('cdc_crash_src');
let dst: TestDatabase;
let bundle: string;
let dir: string;
const children = new Set<ChildProcess>();

beforeAll(async () => {
  dst = await createTestDatabase('cdc_crash_dst');
  dir = await mkdtemp(join(tmpdir(), 'cdc-crash-'));
  bundle = await buildWorkerBundle('cdc-crash-test');
  await src().query(
    'CREATE TABLE ledger (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(12,2), memo text, version int NOT NULL DEFAULT 0)',
  );
  await src().query(
    "INSERT INTO ledger (id, account, amount, memo) SELECT g, g % 17, g * 0.25, 'seed ' || g FROM generate_series(1, 2000) g",
  );
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await src()
    .query(
      "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'cdc_ledger'",
    )
    .catch(() => undefined);
  await dst.drop();
  await rm(dir, { recursive: true, force: true });
});

async function startReplicator(config: string): Promise<ChildProcess> {
  const started = await startWorkerProcess(bundle, config, children);
  logs.set(started.child, started.stderr);
  return started.child;
}

/** What a replicator wrote to stderr (warnings and errors), for assertion messages. */
const logs = new WeakMap<ChildProcess, () => string>();
function logOf(child: ChildProcess): string {
  return `worker stderr (tail):\n${logs.get(child)?.() || '(nothing)'}`;
}

/** Random multi-statement transactions, a few hundred a second, until `stop` is set. */
async function workload(url: string, stop: { done: boolean }, firstId: number): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let next = firstId;
  let txns = 0;
  try {
    while (!stop.done) {
      const id = () => 1 + Math.floor(Math.random() * 2000);
      await client.query('BEGIN');
      await client.query('UPDATE ledger SET amount = amount + 1, version = version + 1 WHERE id = $1', [
        id(),
      ]);
      await client.query("INSERT INTO ledger (id, account, amount, memo) VALUES ($1, $2, 1.5, 'w')", [
        next++,
        id() % 17,
      ]);
      await client.query('DELETE FROM ledger WHERE id = $1', [id()]);
      await client.query("UPDATE ledger SET memo = memo || '+' WHERE account = $1 AND id % 50 = 0", [
        id() % 17,
      ]);
      await client.query('COMMIT');
      txns++;
      // At most a few hundred transactions a second: on a loaded CI machine an unthrottled workload can
      // outrun the replicator for the whole test, and the final catch-up then outlasts the timeout.
      await new Promise((r) => setTimeout(r, 3));
    }
  } finally {
    await client.end();
  }
  return txns;
}

async function compare(targetUrl = dst.url) {
  const a = connectPostgres({ url: src().url });
  const b = connectPostgres({ url: targetUrl });
  try {
    const id = { schema: 'public', name: 'ledger' };
    const [sa, sb] = await Promise.all([a.introspect(id), b.introspect(id)]);
    return await diffTables({ source: { source: a, table: sa }, target: { source: b, table: sb } });
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
}

describe('crash safety (SIGKILL under a running write workload)', () => {
  it('loses nothing and applies nothing twice across repeated SIGKILLs and restarts', async () => {
    const config = join(dir, 'cdc.yaml');
    await writeFile(
      config,
      [
        'connections:',
        `  src: { url: "${src().url}" }`,
        `  dst: { url: "${dst.url}" }`,
        'pipelines:',
        '  - { name: ledger, source: src, target: dst, tables: [public.ledger] }',
        '',
      ].join('\n'),
    );
    const stop = { done: false };
    const writing = workload(src().url, stop, 100_000);
    const committed = new Set<string>();
    // One connection for the polling below (a connection per poll churns server slots on a slow machine).
    const poller = new pg.Client({ connectionString: dst.url });
    poller.on('error', () => undefined);
    await poller.connect();
    const position = async () => {
      const { rows } = await poller
        .query<{ position: string }>("SELECT position FROM cdc_meta.checkpoints WHERE partition = '*'")
        .catch(() => ({ rows: [] as { position: string }[] }));
      return rows[0]?.position;
    };
    for (let round = 0; round < 5; round++) {
      const before = await position();
      const child = await startReplicator(config);
      // Kill at a random moment once this run has committed something (the first run: mid-snapshot
      // or just after it), so every kill hits a process in the middle of its work.
      for (let i = 0; i < 400 && (await position()) === before; i++)
        await new Promise((r) => setTimeout(r, 25));
      await new Promise((r) => setTimeout(r, Math.random() * 400));
      child.kill('SIGKILL');
      await exited(child);
      const after = await position();
      if (after) committed.add(after);
    }
    await poller.end();
    // The replicator made progress between kills (so the kills hit a working process, not a dead one).
    expect(committed.size).toBeGreaterThan(1);
    stop.done = true;
    const txns = await writing;
    expect(txns).toBeGreaterThan(0);

    const final = await startReplicator(config);
    let result = await compare().catch(() => undefined);
    for (let i = 0; i < 600 && result?.status !== 'in_sync'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await compare().catch(() => undefined);
    }
    final.kill('SIGTERM');
    expect(await exited(final), logOf(final)).toBe(0);
    expect(result?.summary).toEqual({ missing: 0, extra: 0, mismatched: 0 });
    expect(result?.status).toBe('in_sync');
    const [count] = await dst.query<{ n: string }>('SELECT count(*)::text AS n FROM public.ledger');
    const [expected] = await src().query<{ n: string }>('SELECT count(*)::text AS n FROM public.ledger');
    expect(count?.n).toBe(expected?.n);
  }, 180_000);

  it('waits while the target server is stopped and resumes when it is back', async () => {
    // A target server of its own, so it can be halted and restarted with its data.
    const server = await startEmbeddedPostgres();
    const targetUrl = server.url;
    try {
      const config = join(dir, 'restart.yaml');
      await writeFile(
        config,
        [
          'connections:',
          `  src: { url: "${src().url}" }`,
          `  dst: { url: "${targetUrl}" }`,
          'pipelines:',
          '  - { name: ledger2, source: src, target: dst, tables: [public.ledger] }',
          '',
        ].join('\n'),
      );
      const stop = { done: false };
      const writing = workload(src().url, stop, 1_000_000);
      const child = await startReplicator(config);
      const target = new pg.Client({ connectionString: targetUrl });
      await target.connect();
      for (let i = 0; i < 400; i++) {
        const { rows } = await target
          .query("SELECT 1 FROM cdc_meta.checkpoints WHERE pipeline = 'ledger2' AND partition = '*'")
          .catch(() => ({ rows: [] }));
        if (rows.length) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await target.end();
      await server.halt();
      await new Promise((r) => setTimeout(r, 1500));
      await server.restart();
      stop.done = true;
      await writing;
      let result = await compare(targetUrl).catch(() => undefined);
      for (let i = 0; i < 900 && result?.status !== 'in_sync'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        result = await compare(targetUrl).catch(() => undefined);
      }
      expect(child.exitCode, logOf(child)).toBeNull(); // it waited instead of giving up
      child.kill('SIGTERM');
      expect(await exited(child), logOf(child)).toBe(0);
      expect(result?.status, logOf(child)).toBe('in_sync');
    } finally {
      await src()
        .query(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'cdc_ledger2'",
        )
        .catch(() => undefined);
      await server.stop().catch(() => undefined);
    }
  }, 180_000);
});

import { CdcError, type ChangeEvent, type Row, type TableSchema } from '@cdc/core';
import { useTestDatabase } from '@cdc/testkit';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { PostgresAdapter } from '../src/postgres-adapter.js';
import { PostgresChangeSource, type PostgresSnapshotOptions } from '../src/postgres-change-source.js';

const db = useTestDatabase();
const sources: PostgresChangeSource[] = [];
let slotSeq = 0;

function source(table: string): PostgresChangeSource {
  const s = new PostgresChangeSource({
    url: db().url,
    slot: `cdc_snap${process.pid}_${++slotSeq}`,
    tables: [{ schema: 'public', name: table }],
    pollIntervalMs: 10,
  });
  sources.push(s);
  return s;
}

afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of sources.splice(0)) {
    await s.dropSlot().catch(() => undefined);
    await s.close();
  }
});

interface Read {
  position: string;
  rows: Row[];
  sizes: number[];
}

async function read(
  s: PostgresChangeSource,
  schema: TableSchema,
  options: PostgresSnapshotOptions,
): Promise<Read> {
  const snap = await s.snapshot(schema, options);
  const rows: Row[] = [];
  const sizes: number[] = [];
  try {
    for await (const batch of snap.rows) {
      sizes.push(batch.length);
      rows.push(...batch);
    }
  } finally {
    await snap.close();
  }
  return { position: snap.position, rows, sizes };
}

function byId(rows: Row[]): Row[] {
  return [...rows].sort((a, b) => {
    const x = BigInt(a.id as string);
    const y = BigInt(b.id as string);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

/** Reads the snapshot through COPY and through the cursor; both must give the same rows and full batches. */
async function readBothWays(s: PostgresChangeSource, schema: TableSchema, batchRows: number): Promise<Read> {
  const copy = await read(s, schema, { method: 'copy', batchRows });
  const cursor = await read(s, schema, { method: 'cursor', batchRows });
  expect(copy.position).toBe(cursor.position);
  expect(byId(copy.rows)).toStrictEqual(byId(cursor.rows));
  copy.sizes.forEach((n, i) => {
    if (i < copy.sizes.length - 1) expect(n).toBe(batchRows);
    else expect(n).toBeGreaterThan(0);
  });
  return copy;
}

/** Backends of this database other than the caller's: running a COPY, or idle inside a transaction. */
async function busyBackends(): Promise<{ copies: number; inTransaction: number }> {
  const [row] = await db().query<{ copies: string; txn: string }>(
    `SELECT count(*) FILTER (WHERE query LIKE 'COPY (%' AND state <> 'idle') AS copies,
            count(*) FILTER (WHERE state LIKE 'idle in transaction%'
                               AND application_name LIKE 'cdc-source:%') AS txn
       FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
  );
  return { copies: Number(row?.copies ?? 0), inTransaction: Number(row?.txn ?? 0) };
}

/** Waits (polling, no timing asserted) until no backend runs a COPY or idles in a snapshot's transaction. */
async function expectNoBusyBackend(): Promise<void> {
  let busy = await busyBackends();
  for (let i = 0; i < 200 && busy.copies + busy.inTransaction > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    busy = await busyBackends();
  }
  expect(busy).toStrictEqual({ copies: 0, inTransaction: 0 });
}

/** Changes up to now, in commit order. */
async function changes(s: PostgresChangeSource, schema: TableSchema, from: string): Promise<ChangeEvent[]> {
  const events: ChangeEvent[] = [];
  for await (const b of s.changes({ tables: [schema], from: new Map([['*', from]]), untilCaughtUp: true })) {
    events.push(...b.events);
  }
  return events;
}

describe('PostgresChangeSource snapshots through COPY (real PostgreSQL)', () => {
  beforeAll(async () => {
    await db().query(`
      CREATE TYPE feeling AS ENUM ('sad', 'ok', E'ha"p\\\\py\\t');
      CREATE DOMAIN nonneg AS integer CHECK (VALUE >= 0);
      CREATE TABLE kinds (
        id bigint PRIMARY KEY,
        i2 smallint, i4 integer, i8 bigint, dom nonneg, n numeric, n2 numeric(12,2), f4 real, f8 double precision,
        b boolean, t text, vc varchar(20), ch char(5), e feeling, bt bit(4), vb varbit,
        by bytea, u uuid, d date, tm time, ts timestamp, tstz timestamptz, iv interval, j json, jb jsonb,
        ip inet, cd cidr, mac macaddr,
        a_i4 integer[], a_t text[], a_n numeric[], a_f8 float8[], a_by bytea[], a_tstz timestamptz[],
        a_jb jsonb[], a_e feeling[]
      );
      INSERT INTO kinds (id) VALUES (1);
      INSERT INTO kinds VALUES (
        2, 1, 2, 3, 4, 6.5, 7.25, 8.5, 9.125, true, 'text', 'vc', 'ch', 'ok', B'1010', B'101',
        '\\x0102', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '2020-02-29', '12:34:56.789012',
        '2020-01-02 03:04:05.678901', '2020-01-02 03:04:05.678901+02', '1 year 2 mons 3 days 04:05:06.789',
        '{"b": 1, "a": [1, 2.50]}', '{"b": 1, "a": [1, 2.50]}', '192.168.0.1/24', '10.0.0.0/8',
        '08:00:2b:01:02:03', '{1,2}', '{a,b}', '{1.5}', '{0.1}', '{"\\\\x00"}', '{"2020-01-01 00:00:00+00"}',
        '{"{}"}', '{ok}'
      );
      INSERT INTO kinds VALUES (
        3, -32768, -2147483648, -9223372036854775808, 0,
        '-123456789012345678901234567890.123456789012345678901234567890', -9999999999.99, 'NaN', '-0', false,
        E'tab\\there\\nnewline\\rcr\\\\backslash\\\\N', '\\N', 'ab', E'ha"p\\\\py\\t', B'0000', B'',
        (SELECT string_agg(set_byte('\\x00'::bytea, 0, g), ''::bytea ORDER BY g) FROM generate_series(0, 255) g),
        '00000000-0000-0000-0000-000000000000', '0044-03-15 BC', '24:00:00', '4713-01-01 00:00:00 BC',
        '0001-01-01 00:00:00+00 BC', '-1 year -2 mons +3 days -04:05:06.789',
        '{"b": "\\u00e9\\ud83d\\ude00\\n", "a": [1, 2.50, null], "a": "dup", "c": "\\\\"}',
        '{"b": "\\u00e9\\ud83d\\ude00\\n", "a": [1, 2.50, null], "a": "dup", "c": "\\\\"}',
        '::ffff:1.2.3.4/128', '2001:db8::/32', 'ff:ff:ff:ff:ff:ff',
        '{{1,NULL},{3,4}}', ARRAY['a"b', 'c\\d', 'NULL', NULL, '', '{}', ',', E'tab\\there', E'new\\nline', '𝄞', '\\N'],
        '{NaN,1e-20,123456789012345678901234567890.5}', '{NaN,-Infinity,Infinity,-0,1e-310}',
        ARRAY['\\x00ff', '\\x', NULL, '\\x5c6e']::bytea[], '{infinity,-infinity,"0001-01-01 00:00:00+00 BC"}',
        ARRAY['{"k": "v\\"q\\\\"}', '[1, "\\u00e9", "\\ud83d\\ude00"]']::jsonb[], ARRAY['sad', E'ha"p\\\\py\\t', NULL]::feeling[]
      );
      INSERT INTO kinds (id, n, f4, f8, t, vc, ch, by, d, ts, tstz, iv, j, jb, a_t, a_by)
      VALUES (4, 'NaN', 'Infinity', 'NaN', '', '', '', '\\x', 'infinity', 'infinity', '-infinity',
              '-00:00:00.000001', '[]', '{}', '{}', '{}'),
             (5, 0, '-Infinity', '-Infinity', E'𝄞😀👨‍👩‍👧 \\x01\\b\\f\\x0b\\\\.', ' ', ' ', '\\x', '-infinity',
              '-infinity', 'infinity', '178000000 years', '"\\u0000 is not here but \\t is"', '"\\t"',
              '{NULL,"NULL",""}', '{NULL}');
      -- Many rows of multibyte and escaped text, so chunk boundaries fall inside characters and escapes.
      INSERT INTO kinds (id, i4, t, n, f8, tstz, by, a_t, j)
      SELECT 100 + g, g, repeat(E'é\\t\\\\' || chr(128512 + g % 80) || chr(65 + g % 26) || E'\\n', g % 37),
             (g * 1.000001)::numeric, g * 0.1, timestamptz '2000-01-01 00:00:00+00' + g * interval '1.000001 second',
             decode(repeat(lpad(to_hex(g % 256), 2, '0'), g % 5), 'hex'),
             ARRAY[chr(128512 + g % 64), E'\\\\' || g, NULL],
             json_build_object('k', repeat(chr(65536 + g), 3), 'g', g)
        FROM generate_series(1, 3000) g;
      CREATE TABLE kinds_few AS SELECT * FROM kinds WHERE id < 100;
      ALTER TABLE kinds_few ADD PRIMARY KEY (id);
    `);
  });

  it('reads the exported snapshot: the same rows as the cursor, without writes made after the slot, which stream', async () => {
    const s = source('kinds');
    await s.ensure();
    // After the slot's consistent point: not in the snapshot, but changes.
    await db().query(`
      UPDATE kinds SET t = E'changed\\tafter', a_t = '{x,NULL}' WHERE id = 2;
      DELETE FROM kinds WHERE id = 4;
      INSERT INTO kinds (id, t, tstz, by, a_n) VALUES (99999, E'new\\\\row', '2021-06-01 00:00:00.5+00', '\\x00', '{NaN}');
    `);
    const schema = await s.introspect({ name: 'kinds' });
    expect(schema.columns).toHaveLength(36);
    let exported: Read | undefined;
    for (const batchRows of [10_000, 1000, 7]) {
      exported = await readBothWays(s, schema, batchRows);
      expect(exported.rows).toHaveLength(3005);
    }
    const rows = new Map(exported!.rows.map((r) => [r.id, r]));
    expect(rows.get('2')!.t).toBe('text');
    expect(rows.has('4')).toBe(true);
    expect(rows.has('99999')).toBe(false);
    expect(rows.get('3')!.t).toBe('tab\there\nnewline\rcr\\backslash\\N');
    expect(rows.get('3')!.vc).toBe('\\N');
    expect(rows.get('3')!.by).toStrictEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    expect(rows.get('5')!.t).toBe('𝄞😀👨‍👩‍👧 \u0001\b\f\v\\.');
    expect(Object.is(rows.get('3')!.f8, -0)).toBe(true);

    const events = await changes(s, schema, exported!.position);
    expect(
      events.map((e) => [e.op, e.op === 'delete' ? e.key.id : e.op === 'upsert' ? e.key.id : null]),
    ).toEqual([
      ['upsert', '2'],
      ['delete', '4'],
      ['upsert', '99999'],
    ]);

    // Once streaming started, the exported snapshot is gone: a snapshot now sees the writes, both ways,
    // and decodes the rows as logical decoding did.
    const later = await readBothWays(s, schema, 500);
    expect(later.rows).toHaveLength(3005);
    const now = new Map(later.rows.map((r) => [r.id, r]));
    expect(now.has('4')).toBe(false);
    for (const e of events) {
      // Not `dom`: logical decoding reports a domain's own type OID, which has no parser (text "4"),
      // where a query's result reports the base type's (the number 4).
      if (e.op === 'upsert')
        expect({ ...now.get(e.key.id), dom: null }).toStrictEqual({ ...e.row, dom: null });
    }
  });

  it('one row per batch over the hostile rows', async () => {
    const s = source('kinds_few');
    const schema = await s.introspect({ name: 'kinds_few' });
    const { rows, sizes } = await readBothWays(s, schema, 1);
    expect(rows).toHaveLength(5);
    expect(sizes).toStrictEqual([1, 1, 1, 1, 1]);
    // A table with no rows yields no batch.
    await db().query('CREATE TABLE kinds_none (LIKE kinds_few INCLUDING ALL)');
    const none = source('kinds_none');
    const noneSchema = await none.introspect({ name: 'kinds_none' });
    expect((await read(none, noneSchema, { method: 'copy', batchRows: 3 })).sizes).toStrictEqual([]);
  });
});

describe('stopping a COPY snapshot', () => {
  beforeAll(async () => {
    await db().query('CREATE TABLE big (id int PRIMARY KEY, v text)');
    await db().query(`INSERT INTO big SELECT g, repeat('x', 100) FROM generate_series(1, 50000) g`);
  });

  it('an abort mid-snapshot releases the connection, again and again; the snapshot is read whole afterwards', async () => {
    const s = source('big');
    const schema = await s.introspect({ name: 'big' });
    await s.ensure();
    await db().query('INSERT INTO big VALUES (50001, NULL)');
    // More aborted snapshots than the source's pool has connections: none may leak.
    for (let i = 0; i < 10; i++) {
      const controller = new AbortController();
      const snap = await s.snapshot(schema, { batchRows: 1000, signal: controller.signal });
      let seen = 0;
      await expect(
        (async () => {
          for await (const batch of snap.rows) {
            seen += batch.length;
            controller.abort();
          }
        })(),
      ).rejects.toMatchObject({ name: 'AbortError' });
      await snap.close();
      expect(seen).toBe(1000);
    }
    await expectNoBusyBackend();
    const whole = await read(s, schema, { batchRows: 4096 });
    expect(whole.rows).toHaveLength(50000);
    expect(whole.sizes.slice(0, -1).every((n) => n === 4096)).toBe(true);
  });

  it('an abort while waiting for the server releases the connection', async () => {
    await db().query(`CREATE VIEW slow_big AS
      SELECT g AS id, CASE WHEN pg_sleep(0.002) IS NULL THEN 'x' ELSE repeat('y', 200) END AS v
        FROM generate_series(1, 5000) g`);
    const s = source('big');
    const schema = await s.introspect({ name: 'slow_big' }, { key: ['id'] });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 50);
    await expect(read(s, schema, { batchRows: 10_000, signal: controller.signal })).rejects.toMatchObject({
      name: 'AbortError',
    });
    clearTimeout(timer);
    await expectNoBusyBackend();
  });

  it('a consumer that stops, or closes without finishing, releases the connection', async () => {
    const s = source('big');
    const schema = await s.introspect({ name: 'big' });
    for (let i = 0; i < 10; i++) {
      const snap = await s.snapshot(schema, { batchRows: 100 });
      if (i % 2 === 0) {
        for await (const batch of snap.rows) {
          expect(batch).toHaveLength(100);
          break;
        }
      } else {
        // An iterator left suspended mid-COPY, then the snapshot closed.
        const iterator = snap.rows[Symbol.asyncIterator]();
        expect((await iterator.next()).value).toHaveLength(100);
      }
      await snap.close();
    }
    await expectNoBusyBackend();
    expect((await read(s, schema, {})).rows).toHaveLength(50001);
  });

  it("reports the server's error mid-COPY and releases the connection", async () => {
    await db().query(`CREATE VIEW failing_big AS
      SELECT g AS id, CASE WHEN g = 20000 THEN (1 / (g - g))::text ELSE repeat('z', 50) END AS v
        FROM generate_series(1, 30000) g`);
    const s = source('big');
    const schema = await s.introspect({ name: 'failing_big' }, { key: ['id'] });
    for (let i = 0; i < 10; i++) {
      await expect(read(s, schema, { batchRows: 1000 })).rejects.toMatchObject({ code: '22012' });
    }
    await expectNoBusyBackend();
  });
});

describe('COPY snapshot fallbacks', () => {
  let original: PostgresAdapter['connect'];

  beforeAll(async () => {
    original = PostgresAdapter.prototype.connect;
    await db().query('CREATE TABLE plain (id int PRIMARY KEY, v text)');
    await db().query(`INSERT INTO plain SELECT g, 'v' || g FROM generate_series(1, 10) g`);
  });

  afterAll(() => {
    vi.restoreAllMocks();
  });

  /** Makes the adapter's clients look different: `get` may replace a property's value. */
  function wrapClients(get: (client: pg.PoolClient, property: string | symbol) => unknown) {
    return vi.spyOn(PostgresAdapter.prototype, 'connect').mockImplementation(async function (
      this: PostgresAdapter,
    ) {
      const client = await original.call(this);
      return new Proxy(client, {
        get(target, property) {
          const replaced = get(target, property);
          if (replaced !== undefined) return replaced;
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    });
  }

  it('uses the cursor when the client cannot stream COPY (pg-native); refuses method copy', async () => {
    const s = source('plain');
    const schema = await s.introspect({ name: 'plain' });
    await s.ensure();
    await db().query(`UPDATE plain SET v = 'after' WHERE id = 1`);
    const expected = (await read(s, schema, { method: 'cursor', batchRows: 4 })).rows;
    wrapClients((_, property) => (property === 'connection' ? {} : undefined));
    const auto = await read(s, schema, { batchRows: 4 });
    expect(auto.rows).toStrictEqual(expected);
    expect(auto.sizes).toStrictEqual([4, 4, 2]);
    expect(auto.rows.find((r) => r.id === 1)?.v).toBe('v1');
    await expect(read(s, schema, { method: 'copy' })).rejects.toBeInstanceOf(CdcError);
    vi.restoreAllMocks();
    await expectNoBusyBackend();
  });

  it('falls back to the cursor in the same snapshot when the server refuses COPY (query), then remembers', async () => {
    const s = source('plain');
    const schema = await s.introspect({ name: 'plain' });
    await s.ensure();
    await db().query(`UPDATE plain SET v = 'later' WHERE id = 2`);
    const expected = (await read(s, schema, { method: 'cursor', batchRows: 3 })).rows;
    expect(expected.find((r) => r.id === 2)?.v).toBe('v2');
    let copies = 0;
    wrapClients((client, property) => {
      if (property !== 'query') return undefined;
      return (...args: unknown[]) => {
        const first = args[0] as { text?: unknown } | undefined;
        if (
          first &&
          typeof first === 'object' &&
          typeof first.text === 'string' &&
          first.text.startsWith('COPY (')
        ) {
          copies++;
          // What a server without `COPY (query)` answers: a syntax error.
          first.text = 'COPY (SELEKT 1) TO STDOUT';
        }
        return (client.query as (...a: unknown[]) => unknown).apply(client, args);
      };
    });
    const auto = await read(s, schema, { batchRows: 3 });
    expect(auto.rows).toStrictEqual(expected);
    expect(auto.sizes).toStrictEqual([3, 3, 3, 1]);
    expect(copies).toBe(1);
    // Remembered: no COPY is tried again.
    expect((await read(s, schema, { batchRows: 3 })).rows).toStrictEqual(expected);
    expect(copies).toBe(1);
    // method copy reports the server's refusal.
    await expect(read(s, schema, { method: 'copy' })).rejects.toMatchObject({ code: '42601' });
    expect(copies).toBe(2);
    vi.restoreAllMocks();
    await expectNoBusyBackend();
  });
});

// Benchmark data: the same deterministic N-row table in a source and a target database, then planted drift
// in the target. Everything is generated inside PostgreSQL (generate_series), so 5M rows take seconds.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { prng } from './apply-common.mjs';

const md5 = (s) => createHash('md5').update(s).digest('hex');

/** Table shapes. `six` is ARCHITECTURE §10's table; `composite` has a (text, text) key; `wide` 20 columns. */
export const VARIANTS = {
  six: {
    key: ['id'],
    create: (t) => `CREATE TABLE ${t} (id bigint PRIMARY KEY, qty integer, label text, amount numeric(12,2),
      created_at timestamptz, score double precision)`,
    insert: (t, from, to) => `INSERT INTO ${t}
      SELECT g, (g * 7919) % 100000, 'label-' || md5(g::text), ((g * 31) % 10000000) / 100.0,
             timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' + (g % 997) * interval '1 microsecond',
             (g * 0.6180339887)::float8 / 7
      FROM generate_series(${from}::bigint, ${to}) g`,
    keyOf: (g) => String(g),
    whereKey: (g) => `id = ${g}`,
    update: (t, g) => `UPDATE ${t} SET amount = amount + 0.01, label = label || '!' WHERE id = ${g}`,
  },
  composite: {
    key: ['region', 'code'],
    create: (t) => `CREATE TABLE ${t} (region text, code text, qty integer, label text, amount numeric(12,2),
      created_at timestamptz, score double precision, PRIMARY KEY (region, code))`,
    insert: (t, from, to) => `INSERT INTO ${t}
      SELECT 'r' || (g % 97), md5(g::text), (g * 7919) % 100000, 'label-' || g, ((g * 31) % 10000000) / 100.0,
             timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second', (g * 0.6180339887)::float8 / 7
      FROM generate_series(${from}::bigint, ${to}) g`,
    keyOf: (g) => `r${g % 97}/${md5(String(g))}`,
    whereKey: (g) => `region = 'r' || (${g} % 97) AND code = md5('${g}')`,
    update: (t, g) =>
      `UPDATE ${t} SET amount = amount + 0.01 WHERE region = 'r' || (${g} % 97) AND code = md5('${g}')`,
  },
  wide: {
    key: ['id'],
    create: (t) =>
      `CREATE TABLE ${t} (id bigint PRIMARY KEY, ${Array.from({ length: 19 }, (_, i) =>
        i % 3 === 0 ? `c${i} text` : i % 3 === 1 ? `c${i} bigint` : `c${i} numeric(14,4)`,
      ).join(', ')})`,
    insert: (t, from, to) =>
      `INSERT INTO ${t} SELECT g, ${Array.from({ length: 19 }, (_, i) =>
        i % 3 === 0 ? `'v${i}-' || (g % 1000)` : i % 3 === 1 ? `g * ${i + 1}` : `(g % 100000) / 7.0`,
      ).join(', ')} FROM generate_series(${from}::bigint, ${to}) g`,
    keyOf: (g) => String(g),
    whereKey: (g) => `id = ${g}`,
    update: (t, g) => `UPDATE ${t} SET c1 = c1 + 1 WHERE id = ${g}`,
  },
};

async function withClient(url, fn) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function dbUrl(serverUrl, db) {
  const u = new URL(serverUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

/**
 * Creates `<prefix>_src` and `<prefix>_tgt` with `rows` rows each, then plants drift in the target:
 * `updates` changed rows (scattered or clustered), `missing` rows deleted from the target, `extra` rows
 * added to it. Returns both URLs and the planted differences (keys as strings).
 */
export async function prepareCase(
  serverUrl,
  { prefix, variant = 'six', rows, updates = 0, missing = 0, extra = 0, clustered = false },
) {
  const v = VARIANTS[variant];
  const dbs = { source: `${prefix}_src`, target: `${prefix}_tgt` };
  await withClient(serverUrl, async (c) => {
    for (const db of Object.values(dbs)) {
      await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      await c.query(`CREATE DATABASE ${db}`);
    }
  });
  for (const db of Object.values(dbs)) {
    await withClient(dbUrl(serverUrl, db), async (c) => {
      await c.query(v.create('bench'));
      const chunk = 1_000_000;
      for (let from = 1; from <= rows; from += chunk)
        await c.query(v.insert('bench', from, Math.min(rows, from + chunk - 1)));
      await c.query('VACUUM ANALYZE bench');
    });
  }
  const random = prng(rows + updates * 7 + missing * 13 + extra * 17);
  const picked = new Set();
  const pick = () => {
    for (;;) {
      const g = 1 + Math.floor(random() * rows);
      if (!picked.has(g)) {
        picked.add(g);
        return g;
      }
    }
  };
  const start = 1 + Math.floor(random() * Math.max(1, rows - updates - 1));
  const planted = { mismatched: [], missing: [], extra: [] };
  await withClient(dbUrl(serverUrl, dbs.target), async (c) => {
    await c.query('BEGIN');
    for (let i = 0; i < updates; i++) {
      const g = clustered ? start + i : pick();
      picked.add(g);
      await c.query(v.update('bench', g));
      planted.mismatched.push(g);
    }
    for (let i = 0; i < missing; i++) {
      const g = pick();
      await c.query(`DELETE FROM bench WHERE ${v.whereKey(g)}`);
      planted.missing.push(g);
    }
    for (let i = 0; i < extra; i++) {
      const g = rows + 1 + i;
      await c.query(v.insert('bench', g, g));
      planted.extra.push(g);
    }
    await c.query('COMMIT');
    await c.query('VACUUM ANALYZE bench');
  });
  const keys = (list) => list.map((g) => v.keyOf(g)).sort();
  return {
    sourceUrl: dbUrl(serverUrl, dbs.source),
    targetUrl: dbUrl(serverUrl, dbs.target),
    planted: {
      mismatched: keys(planted.mismatched),
      missing: keys(planted.missing),
      extra: keys(planted.extra),
    },
    key: v.key,
    async drop() {
      await withClient(serverUrl, async (c) => {
        for (const db of Object.values(dbs)) await c.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
      });
    },
  };
}

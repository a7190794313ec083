#!/usr/bin/env node
// Client-side hashing cost per row, in this thread: canonical row strings of the bench's six-column table
// (values as the PostgreSQL adapter decodes them) with and without their MD5. Needs a built @cdc/core.
// Usage: node tools/bench/src/canonical.mjs [--rows 200000] [--rounds 5]
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const { values: opts } = parseArgs({
  options: { rows: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } },
});
const core = await import(pathToFileURL(join(root, 'packages/core/dist/index.js')).href).catch(() => {
  console.error('@cdc/core is not built: run `npx nx run @cdc/core:build` first.');
  process.exit(2);
});
const { createRowHasher, keyString, columnsString } = core;
const types = {
  id: { kind: 'int64' },
  qty: { kind: 'int32' },
  label: { kind: 'text' },
  amount: { kind: 'numeric', precision: 12, scale: 2 },
  created_at: { kind: 'timestamptz', precision: 6 },
  score: { kind: 'float64' },
};
const schema = {
  id: { name: 'bench' },
  primaryKey: ['id'],
  columns: Object.entries(types).map(([name, type]) => ({ name, type, nullable: true, nativeType: '' })),
};
const plan = {
  key: ['id'],
  columns: ['qty', 'label', 'amount', 'created_at', 'score'],
  mode: 'canonical',
  bucketing: { kind: 'key-hash', modulus: 1 },
};
const rows = [];
for (let g = 1; g <= Number(opts.rows); g++) {
  const iso = new Date(Date.UTC(2020, 0, 1) + g * 1000).toISOString();
  rows.push({
    id: String(g),
    qty: (g * 7919) % 100000,
    label: `label-${g.toString(16).padStart(32, '0')}`,
    amount: (((g * 31) % 10000000) / 100).toFixed(2),
    created_at: iso.replace('.000Z', `.${String(g % 997).padStart(6, '0')}Z`),
    score: (g * 0.6180339887) / 7,
  });
}
const hasher = await createRowHasher();
const perRow = (ms) => `${((ms * 1000) / rows.length).toFixed(2)} µs/row`;
for (let round = 0; round < Number(opts.rounds); round++) {
  let sink = 0;
  const t0 = performance.now();
  for (const r of rows) sink += (keyString(r, schema, plan) + columnsString(r, schema, plan)).length;
  const t1 = performance.now();
  for (const r of rows)
    sink += hasher.digestBytes(keyString(r, schema, plan) + columnsString(r, schema, plan))[0];
  const t2 = performance.now();
  console.log(
    `round ${round + 1}: canonical text ${perRow(t1 - t0)}, with MD5 ${perRow(t2 - t1)} (${sink > 0})`,
  );
}

#!/usr/bin/env node
// A diff of the bench table where one side is hashed in cdc and the other in its database: the target is
// the PostgreSQL adapter with its in-database hashing hidden, standing in for a source that cannot hash
// (ScyllaDB). Prints the result as `cdc diff --format json` does. With --read, only reads the target's
// rows (the time "simply reading the client-hashed side" takes) and prints their count.
// Usage: node tools/bench/src/diff-one-side.mjs <source-url> <target-url> [--read] (needs built packages)
import { parseArgs } from 'node:util';
import { defineCapabilities, diffTables, renderDiffJson } from '@cdc/core';
import { connectPostgres } from '@cdc/postgres';

const { values: opts, positionals } = parseArgs({
  options: { read: { type: 'boolean', default: false }, table: { type: 'string', default: 'bench' } },
  allowPositionals: true,
});

if (opts.read) {
  const target = connectPostgres({ url: positionals[0] });
  const schema = await target.introspect({ name: opts.table });
  let rows = 0;
  for await (const batch of target.scan(schema)) rows += batch.length;
  await target.close();
  console.log(JSON.stringify({ rows }));
} else {
  const source = connectPostgres({ url: positionals[0] });
  const target = connectPostgres({ url: positionals[1] });
  const [s, t] = await Promise.all([
    source.introspect({ name: opts.table }),
    target.introspect({ name: opts.table }),
  ]);
  // Every method of the adapter but summarize/keyHashes: the engine then hashes this side itself.
  const clientSide = {
    dialect: 'postgres-without-pushdown',
    capabilities: defineCapabilities({ ...target.capabilities, hashPushdown: false, pushdownKinds: [] }),
    workerSpec: target.workerSpec,
    introspect: target.introspect.bind(target),
    count: target.count.bind(target),
    estimateCount: target.estimateCount.bind(target),
    splits: target.splits.bind(target),
    scan: target.scan.bind(target),
    lookup: target.lookup.bind(target),
    ...(target.canonicalScan ? { canonicalScan: target.canonicalScan.bind(target) } : {}),
    ...(target.packedCanonicalScan ? { packedCanonicalScan: target.packedCanonicalScan.bind(target) } : {}),
    close: () => target.close(),
  };
  const result = await diffTables({
    source: { source, table: s },
    target: { source: clientSide, table: t },
  });
  await Promise.all([source.close(), target.close()]);
  console.log(renderDiffJson(result));
}

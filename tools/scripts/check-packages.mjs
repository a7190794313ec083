#!/usr/bin/env node
// Packaging gate for every publishable library: publint (strict) and @arethetypeswrong/cli on the packed
// tarball. Run after `nx run-many -t build`. Exits non-zero on the first package with a problem.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const libs = readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d));
let failed = 0;
for (const dir of libs) {
  const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  for (const [cmd, args] of [
    ['publint', ['--strict']],
    ['attw', ['--pack', '.', '--profile', 'node16', '--format', 'table-flipped']],
  ]) {
    try {
      execFileSync(join(root, 'node_modules/.bin', cmd), args, { cwd: dir, stdio: 'pipe', encoding: 'utf8' });
    } catch (error) {
      failed++;
      console.error(`✗ ${name}: ${cmd} failed\n${error.stdout ?? ''}${error.stderr ?? ''}`);
      continue;
    }
    console.log(`✓ ${name}: ${cmd}`);
  }
}
if (failed) {
  console.error(`${failed} packaging check(s) failed`);
  process.exit(1);
}

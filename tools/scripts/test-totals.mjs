#!/usr/bin/env node
/**
 * Sums the vitest JSON reports that `CDC_TEST_REPORT_DIR` collected (one per project) into one line:
 * `N passed, N failed, N skipped (P projects)`. Projects that test but left no report (a crash before
 * vitest could write it) are listed and count as failed. Usage: node tools/scripts/test-totals.mjs <dir>
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node tools/scripts/test-totals.mjs <report-dir>');
  process.exit(2);
}

const root = join(import.meta.dirname, '..', '..');
const expected = ['packages', 'apps']
  .flatMap((group) => readdirSync(join(root, group)).map((name) => join(root, group, name, 'package.json')))
  .map((file) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return undefined;
    }
  })
  .filter((manifest) => manifest?.scripts?.test)
  .map((manifest) => manifest.name);

let files = [];
try {
  files = readdirSync(dir).filter((f) => f.endsWith('.json'));
} catch {
  // No report at all: every project counts as missing below.
}

/** The report file name vitest.shared.ts gives a project. */
const fileOf = (name) => name.replace(/[@/]/g, '_');
const nameOf = new Map(expected.map((name) => [fileOf(name), name]));

const totals = { passed: 0, failed: 0, skipped: 0 };
const seen = new Set();
for (const file of files.sort()) {
  const report = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const project = nameOf.get(file.replace(/\.json$/, '')) ?? file.replace(/\.json$/, '');
  seen.add(project);
  const passed = report.numPassedTests ?? 0;
  // A file that failed outside any test (an import error, a failing hook) counts once.
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
  ).length;
  const failed = (report.numFailedTests ?? 0) + brokenFiles;
  const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  totals.passed += passed;
  totals.failed += failed;
  totals.skipped += skipped;
  console.log(`  ${project.padEnd(24)} ${passed} passed, ${failed} failed, ${skipped} skipped`);
}
const missing = expected.filter((name) => !seen.has(name));
for (const name of missing) console.log(`  ${name.padEnd(24)} no report (its tests did not run to the end)`);
totals.failed += missing.length;
console.log(
  `${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped (${seen.size} of ${expected.length} projects reported)`,
);
process.exit(totals.failed > 0 ? 1 : 0);

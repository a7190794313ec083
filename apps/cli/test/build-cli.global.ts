/**
 * Vitest global setup: builds the `cdc` executable once per test run, before any test file spawns it
 * (one build, so parallel test files never see a half-written dist/).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export function setup(): void {
  execFileSync('npx', ['tsup', '--silent'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: 'pipe',
  });
}

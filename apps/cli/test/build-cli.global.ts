/**
 * Vitest global setup: builds the `cdc` executable once per test run, before any test file spawns it
 * (one build, so parallel test files never see a half-written dist/).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function setup(): void {
  // `cdc demo` loads the embedded server from @cdc/testkit's build (kept out of the bundle so it finds its
  // platform's binaries from its own folder); `nx test @cdc/cli` builds it first.
  const testkit = fileURLToPath(new URL('../../../packages/testkit/dist/embedded.js', import.meta.url));
  if (!existsSync(testkit)) {
    throw new Error(`${testkit} is missing: run \`npx nx run @cdc/testkit:build\` (or test through nx)`);
  }
  execFileSync('npx', ['tsup', '--silent'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: 'pipe',
  });
}

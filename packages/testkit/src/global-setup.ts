/**
 * Vitest global setup: one real PostgreSQL server per test run. With `CDC_TEST_PG_URL` set, that server
 * is used (and left running); otherwise an embedded server is started here and stopped in teardown.
 * Test files get their own database through `useTestDatabase()` / `createTestDatabase()`.
 *
 * Use it from a vitest config: `test: { globalSetup: ['@cdc/testkit/global-setup'] }`.
 */
import type {} from './provided-context.js';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedPostgresServer } from './embedded-postgres-server.js';

let server: EmbeddedPostgresServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.CDC_TEST_PG_URL;
  if (external) {
    project.provide('cdcPgUrl', external);
    project.provide('cdcPgKind', 'external');
    return;
  }
  try {
    server = await startEmbeddedPostgres();
  } catch (error) {
    // One line that says why and what to do, not a stack: vitest prints `stack` as given.
    const e = error instanceof Error ? error : new Error(String(error));
    const hint = (e as { hint?: string }).hint;
    const line = `cannot start the embedded PostgreSQL for the tests: ${e.message}${hint ? ` — ${hint}` : ''}`;
    const clean = new Error(line);
    clean.stack = line;
    throw clean;
  }
  project.provide('cdcPgUrl', server.url);
  project.provide('cdcPgKind', 'embedded');
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}

/**
 * Vitest global setup of @cdc/mysql: one MariaDB/MySQL server per test run. `CDC_TEST_MYSQL_URL` (an
 * existing server, left running) wins; otherwise a private `mariadbd` is started from the OS packages
 * (@cdc/testkit `startMariaDb`) and stopped in teardown. Neither available: the MariaDB tests skip with a
 * visible notice (`mysqlSkipReason`).
 */
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { findMariaDbBinaries, startMariaDb, type MariaDbServer } from '@cdc/testkit/embedded';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Admin URL of the run's MariaDB/MySQL server, or '' when there is none. */
    cdcMysqlUrl: string;
    /** Why there is no server ('' when there is one). */
    cdcMysqlSkip: string;
  }
}

let server: MariaDbServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.CDC_TEST_MYSQL_URL;
  if (external) {
    project.provide('cdcMysqlUrl', external);
    project.provide('cdcMysqlSkip', '');
    return;
  }
  if (!findMariaDbBinaries()) {
    const reason =
      'MariaDB is not installed (apt-get install -y mariadb-server) and CDC_TEST_MYSQL_URL is not set';
    console.warn(`[@cdc/mysql] MariaDB tests SKIPPED: ${reason}`);
    project.provide('cdcMysqlUrl', '');
    project.provide('cdcMysqlSkip', reason);
    return;
  }
  server = await startMariaDb();
  project.provide('cdcMysqlUrl', server.url);
  project.provide('cdcMysqlSkip', '');
}

export async function teardown(): Promise<void> {
  await server?.stop();
  server = undefined;
}

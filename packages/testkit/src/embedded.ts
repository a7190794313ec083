/**
 * `@cdc/testkit/embedded`: the embedded PostgreSQL launcher and the private MariaDB launcher alone,
 * without any test-runner dependency (used by `cdc demo` and the benchmarks).
 * @packageDocumentation
 */
export type { EmbeddedPostgresOptions, EmbeddedPostgresServer } from './embedded-postgres-server.js';
export { startEmbeddedPostgres, freePort } from './embedded-postgres-server.js';
export type { MariaDbBinaries, MariaDbOptions, MariaDbServer } from './mariadb-server.js';
export { findMariaDbBinaries, startMariaDb } from './mariadb-server.js';

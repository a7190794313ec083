/**
 * `@cdc/testkit/embedded`: the embedded PostgreSQL launcher alone, without any test-runner dependency
 * (used by `cdc demo` and the benchmarks).
 * @packageDocumentation
 */
export type { EmbeddedPostgresOptions, EmbeddedPostgresServer } from './embedded-postgres-server.js';
export { startEmbeddedPostgres, freePort } from './embedded-postgres-server.js';

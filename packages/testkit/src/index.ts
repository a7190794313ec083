/**
 * @cdc/testkit — what cdc's own tests and authors of custom adapters test with: a real embedded
 * PostgreSQL harness (one server per run, one database per test file), the adapter contract suite,
 * and fakes of documented HTTP APIs that cannot run here (labelled as such).
 * @packageDocumentation
 */
export type { EmbeddedPostgresOptions, EmbeddedPostgresServer } from './embedded-postgres-server.js';
export { startEmbeddedPostgres, freePort } from './embedded-postgres-server.js';
export type { MariaDbBinaries, MariaDbOptions, MariaDbServer } from './mariadb-server.js';
export { findMariaDbBinaries, startMariaDb } from './mariadb-server.js';
export type { TestDatabase } from './test-database.js';
export { createTestDatabase, useTestDatabase, testServerUrl } from './test-database.js';
export {
  VaultFake,
  type VaultFakeFailure,
  type VaultFakeOptions,
  type VaultFakeRequest,
  type VaultFakeState,
  type VaultFakeTokenOptions,
} from './fakes/vault-fake.js';
export {
  KafkaConnectFake,
  DEFAULT_FAKE_PLUGINS,
  type FakeConnectorPlugin,
  type FakeConnector,
  type InjectedFailure,
  type KafkaConnectFakeOptions,
  type RecordedRequest,
} from './fakes/kafka-connect-fake.js';
export * from './contract/index.js';
export { MemoryScanSource, type LazyRows, type MemoryScanSourceOptions } from './memory-scan-source.js';

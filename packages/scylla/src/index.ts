/**
 * @cdc/scylla — ScyllaDB (and Apache Cassandra 4.x) source for cdc: introspection from system_schema,
 * token-range splits and paged scans, key lookups, exact and estimated counts, a client-side Murmur3
 * partitioner to bucket other engines' rows by token, and the ScyllaDB CDC log stream.
 * cassandra-driver is a peer dependency and is injected: `connectScylla({ url, driver })`.
 * @packageDocumentation
 */
export {
  connectScylla,
  driverClientOptions,
  openScyllaInWorker,
  ScyllaAdapter,
  SOURCE_TIMESTAMP,
} from './scylla-adapter.js';
export type { ScyllaConnectConfig } from './scylla-adapter.js';
export {
  parseConsistency,
  parseScyllaUrl,
  SCYLLA_CONSISTENCIES,
  scyllaCdcOptionsSchema,
  scyllaOptionsSchema,
  scyllaTlsOptionsSchema,
  validateScyllaOptions,
} from './scylla-options.js';
export type {
  ScyllaCdcOptions,
  ScyllaConsistency,
  ScyllaOptions,
  ScyllaOptionsInput,
  ScyllaTlsOptions,
} from './scylla-options.js';
export { loadCassandraDriver } from './scylla-driver.js';
export type {
  ScyllaModuleLoader,
  ScyllaDriverClient,
  ScyllaDriverClientOptions,
  ScyllaDriverColumn,
  ScyllaDriverModule,
  ScyllaDriverQueryOptions,
  ScyllaDriverResultSet,
  ScyllaDriverRow,
  ScyllaDriverTypes,
} from './scylla-driver.js';
export { classifyCluster, SCYLLA_ONLY_SYSTEM_TABLES } from './scylla-detect.js';
export type { ClusterInfo, ScyllaFlavor } from './scylla-detect.js';
export {
  CQL_NATIVE_TYPES,
  cqlToLogical,
  formatCqlType,
  isNonFrozenCollection,
  parseCqlType,
  resolveUdts,
} from './scylla-cql-types.js';
export type { CqlNativeName, CqlType, CqlUdtDefinition } from './scylla-cql-types.js';
export { buildTableInfo, describeColumn, udtMap } from './scylla-introspector.js';
export type { SchemaColumnRow, ScyllaTableInfo } from './scylla-introspector.js';
export { composePartitionKey, MAX_TOKEN, MIN_TOKEN, murmur3Token } from './scylla-murmur3.js';
export { ScyllaPartitioner } from './scylla-partitioner.js';
export type { TokenPartitioner } from './scylla-partitioner.js';
export {
  rangesOfBuckets,
  ringFraction,
  shuffled,
  splitTokenRange,
  tokenBucketEnds,
  tokenBucketOf,
} from './scylla-token-ranges.js';
export type { TokenRange } from './scylla-token-ranges.js';
export {
  bigIntToBytes,
  bytesToBigInt,
  daysToIsoDate,
  decodeCqlValue,
  formatDecimal,
  formatInet,
  formatUuid,
  isoDateToDays,
  parseDecimal,
  parseInet,
  parseTimeOfDay,
  serializeCqlValue,
  timestampMillis,
  toDriverParam,
  uuidToBytes,
} from './scylla-values.js';
export type { ScyllaDuration } from './scylla-values.js';
export * as cql from './scylla-cql.js';
export type { CqlReadFlavor, CqlStatement } from './scylla-cql.js';
export {
  caughtUpSince,
  checkRetention,
  decodeGroupPosition,
  decodeStartPosition,
  encodeGroupPosition,
  encodeStartPosition,
  generationsFrom,
  groupStreams,
  initialCursor,
  linkGenerations,
  nextWindow,
  snapshotStartMs,
  startPartition,
  timeuuidMicros,
  vnodeOfStream,
} from './scylla-cdc-streams.js';
export type { CdcGeneration, GroupPosition, StreamGroup, WindowDecision } from './scylla-cdc-streams.js';
export {
  applyCollectionDelta,
  CdcOperation,
  rangeDeleteEvent,
  translateLogRows,
  valueKey,
} from './scylla-cdc-delta.js';
export type { CdcLogRow, CdcTableShape, TranslatedChange, UnresolvedColumn } from './scylla-cdc-delta.js';
export { describeDriverError, toCdcError } from './scylla-errors.js';
export { scyllaConnector } from './scylla-connector.js';

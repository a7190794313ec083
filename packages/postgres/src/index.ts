/**
 * @cdc/postgres — PostgreSQL for cdc: the replication target (sink, checkpoints, DDL, result store)
 * and a source (scans, in-database canonical and native hashing, logical decoding).
 * @packageDocumentation
 */
export type { PostgresConnectOptions, PostgresScanMethod, PostgresScanOptions } from './postgres-adapter.js';
export { PostgresAdapter, connectPostgres, isTransientPostgresError } from './postgres-adapter.js';
export { POSTGRES_PUSHDOWN_KINDS, canPushDown, canonicalValueSql } from './postgres-canonical-sql.js';
export { quoteIdent, quoteLiteral, qualifiedName } from './postgres-sql.js';
export type { NativeTypeInfo, MappedType } from './postgres-types.js';
export { mapNativeType, nativeTypeFor, castTypeOf } from './postgres-types.js';
export {
  cdcTypes,
  toPostgresText,
  isoFromPostgres,
  postgresFromIso,
  parseArrayLiteral,
} from './postgres-values.js';
export type { PostgresSinkOptions } from './postgres-sink.js';
export { PostgresSink, SOFT_DELETE_COLUMN, SOFT_DELETE_AT_COLUMN } from './postgres-sink.js';
export { META_SCHEMA, META_MIGRATIONS, migrateMeta } from './postgres-migrations.js';
export type {
  ResultStore,
  MetaDatabase,
  NewRun,
  RunRecord,
  RunDetail,
  TableResultInput,
  TableResultRecord,
  DifferenceSample,
  RepairRecordInput,
} from './postgres-result-store.js';
export {
  PostgresResultStore,
  differenceSample,
  recordDiffResult,
  toStoredJson,
} from './postgres-result-store.js';
export * from './postgres-change-source.js';
export type { ApplyRepairOptions, ApplyRepairResult } from './postgres-repair.js';
export { renderRepairSql, applyRepairPlan, renderLiteral } from './postgres-repair.js';
export { postgresConnector } from './postgres-connector.js';
export type { PostgresVerificationStoreOptions, VerificationRecord } from './postgres-verification-store.js';
export { PostgresVerificationStore } from './postgres-verification-store.js';

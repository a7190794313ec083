/**
 * @cdc/core — the database-agnostic heart of cdc: logical types, canonical values, hashing, the diff
 * engine, repair plans, reports, the replication engine and the configuration schema.
 * @packageDocumentation
 */
export type { LogicalType, LogicalKind, ScalarKind } from './logical-type.js';
export type { TableId, Column, TableSchema, Row, Key } from './schema.js';
export { formatTableId } from './schema.js';
export type {
  Capabilities,
  CanonicalRow,
  CanonicalBatch,
  Range,
  ColumnHashOptions,
  Bucketing,
  HashPlan,
  BucketSummary,
  KeyHash,
  ScanOptions,
  Connector,
  ScanSource,
  Position,
  ChangeEvent,
  ChangeBatch,
  ChangeOptions,
  Snapshot,
  ChangeSource,
  TableMapping,
  ApplyResult,
  ChangeSink,
} from './connector.js';
export { defineCapabilities } from './connector.js';
export type {
  ConnectorDescriptor,
  ConnectorDescriptorCapabilities,
  OpenScanSourceOptions,
  OpenChangeSourceOptions,
  OpenedChangeSource,
  OpenSinkOptions,
} from './connector-descriptor.js';
export type { CdcErrorCode, CdcErrorOptions } from './errors.js';
export { CdcError, isCdcError, redactUrl } from './errors.js';
export {
  NULL_MARKER,
  canonicalText,
  canonicalNumeric,
  canonicalJson,
  compareUtf8,
  utf8Length,
  lengthPrefixed,
  bytesToHex,
  daysFromCivil,
  civilFromDays,
  floorToPrecision,
  describeType,
  decodeStructuredJson,
  INVALID_STORED_MARKER,
} from './canonical.js';
export { structuredToJson } from './structured-json.js';
export type { RowHasher } from './hashing.js';
export { createRowHasher, keyString, rowString, addHashes, combineHalfSums } from './hashing.js';
export type { ComparisonPolicy } from './compare.js';
export { compareValues, hasTolerance, hashOptionsOf } from './compare.js';
export { compareKeys, compareKeyValues } from './key-order.js';
export type { Partitioner } from './buckets.js';
export {
  BucketAccumulator,
  bucketAssigner,
  digestRow,
  OrderedBucketAccumulator,
  packedBucketAssigner,
  rangeFilter,
  tokenBucket,
} from './buckets.js';
export { columnsString } from './hashing.js';
export type {
  DiffAlgorithm,
  DiffOptions,
  DiffProgressEvent,
  DiffResult,
  DiffSide,
  Difference,
  HashingUsed,
  SideStats,
} from './diff-types.js';
export { DIFF_RESULT_VERSION } from './diff-types.js';
export { diffTables, rangeApplies } from './diff-engine.js';
export type { WorkerSourceSpec } from './hash-worker-protocol.js';
export type { RepairPlan, RepairPlanOptions, RepairStep } from './repair-plan.js';
export { planRepair } from './repair-plan.js';
export type { SeverityLevel, SeverityRule, SeverityThresholds } from './severity.js';
export { DEFAULT_SEVERITY_THRESHOLDS, severityOf } from './severity.js';
export type { RenderOptions } from './diff-render.js';
export { renderDiffJson, renderDiffMarkdown, renderDiffText, toJsonSafe } from './diff-render.js';
export * from './config/index.js';
export * from './replication/index.js';
export { packCanonicalRows } from './canonical-batch.js';

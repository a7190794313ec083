/** The replication engine: pipelines, transforms, retry policy (ARCHITECTURE §7). */
export type {
  PipelineTable,
  BatchLimits,
  PipelineEvent,
  PipelineOptions,
  PipelineResult,
} from './pipeline.js';
export {
  runPipeline,
  snapshotPartition,
  isSnapshotDone,
  estimateBatchBytes,
  SNAPSHOT_PARTITION_PREFIX,
} from './pipeline.js';
export type { MaskKind, TableTransformOptions, CompiledTransform } from './transforms.js';
export { compileTransform, tableKey } from './transforms.js';
export type { RetryPolicy } from './retry.js';
export {
  defaultRetryPolicy,
  backoffDelay,
  isTransientError,
  describeError,
  abortableSleep,
} from './retry.js';
export type { QueueLimits } from './bounded-queue.js';
export { BoundedQueue } from './bounded-queue.js';
export {
  pipelineTables,
  pipelineBatchLimits,
  pipelineRunOptions,
  pipelineSlotName,
  replicationSlotName,
} from './pipeline-config.js';
export type { Clock } from './rate-limit.js';
export { RowRateLimiter, throttleSource } from './rate-limit.js';
export type { ChangedKey, ChangedKeyQueueOptions, OfferOutcome } from './verify-queue.js';
export { ChangedKeyQueue } from './verify-queue.js';
export { quietWaitMs } from './verify-quiet-hours.js';
export { decodeSegments, encodeSegments } from './verify-segments.js';
export type {
  PipelineVerifier,
  SweepCheckpoint,
  VerificationStore,
  VerifierOptions,
  VerifyEvent,
  VerifyMode,
  VerifySettings,
  VerifyStatus,
  VerifyTableStatus,
} from './verifier.js';
export { observeCommits, startVerifier, verifySettings } from './verifier.js';

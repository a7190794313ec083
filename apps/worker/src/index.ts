/**
 * @cdc/worker — the cdc service: every configured replication pipeline, scheduled reconciliation with a
 * concurrency limit and a rows/s budget, and `/healthz` `/readyz` `/metrics`; drains on SIGTERM.
 * @packageDocumentation
 */
export const APP_NAME = '@cdc/worker';
export type { WorkerOptions, Worker, PipelineState } from './worker.js';
export { startWorker } from './worker.js';
export type { WorkerCliOptions } from './worker-cli.js';
export { runWorkerCli } from './worker-cli.js';
export { loadWorkerConfig } from './worker-config.js';
export type {
  ReconcilePair,
  ReconcileTableOutcome,
  ReconcileRunOutcome,
  ReconcileJobOptions,
} from './reconcile-job.js';
export { runReconciliation, reconcilePairs } from './reconcile-job.js';
export {
  connectionError,
  describeConnection,
  openPipelineReplication,
  urlWithPassword,
} from '@cdc/connectors';
export type {
  OpenPipelineReplicationOptions,
  PipelineReplication,
  ReplicationConnection,
} from '@cdc/connectors';
export type { Clock } from './rate-limit.js';
export { RowRateLimiter, throttleSource } from './rate-limit.js';
export type { WorkerStatus, WorkerPipelineStatus } from './worker-status.js';
export { WORKER_STATUS_VERSION, workerStatus } from './worker-status.js';
export type { PipelineVerificationOptions } from './worker-verification.js';
export { PipelineVerification } from './worker-verification.js';

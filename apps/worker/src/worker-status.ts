/**
 * The worker's live part of the status document (`GET /api/v1/status`, `docs/api.md`): pipeline states,
 * their always-on verification, lag and apply rate. The document itself (tables, repairs, version) is
 * @cdc/console's, shared with `cdc status --format json`.
 */
import { STATUS_DOCUMENT_VERSION, type PipelineActivity, type StatusPipeline } from '@cdc/console';
import type { VerifyStatus } from '@cdc/core';

/** Version of the status document ({@link STATUS_DOCUMENT_VERSION} of @cdc/console). */
export const WORKER_STATUS_VERSION = STATUS_DOCUMENT_VERSION;

/** One pipeline in the status document. */
export type WorkerPipelineStatus = StatusPipeline;

/** The worker's live status: the status document without the tables and repairs read from the targets. */
export interface WorkerStatus {
  version: typeof WORKER_STATUS_VERSION;
  service: 'cdc-worker';
  generatedAt: string;
  pipelines: WorkerPipelineStatus[];
}

/** Builds the live status from the pipeline states, their verification and (optionally) their activity. */
export function workerStatus(
  pipelines: ReadonlyMap<string, { state: Exclude<StatusPipeline['state'], 'unknown'>; error?: string }>,
  verification: (pipeline: string) => VerifyStatus | undefined,
  now = new Date(),
  activity?: PipelineActivity,
): WorkerStatus {
  return {
    version: WORKER_STATUS_VERSION,
    service: 'cdc-worker',
    generatedAt: now.toISOString(),
    pipelines: [...pipelines].map(([name, s]) => {
      const v = verification(name);
      let verify: WorkerPipelineStatus['verification'] = null;
      if (v) {
        const { pipeline: _pipeline, ...rest } = v;
        verify = rest;
      }
      return {
        name,
        state: s.state,
        ...(s.error ? { error: s.error } : {}),
        verification: verify,
        ...(activity ? activity.of(name, now.getTime()) : {}),
      };
    }),
  };
}

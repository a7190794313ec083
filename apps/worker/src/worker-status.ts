/**
 * The worker's JSON status document, `GET /api/v1/status` (`docs/metrics.md`): small and versioned —
 * fields are only added within a version; removing or changing one bumps {@link WORKER_STATUS_VERSION}.
 */
import type { VerifyStatus } from '@cdc/core';

/** Version of {@link WorkerStatus}. */
export const WORKER_STATUS_VERSION = 1;

/** One pipeline in the status document. */
export interface WorkerPipelineStatus {
  name: string;
  state: 'starting' | 'running' | 'stopped' | 'failed';
  error?: string;
  /** Always-on verification; `null` while it starts or when `verify.enabled` is false. */
  verification: Omit<VerifyStatus, 'pipeline'> | null;
}

/** The status document. */
export interface WorkerStatus {
  version: typeof WORKER_STATUS_VERSION;
  service: 'cdc-worker';
  generatedAt: string;
  pipelines: WorkerPipelineStatus[];
}

/** Builds the status document from the pipeline states and their verification. */
export function workerStatus(
  pipelines: ReadonlyMap<string, { state: WorkerPipelineStatus['state']; error?: string }>,
  verification: (pipeline: string) => VerifyStatus | undefined,
  now = new Date(),
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
      return { name, state: s.state, ...(s.error ? { error: s.error } : {}), verification: verify };
    }),
  };
}

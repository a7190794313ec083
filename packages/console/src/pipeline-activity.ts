/**
 * A pipeline's recent activity, kept in memory by the process that applies its batches (the worker):
 * lag samples for the console's sparkline and the apply rate, for the status document.
 */
import { LAG_HISTORY_SIZE, type LagSample, type StatusPipeline } from './status-document.js';

/** The window the apply rate is averaged over. */
const RATE_WINDOW_MS = 60_000;

/** Recent lag and throughput of every pipeline of a process. */
export class PipelineActivity {
  readonly #lag = new Map<string, LagSample[]>();
  readonly #applied = new Map<string, { at: number; changes: number }[]>();
  readonly #totals = new Map<string, number>();

  /** Records one applied batch: its changes and, when the source said when they were committed, its lag. */
  record(pipeline: string, batch: { changes: number; lagMs?: number }, now = Date.now()): void {
    if (batch.lagMs !== undefined) {
      const samples = this.#lag.get(pipeline) ?? [];
      samples.push({ at: new Date(now).toISOString(), seconds: Math.max(0, batch.lagMs) / 1000 });
      if (samples.length > LAG_HISTORY_SIZE) samples.splice(0, samples.length - LAG_HISTORY_SIZE);
      this.#lag.set(pipeline, samples);
    }
    const applied = this.#applied.get(pipeline) ?? [];
    applied.push({ at: now, changes: batch.changes });
    while (applied.length > 0 && applied[0]!.at < now - RATE_WINDOW_MS) applied.shift();
    this.#applied.set(pipeline, applied);
    this.#totals.set(pipeline, (this.#totals.get(pipeline) ?? 0) + batch.changes);
  }

  /** The activity fields of a pipeline's entry in the status document. */
  of(
    pipeline: string,
    now = Date.now(),
  ): Required<Pick<StatusPipeline, 'lagSeconds' | 'lagHistory' | 'changesPerSecond' | 'appliedChanges'>> {
    const lag = this.#lag.get(pipeline) ?? [];
    const recent = (this.#applied.get(pipeline) ?? []).filter((a) => a.at >= now - RATE_WINDOW_MS);
    const changes = recent.reduce((n, a) => n + a.changes, 0);
    return {
      lagSeconds: lag.length > 0 ? lag[lag.length - 1]!.seconds : null,
      lagHistory: [...lag],
      changesPerSecond: Math.round((changes / (RATE_WINDOW_MS / 1000)) * 100) / 100,
      appliedChanges: this.#totals.get(pipeline) ?? 0,
    };
  }
}

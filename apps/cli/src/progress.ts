/**
 * Progress on stderr for long work: a cli-progress bar only when stderr is a TTY, the output format is
 * not JSON, and neither `--quiet` nor `--no-progress` is given. Silent otherwise (pipes, CI, scripts).
 */
import cliProgress from 'cli-progress';
import type { OutputStream } from './output.js';

/** A progress sink: `update(done, total)` and `stop()`; a no-op when progress is off. */
export interface Progress {
  update(done: number, total: number, label?: string): void;
  stop(): void;
}

const silent: Progress = { update: () => undefined, stop: () => undefined };

/** Creates a bar on `stream` when `enabled` and the stream is a terminal. */
export function createProgress(stream: OutputStream, enabled: boolean): Progress {
  if (!enabled || stream.isTTY !== true) return silent;
  const bar = new cliProgress.SingleBar(
    {
      stream: stream as NodeJS.WriteStream,
      format: ' {bar} {percentage}% | {value}/{total} {label}',
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, label = '') {
      if (!started) {
        bar.start(Math.max(total, 1), done, { label });
        started = true;
      }
      bar.setTotal(Math.max(total, 1));
      bar.update(done, { label });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

/** What the launchers of real servers (embedded PostgreSQL, private MariaDB) share about child processes. */
import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';

/** The last `n` non-empty lines of a program's output, joined by ` | ` (for one-line error messages). */
export function lastLines(output: string, n = 3): string {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-n)
    .join(' | ');
}

/** Resolves once the child has exited (at once if it already has). */
export function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** A server child process this process started, the folder to remove with it, and how to stop it. */
export interface ChildServer {
  child: ChildProcess;
  dir: string;
  /** Sent when this process exits or is signalled (an immediate stop: `exit` handlers cannot wait). */
  signal: NodeJS.Signals;
}

/** Servers of this process still running: stopped when it exits or is signalled, so none outlives it. */
export const runningServers = new Set<ChildServer>();
let cleanupInstalled = false;

/**
 * Installs, once per process, the hooks that stop every server in {@link runningServers} when the
 * process exits or receives SIGINT, SIGTERM or SIGHUP (then re-raised, so the process still ends).
 */
export function installServerCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', () => {
    for (const server of runningServers) {
      server.child.kill(server.signal);
      try {
        rmSync(server.dir, { recursive: true, force: true });
      } catch {
        // The server may still be writing; a leftover temp folder is all that remains.
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = async (): Promise<void> => {
      // Alone on this signal, the listener cancels its default effect (exit): re-raise it afterwards.
      const alone = process.listenerCount(signal) === 1;
      if (alone) process.removeListener(signal, onSignal);
      await Promise.all(
        [...runningServers].map(async (server) => {
          runningServers.delete(server);
          const exited = stopped(server.child);
          server.child.kill(server.signal);
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000).unref())]);
          await rm(server.dir, { recursive: true, force: true }).catch(() => undefined);
        }),
      );
      if (alone) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

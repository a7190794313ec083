/** What the launchers of real servers (embedded PostgreSQL, private MariaDB) share about child processes. */
import type { ChildProcess } from 'node:child_process';

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

/** Entry point of the `cdc` executable. */
import { runCli } from './index.js';

/**
 * Exits with `code` once stdout and stderr have flushed: an explicit exit keeps the code even when a
 * library registered exit hooks, and does not wait for idle pool timers.
 */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

runCli(process.argv.slice(2)).then(exitAfterFlush, (error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  exitAfterFlush(2);
});

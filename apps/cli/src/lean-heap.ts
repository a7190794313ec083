/**
 * How `cdc` keeps its memory bounded while it compares: V8 grows its young generation (two
 * semi-spaces, up to 16 MiB each) with the allocation rate, which alone added ~35 MB to the peak RSS
 * of a 1M-row client-hashed diff. Comparisons hold one batch at a time, so `cdc` keeps the young
 * generation at its initial size instead: 97–118 MB instead of 135–157 MB peak at 1M rows, for
 * 8–15 % more CPU (docs/benchmarks.md). `CDC_LEAN_HEAP=0` keeps V8's defaults.
 */
import { setFlagsFromString } from 'node:v8';
import { CdcError } from '@cdc/core';

let applied = false;

/**
 * Reads `CDC_LEAN_HEAP` (`1`/`true`/unset: lean, `0`/`false`: V8's defaults). Throws a
 * `CdcError('INVALID_ARGUMENT')` naming the variable for any other value.
 */
export function leanHeapWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CDC_LEAN_HEAP?.trim().toLowerCase();
  if (value === undefined || value === '' || value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new CdcError(
    'INVALID_ARGUMENT',
    `CDC_LEAN_HEAP must be 1 or 0, got ${JSON.stringify(env.CDC_LEAN_HEAP)}`,
    {
      hint: "unset it (or 1) to keep the young generation small, 0 for V8's default heap sizing",
    },
  );
}

/**
 * Keeps V8's young generation at its initial size from now on (`--semi-space-growth-factor=1`, read
 * by V8 at each collection), unless `CDC_LEAN_HEAP=0`. Process-wide, so hashing worker threads started
 * afterwards share it; idempotent. Returns whether it is on.
 */
export function useLeanHeap(env: NodeJS.ProcessEnv = process.env): boolean {
  if (applied) return true;
  if (!leanHeapWanted(env)) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  applied = true;
  return true;
}

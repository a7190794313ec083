/** Durations on the command line: `30s`, `5m`, `1h30m`, `250ms`, or a bare number of seconds. */
import { CdcError } from '@cdc/core';

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration into milliseconds; throws `INVALID_ARGUMENT` naming the option and the fix. */
export function parseDuration(text: string, option = 'duration'): number {
  const input = text.trim();
  if (/^\d+(\.\d+)?$/.test(input)) return Math.round(Number(input) * 1000);
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = pattern.exec(input)) !== null) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = pattern.lastIndex;
  }
  if (input === '' || matched !== input.length) {
    throw new CdcError('INVALID_ARGUMENT', `${option}: cannot read ${JSON.stringify(text)} as a duration`, {
      hint: 'write e.g. 30s, 5m, 1h30m or 250ms',
    });
  }
  return Math.round(total);
}

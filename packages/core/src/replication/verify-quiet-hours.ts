/** Quiet hours of the verification sweep: daily `HH:MM-HH:MM` windows in a time zone, in which it pauses. */

const minutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
};

/** Minutes since midnight of `at` in `timeZone`, with seconds as a fraction. */
function minuteOfDay(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return part('hour') * 60 + part('minute') + part('second') / 60;
}

/**
 * How long (ms) the sweep still has to wait at `at` because a quiet-hours window is open, 0 outside every
 * window. A window whose end is before its start spans midnight (`22:00-02:00`). Windows are read as
 * validated by `quietHoursSchema`; across a daylight-saving change the wait is off by at most an hour and
 * is re-evaluated when it ends.
 *
 * @example
 * ```ts
 * quietWaitMs(new Date('2024-05-01T09:30:00Z'), ['08:00-18:00'], 'UTC'); // 8.5 hours in ms
 * ```
 */
export function quietWaitMs(at: Date, windows: readonly string[], timeZone = 'UTC'): number {
  if (windows.length === 0) return 0;
  const now = minuteOfDay(at, timeZone);
  let wait = 0;
  for (const w of windows) {
    const [from, to] = w.split('-') as [string, string];
    const a = minutes(from);
    const b = minutes(to);
    const inside = a < b ? now >= a && now < b : now >= a || now < b;
    if (!inside) continue;
    const left = (b - now + 1440) % 1440;
    wait = Math.max(wait, left * 60_000);
  }
  return Math.ceil(wait);
}

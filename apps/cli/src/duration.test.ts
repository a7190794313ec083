import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['250ms', 250],
    ['1.5s', 1500],
    ['2', 2000],
    ['1d', 86_400_000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', 'soon', '5 minutes', '10x', 's5', '-3s'])('rejects %j naming the option', (text) => {
    expect(() => parseDuration(text, '--recheck-after')).toThrow(/--recheck-after: cannot read/);
  });
});

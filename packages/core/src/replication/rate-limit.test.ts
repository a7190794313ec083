import type { ScanSource } from '../connector.js';
import type { TableSchema } from '../schema.js';
import { describe, expect, it } from 'vitest';
import { RowRateLimiter, throttleSource, type Clock } from './rate-limit.js';

function fakeClock() {
  let now = 0;
  const waits: number[] = [];
  const clock: Clock = {
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms);
      now += ms;
    },
  };
  return { clock, waits, advance: (ms: number) => (now += ms) };
}

describe('RowRateLimiter', () => {
  it('paces rows to the budget on average without waiting for the first batch', async () => {
    const { clock, waits } = fakeClock();
    const limiter = new RowRateLimiter(1000, clock);
    await limiter.take(500);
    await limiter.take(500);
    await limiter.take(1000);
    expect(waits).toEqual([500, 500]);
  });

  it('does not accumulate credit beyond the present', async () => {
    const { clock, waits, advance } = fakeClock();
    const limiter = new RowRateLimiter(100, clock);
    await limiter.take(100);
    advance(10_000);
    await limiter.take(100);
    await limiter.take(100);
    expect(waits).toEqual([1000]);
  });

  it('rejects a non-positive budget', () => {
    expect(() => new RowRateLimiter(0)).toThrow(RangeError);
  });
});

describe('throttleSource', () => {
  it('spends the budget for every scanned batch and looked-up key', async () => {
    const { clock, waits } = fakeClock();
    const limiter = new RowRateLimiter(10, clock);
    const table = { id: { name: 't' }, columns: [], primaryKey: ['id'] } as TableSchema;
    const inner = {
      dialect: 'x',
      capabilities: {},
      async *scan() {
        yield [{ id: 1 }, { id: 2 }];
        yield [{ id: 3 }];
      },
      lookup: async () => [],
    } as unknown as ScanSource;
    const source = throttleSource(inner, limiter);
    const seen = [];
    for await (const rows of source.scan(table)) seen.push(...rows);
    await source.lookup(table, [[1], [2]]);
    expect(seen).toHaveLength(3);
    expect(waits).toEqual([200, 100]);
    expect(source.summarize).toBeUndefined();
  });
});

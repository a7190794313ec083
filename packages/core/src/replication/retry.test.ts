import { describe, expect, it } from 'vitest';
import { CdcError } from '../errors.js';
import { BoundedQueue } from './bounded-queue.js';
import { backoffDelay, defaultRetryPolicy, isTransientError } from './retry.js';

describe('retry classification and backoff', () => {
  it('classifies connection, resource, deadlock and socket errors as transient', () => {
    for (const code of ['08006', '53300', '57P01', '40P01', '40001', '55006', 'ECONNRESET']) {
      expect(isTransientError(Object.assign(new Error(code), { code }))).toBe(true);
    }
    expect(isTransientError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isTransientError(new CdcError('UPSTREAM_ERROR', 'x', { transient: true }))).toBe(true);
  });

  it('classifies syntax, constraint, permission and unmarked CdcErrors as permanent', () => {
    for (const code of ['42601', '23505', '42501', '22P02']) {
      expect(isTransientError(Object.assign(new Error(code), { code }))).toBe(false);
    }
    expect(isTransientError(new CdcError('FENCED', 'x'))).toBe(false);
    expect(isTransientError(new Error('boom'))).toBe(false);
  });

  it('grows exponentially up to the cap, with full jitter', () => {
    const p = { ...defaultRetryPolicy, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, p, () => 1))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
    expect(backoffDelay(3, p, () => 0)).toBe(0);
    expect(backoffDelay(3, p, () => 0.25)).toBe(100);
  });
});

describe('BoundedQueue', () => {
  it('holds the producer while full and releases it as the consumer takes', async () => {
    const q = new BoundedQueue<number>({ maxItems: 2, maxBytes: 1000 });
    await q.push(1, 1);
    await q.push(2, 1);
    let third = false;
    const pending = q.push(3, 1).then(() => (third = true));
    await Promise.resolve();
    expect(third).toBe(false);
    expect(await q.shift()).toBe(1);
    await pending;
    expect(third).toBe(true);
    q.close();
    expect([await q.shift(), await q.shift(), await q.shift()]).toEqual([2, 3, undefined]);
  });

  it('bounds bytes but always admits one oversized item', async () => {
    const q = new BoundedQueue<string>({ maxItems: 10, maxBytes: 5 });
    await q.push('big', 50);
    let second = false;
    const pending = q.push('x', 1).then(() => (second = true));
    await Promise.resolve();
    expect(second).toBe(false);
    await q.shift();
    await pending;
    expect(second).toBe(true);
  });

  it('throws the close error at once, abandoning queued items', async () => {
    const q = new BoundedQueue<number>({ maxItems: 10, maxBytes: 10 });
    await q.push(1, 1);
    q.close(new Error('source failed'));
    await expect(q.shift()).rejects.toThrow('source failed');
    expect(await q.push(2, 1)).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  MAX_LSN,
  ZERO_LSN,
  compareLsn,
  comparePosition,
  decrementLsn,
  formatLsn,
  formatPosition,
  incrementLsn,
  lsnToBuffer,
  parseLsn,
  parsePosition,
} from './sqlserver-lsn.js';

describe('LSN text and bytes', () => {
  it('parses the 8:8:4 text form tools print', () => {
    expect(parseLsn('00000025:00000d08:0025')).toBe('0000002500000d080025');
    expect(parseLsn('00000025:00000D08:0025')).toBe('0000002500000d080025');
  });
  it('parses hex with and without 0x and 10-byte buffers', () => {
    expect(parseLsn('0x0000002500000D080025')).toBe('0000002500000d080025');
    expect(parseLsn(Buffer.from('0000002500000d080025', 'hex'))).toBe('0000002500000d080025');
  });
  it('formats back to the text form', () => {
    expect(formatLsn(parseLsn('0x0000002500000d080025'))).toBe('00000025:00000d08:0025');
    expect(lsnToBuffer(parseLsn('00000025:00000d08:0025')).toString('hex')).toBe('0000002500000d080025');
  });
  it('rejects malformed input with a hint', () => {
    expect(() => parseLsn('25:d08:25')).toThrow(/not a SQL Server LSN/);
    expect(() => parseLsn(Buffer.alloc(9))).toThrow(/10 bytes/);
  });
});

describe('LSN ordering and arithmetic', () => {
  it('orders by bytes, not by text length', () => {
    expect(compareLsn(parseLsn('00000025:00000d08:0025'), parseLsn('00000025:00000d08:0026'))).toBe(-1);
    expect(compareLsn(parseLsn('00000026:00000000:0000'), parseLsn('00000025:ffffffff:ffff'))).toBe(1);
    expect(compareLsn(ZERO_LSN, ZERO_LSN)).toBe(0);
  });
  it('increments with carry across the slot and block fields', () => {
    expect(formatLsn(incrementLsn(parseLsn('00000025:00000d08:ffff')))).toBe('00000025:00000d09:0000');
    expect(formatLsn(incrementLsn(parseLsn('00000025:ffffffff:ffff')))).toBe('00000026:00000000:0000');
    expect(() => incrementLsn(MAX_LSN)).toThrow(/maximum/);
    expect(() => decrementLsn(ZERO_LSN)).toThrow(/zero/);
  });
  test.prop([fc.bigInt({ min: 0n, max: (1n << 80n) - 2n })])('increment then decrement is identity', (n) => {
    const lsn = parseLsn(n.toString(16).padStart(20, '0'));
    expect(decrementLsn(incrementLsn(lsn))).toBe(lsn);
    expect(compareLsn(lsn, incrementLsn(lsn))).toBe(-1);
  });
  test.prop([
    fc.uint8Array({ minLength: 10, maxLength: 10 }),
    fc.uint8Array({ minLength: 10, maxLength: 10 }),
  ])('compareLsn agrees with byte order', (a, b) => {
    expect(compareLsn(parseLsn(a), parseLsn(b))).toBe(
      Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
  });
});

describe('positions', () => {
  const l1 = parseLsn('00000025:00000d08:0025');
  const l2 = parseLsn('00000025:00000d08:0030');
  const s = parseLsn('00000025:00000d08:0002');
  it('round-trips whole-transaction and mid-transaction positions', () => {
    expect(formatPosition({ lsn: l1 })).toBe('00000025:00000d08:0025');
    const mid = formatPosition({ lsn: l1, seqval: s, operation: 2 });
    expect(mid).toBe('00000025:00000d08:0025/00000025:00000d08:0002/2');
    expect(parsePosition(mid)).toEqual({ lsn: l1, seqval: s, operation: 2 });
  });
  it('orders a whole transaction after each of its changes and before the next one', () => {
    expect(comparePosition({ lsn: l1, seqval: s, operation: 4 }, { lsn: l1 })).toBe(-1);
    expect(comparePosition({ lsn: l1 }, { lsn: l2, seqval: ZERO_LSN, operation: 1 })).toBe(-1);
    expect(comparePosition({ lsn: l1, seqval: s, operation: 3 }, { lsn: l1, seqval: s, operation: 4 })).toBe(
      -1,
    );
  });
  it('rejects bad positions', () => {
    expect(() => parsePosition('00000025:00000d08:0025/00000025:00000d08:0002/9')).toThrow(/operation/);
    expect(() => parsePosition('a/b')).toThrow(/not a SQL Server position/);
  });
});

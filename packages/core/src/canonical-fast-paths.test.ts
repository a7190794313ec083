/**
 * The hot-path shortcuts of canonicalText (plain integer and decimal strings, common instant spellings,
 * float bytes) must give exactly what the general parsers give. Each property feeds one spelling through
 * the shortcut and an equivalent spelling that only the general parser accepts.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { canonicalText } from './canonical.js';
import type { LogicalType } from './logical-type.js';

const int64: LogicalType = { kind: 'int64' };
const numeric: LogicalType = { kind: 'numeric' };
const float64: LogicalType = { kind: 'float64' };
const float32: LogicalType = { kind: 'float32' };
const tstz = (precision: number): LogicalType => ({ kind: 'timestamptz', precision });

const MIN_MICROS = -62_135_596_800_000_000n; // 0001-01-01
const MAX_MICROS = 253_402_300_799_999_999n; // 9999-12-31 23:59:59.999999

function isoOf(micros: bigint): { date: string; time: string; frac: string } {
  const day = micros >= 0n ? micros / 86_400_000_000n : -((-micros + 86_399_999_999n) / 86_400_000_000n);
  const inDay = micros - day * 86_400_000_000n;
  const d = new Date(Number(day) * 86_400_000);
  const date = d.toISOString().slice(0, 10);
  const secs = Number(inDay / 1_000_000n);
  const time = [Math.floor(secs / 3600), Math.floor(secs / 60) % 60, secs % 60]
    .map((x) => String(x).padStart(2, '0'))
    .join(':');
  return { date, time, frac: String(inDay % 1_000_000n).padStart(6, '0') };
}

describe('canonicalText shortcuts agree with the general parsers', () => {
  fcTest.prop([fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n })])('integers', (n) => {
    expect(canonicalText(n.toString(), int64)).toBe(n.toString());
    expect(canonicalText(`+${n < 0n ? -n : n}`, int64)).toBe((n < 0n ? -n : n).toString());
  });

  it('integer spellings that are not canonical go through the general parser', () => {
    expect(canonicalText('007', int64)).toBe('7');
    expect(canonicalText('-0', int64)).toBe('0');
    expect(canonicalText('-007', int64)).toBe('-7');
    expect(() => canonicalText('1.0', int64)).toThrow(/integer/);
    expect(() => canonicalText('', int64)).toThrow(/integer/);
    expect(() => canonicalText('-', int64)).toThrow(/integer/);
  });

  fcTest.prop([
    fc.boolean(),
    fc.stringMatching(/^[0-9]{0,25}$/),
    fc.option(fc.stringMatching(/^[0-9]{0,25}$/), { nil: undefined }),
  ])('plain decimals', (negative, int, frac) => {
    const text = `${negative ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}`;
    if (int === '' && (frac ?? '') === '') return;
    // `e0` is the same number, spelled so that only the general parser accepts it.
    expect(canonicalText(text, numeric)).toBe(canonicalText(`${text}e0`, numeric));
  });

  fcTest.prop([
    fc.bigInt({ min: MIN_MICROS, max: MAX_MICROS }),
    fc.integer({ min: 0, max: 9 }),
    fc.constantFrom('T', ' '),
    fc.constantFrom('', 'Z', '+00', '+00:00'),
    fc.integer({ min: 0, max: 6 }),
  ])('instants', (micros, digits, sep, zone, precision) => {
    const { date, time, frac } = isoOf(micros);
    const fraction = digits === 0 ? '' : `.${(frac + '000').slice(0, digits)}`;
    const text = `${date}${sep}${time}${fraction}${zone}`;
    // A trailing space is accepted only by the general parser.
    expect(canonicalText(text, tstz(precision))).toBe(canonicalText(`${text} `, tstz(precision)));
  });

  fcTest.prop([
    fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }),
    fc.integer({ min: 0, max: 6 }),
  ])('Dates', (ms, precision) => {
    const date = new Date(ms);
    expect(canonicalText(date, tstz(precision))).toBe(canonicalText(BigInt(ms) * 1000n, tstz(precision)));
  });

  fcTest.prop([fc.double(), fc.constantFrom(float64, float32)])('float bytes', (x, type) => {
    const view = new DataView(new ArrayBuffer(8));
    const n = type.kind === 'float32' ? Math.fround(x) : x;
    view.setFloat64(0, n);
    const expected =
      n === 0
        ? '0'
        : Number.isNaN(n)
          ? 'NaN'
          : !Number.isFinite(n)
            ? n > 0
              ? 'Infinity'
              : '-Infinity'
            : view.getUint32(0).toString(16).padStart(8, '0') +
              view.getUint32(4).toString(16).padStart(8, '0');
    expect(canonicalText(x, type)).toBe(expected);
  });
});

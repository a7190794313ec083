import type { Row } from '@cdc/core';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CopyTextDecoder, isoInstant, unescapeCopyText, type CopyField } from './postgres-copy-scan.js';
import { isoFromPostgres } from './postgres-values.js';

/** PostgreSQL's `CopyAttributeOutText` with the tab delimiter: what COPY TO writes for a value. */
function escapeCopyText(value: string): string {
  let out = '';
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\v':
        out += '\\v';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

/**
 * A value as COPY FROM would also accept it: each character raw, as an escape, or as octal/hex bytes
 * (short forms only where the next character cannot be read as one more digit).
 */
function looseEscape(value: string, choices: number[]): string {
  let out = '';
  const chars = [...value];
  chars.forEach((ch, i) => {
    const choice = choices[i % choices.length]!;
    const next = chars[i + 1] ?? '';
    const bytes = [...Buffer.from(ch, 'utf8')];
    const last = (j: number) => j === bytes.length - 1;
    if (choice === 1) {
      out += bytes
        .map((b, j) => `\\${last(j) && /^[0-7]/.test(next) ? b.toString(8).padStart(3, '0') : b.toString(8)}`)
        .join('');
    } else if (choice === 2) out += bytes.map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
    else if (choice === 3) {
      out += bytes
        .map(
          (b, j) =>
            `\\x${last(j) && /^[0-9a-f]/i.test(next) ? b.toString(16).padStart(2, '0') : b.toString(16)}`,
        )
        .join('');
    } else if (choice === 4 && !/[bfnrtvx0-7\n\t]/.test(ch)) out += `\\${ch}`;
    else out += escapeCopyText(ch);
  });
  return out;
}

/** Text with everything COPY escapes, NUL excepted (PostgreSQL text cannot hold it). */
const hostileText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('\\', '\t', '\n', '\r', '\b', '\f', '\v', 'N', '.', 'x', '7', '\u0001', '\u007f'),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    fc.integer({ min: 0x10000, max: 0x10ffff }).map((cp) => String.fromCodePoint(cp)),
  ),
});

describe('unescapeCopyText', () => {
  it('reads every escape COPY writes and COPY FROM reads', () => {
    expect(unescapeCopyText('a\\\\b\\tc\\nd\\re\\bf\\fg\\vh')).toBe('a\\b\tc\nd\re\bf\fg\vh');
    expect(unescapeCopyText('\\\\N')).toBe('\\N');
    expect(unescapeCopyText('\\101\\60\\0\\x41\\x4a\\x4Z')).toBe('A0\u0000AJ\u0004Z');
    expect(unescapeCopyText('\\xg\\q\\.')).toBe('xgq.');
    expect(unescapeCopyText('\\360\\235\\204\\236')).toBe('𝄞');
    expect(unescapeCopyText('é\\xc3\\xa9\\t')).toBe('éé\t');
    expect(unescapeCopyText('plain')).toBe('plain');
  });

  test.prop([hostileText])('undoes COPY TO escaping exactly', (value) => {
    expect(unescapeCopyText(escapeCopyText(value))).toBe(value);
  });

  test.prop([hostileText, fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 8 })])(
    'reads the octal, hex and backslash-character forms COPY FROM accepts',
    (value, choices) => {
      expect(unescapeCopyText(looseEscape(value, choices))).toBe(value);
    },
  );
});

const identity = (text: string): unknown => text;

function encode(rows: (string | null)[][]): Buffer {
  return Buffer.from(
    rows.map((r) => `${r.map((v) => (v === null ? '\\N' : escapeCopyText(v))).join('\t')}\n`).join(''),
    'utf8',
  );
}

function fieldsOf(n: number): CopyField[] {
  return Array.from({ length: n }, (_, i) => ({ name: `c${i}`, parse: identity }));
}

function asRow(values: (string | null)[]): Row {
  return Object.fromEntries(values.map((v, i) => [`c${i}`, v]));
}

describe('CopyTextDecoder', () => {
  test.prop([
    fc.integer({ min: 1, max: 4 }).chain((n) =>
      fc.tuple(
        fc.constant(n),
        fc.array(fc.array(fc.option(hostileText, { nil: null }), { minLength: n, maxLength: n }), {
          maxLength: 20,
        }),
      ),
    ),
    fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 10 }),
    fc.integer({ min: 1, max: 7 }),
  ])(
    'decodes rows whatever the chunk boundaries (inside rows, fields, escapes, characters)',
    ([n, rows], cuts, max) => {
      const bytes = encode(rows);
      const decoder = new CopyTextDecoder(fieldsOf(n), [0]);
      const out: Row[] = [];
      let at = 0;
      let c = 0;
      while (at < bytes.length) {
        const end = Math.min(bytes.length, at + cuts[c++ % cuts.length]!);
        decoder.push(bytes.subarray(at, end));
        while (decoder.take(out, max) === max);
        at = end;
      }
      decoder.finish();
      expect(out).toStrictEqual(rows.map(asRow));
      if (rows.length > 0) expect(decoder.lastKeyTexts).toStrictEqual([rows[rows.length - 1]![0]]);
    },
  );

  it('applies each field parser to unescaped text, never to NULL', () => {
    const decoder = new CopyTextDecoder([
      { name: 'n', parse: Number },
      { name: 't', parse: (t) => `<${t}>` },
    ]);
    decoder.push(Buffer.from('1\t\\\\N\n\\N\t\\N\n2\t\n'));
    const out: Row[] = [];
    expect(decoder.take(out, 10)).toBe(3);
    expect(out).toStrictEqual([
      { n: 1, t: '<\\N>' },
      { n: null, t: null },
      { n: 2, t: '<>' },
    ]);
  });

  it('rejects rows with too few or too many columns, and output cut inside a row', () => {
    const short = new CopyTextDecoder(fieldsOf(2));
    short.push(Buffer.from('a\n'));
    expect(() => short.take([], 1)).toThrow(/does not have 2 columns/);
    const long = new CopyTextDecoder(fieldsOf(2));
    long.push(Buffer.from('a\tb\tc\n'));
    expect(() => long.take([], 1)).toThrow(/does not have 2 columns/);
    const cut = new CopyTextDecoder(fieldsOf(1));
    cut.push(Buffer.from('a\nb'));
    expect(cut.take([], 5)).toBe(1);
    expect(() => cut.finish()).toThrow(/inside a row/);
  });
});

describe('isoInstant', () => {
  const two = (n: number) => String(n).padStart(2, '0');
  /** Texts shaped like PostgreSQL's ISO output of date, timestamp and timestamptz, and near misses. */
  const instantText = fc
    .record({
      year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 10000, max: 294276 })),
      month: fc.integer({ min: 0, max: 19 }),
      day: fc.integer({ min: 0, max: 39 }),
      time: fc.option(
        fc.record({
          h: fc.integer({ min: 0, max: 24 }),
          m: fc.integer({ min: 0, max: 59 }),
          s: fc.integer({ min: 0, max: 59 }),
          fraction: fc.stringMatching(/^(\.\d{0,7})?$/),
        }),
      ),
      zone: fc.constantFrom('', '+00', '+00:00', '-03', '+05:30', '+00:00:01', '+0'),
      bc: fc.boolean(),
      noise: fc.constantFrom('', ' ', 'x', 'T'),
    })
    .map(({ year, month, day, time, zone, bc, noise }) => {
      const date = `${String(year).padStart(4, '0')}-${two(month)}-${two(day)}`;
      const clock = time ? ` ${two(time.h)}:${two(time.m)}:${two(time.s)}${time.fraction}${zone}` : '';
      return `${date}${clock}${bc ? ' BC' : ''}${noise}`;
    });

  test.prop([fc.oneof(instantText, fc.string(), fc.constantFrom('infinity', '-infinity'))], {
    numRuns: 2000,
  })('equals isoFromPostgres on every input', (text) => {
    expect(isoInstant(text)).toBe(isoFromPostgres(text));
  });
});

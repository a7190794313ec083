/**
 * {@link CanonicalBatch}es from {@link CanonicalRow}s: how a source without a byte-level decoder (or a
 * test) offers `packedCanonicalScan`, and the reference layout adapters' own packers must match.
 */
import { Buffer } from 'node:buffer';
import type { CanonicalBatch, CanonicalRow } from './connector.js';

/**
 * Packs `rows` into one {@link CanonicalBatch}: their row strings as UTF-8, each followed by `\n`.
 * `intKeys`: fill {@link CanonicalBatch.intKeys} from each row's single key value (a safe integer as a
 * number or a decimal string; anything else `NaN`).
 */
export function packCanonicalRows(
  rows: readonly CanonicalRow[],
  options: { intKeys?: boolean } = {},
): CanonicalBatch {
  const texts = rows.map((r) => r.rowText);
  const bytes = Buffer.from(texts.map((t) => `${t}\n`).join(''), 'utf8');
  const offsets = new Int32Array(rows.length + 1);
  const keyLengths = new Int32Array(rows.length);
  let o = 0;
  rows.forEach((r, i) => {
    offsets[i] = o;
    keyLengths[i] = Buffer.byteLength(r.keyText, 'utf8');
    o += Buffer.byteLength(texts[i] as string, 'utf8') + 1;
  });
  offsets[rows.length] = o;
  const kept = rows.map((r) => ({ keyText: r.keyText, rowText: r.rowText, key: [...r.key] }));
  let intKeys: Float64Array | undefined;
  if (options.intKeys) {
    intKeys = new Float64Array(rows.length);
    rows.forEach((r, i) => {
      const v = r.key.length === 1 ? r.key[0] : undefined;
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
      (intKeys as Float64Array)[i] = Number.isSafeInteger(n) ? n : NaN;
    });
  }
  return {
    length: rows.length,
    bytes,
    offsets,
    keyLengths,
    ...(intKeys ? { intKeys } : {}),
    row: (i) => {
      const r = kept[i];
      if (!r) throw new RangeError(`row ${i} of a batch of ${rows.length}`);
      return { keyText: r.keyText, rowText: r.rowText, key: [...r.key] };
    },
  };
}

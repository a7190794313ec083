/**
 * Cassandra's Murmur3Partitioner token: the first 64 bits of MurmurHash3_x64_128 (seed 0) of the
 * serialized partition key, with Cassandra's historical quirk of sign-extending the tail bytes, and
 * Long.MIN_VALUE mapped to Long.MAX_VALUE (MIN is reserved as the ring's minimum token).
 */

/** Smallest token of the ring (exclusive lower bound of the first range). */
export const MIN_TOKEN = -(1n << 63n);
/** Largest token of the ring. */
export const MAX_TOKEN = (1n << 63n) - 1n;

// 64-bit arithmetic on (hi, lo) uint32 pairs: BigInt would be ~5× slower, and the diff engine computes a
// token for every row of the non-Scylla side. Results land in RH/RL to avoid allocations.
let RH = 0;
let RL = 0;

function mul(ah: number, al: number, bh: number, bl: number): void {
  const a48 = ah >>> 16;
  const a32 = ah & 0xffff;
  const a16 = al >>> 16;
  const a00 = al & 0xffff;
  const b48 = bh >>> 16;
  const b32 = bh & 0xffff;
  const b16 = bl >>> 16;
  const b00 = bl & 0xffff;
  let c00 = a00 * b00;
  let c16 = c00 >>> 16;
  c00 &= 0xffff;
  c16 += a16 * b00;
  let c32 = c16 >>> 16;
  c16 &= 0xffff;
  c16 += a00 * b16;
  c32 += c16 >>> 16;
  c16 &= 0xffff;
  c32 += a32 * b00;
  let c48 = c32 >>> 16;
  c32 &= 0xffff;
  c32 += a16 * b16;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c32 += a00 * b32;
  c48 += c32 >>> 16;
  c32 &= 0xffff;
  c48 += a48 * b00 + a32 * b16 + a16 * b32 + a00 * b48;
  c48 &= 0xffff;
  RH = ((c48 << 16) | c32) >>> 0;
  RL = ((c16 << 16) | c00) >>> 0;
}

function add(ah: number, al: number, bh: number, bl: number): void {
  const lo = al + bl;
  RL = lo >>> 0;
  RH = (ah + bh + (lo > 0xffffffff ? 1 : 0)) >>> 0;
}

function rotl(h: number, l: number, r: number): void {
  if (r >= 32) {
    const t = h;
    h = l;
    l = t;
    r -= 32;
  }
  if (r === 0) {
    RH = h >>> 0;
    RL = l >>> 0;
    return;
  }
  RH = ((h << r) | (l >>> (32 - r))) >>> 0;
  RL = ((l << r) | (h >>> (32 - r))) >>> 0;
}

const C1H = 0x87c37b91;
const C1L = 0x114253d5;
const C2H = 0x4cf5ad43;
const C2L = 0x2745937f;

function fmix(h: number, l: number): void {
  // k ^= k >>> 33 (the high word shifted by 1 into the low word)
  l = (l ^ (h >>> 1)) >>> 0;
  mul(h, l, 0xff51afd7, 0xed558ccd);
  h = RH;
  l = (RL ^ (h >>> 1)) >>> 0;
  mul(h, l, 0xc4ceb9fe, 0x1a85ec53);
  h = RH;
  RL = (RL ^ (h >>> 1)) >>> 0;
  RH = h;
}

/**
 * The Murmur3 token of serialized partition-key bytes, as a signed 64-bit bigint in
 * `[-2^63 + 1, 2^63 − 1]`. For a composite partition key pass {@link composePartitionKey}'s output.
 */
export function murmur3Token(key: Uint8Array): bigint {
  const length = key.length;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const nblocks = length >> 4;
  let h1h = 0;
  let h1l = 0;
  let h2h = 0;
  let h2l = 0;
  for (let i = 0; i < nblocks; i++) {
    const o = i * 16;
    // little-endian 64-bit blocks
    let k1l = view.getUint32(o, true);
    let k1h = view.getUint32(o + 4, true);
    let k2l = view.getUint32(o + 8, true);
    let k2h = view.getUint32(o + 12, true);
    mul(k1h, k1l, C1H, C1L);
    rotl(RH, RL, 31);
    mul(RH, RL, C2H, C2L);
    k1h = RH;
    k1l = RL;
    h1h = (h1h ^ k1h) >>> 0;
    h1l = (h1l ^ k1l) >>> 0;
    rotl(h1h, h1l, 27);
    add(RH, RL, h2h, h2l);
    mul(RH, RL, 0, 5);
    add(RH, RL, 0, 0x52dce729);
    h1h = RH;
    h1l = RL;
    mul(k2h, k2l, C2H, C2L);
    rotl(RH, RL, 33);
    mul(RH, RL, C1H, C1L);
    k2h = RH;
    k2l = RL;
    h2h = (h2h ^ k2h) >>> 0;
    h2l = (h2l ^ k2l) >>> 0;
    rotl(h2h, h2l, 31);
    add(RH, RL, h1h, h1l);
    mul(RH, RL, 0, 5);
    add(RH, RL, 0, 0x38495ab5);
    h2h = RH;
    h2l = RL;
  }
  const tail = nblocks * 16;
  const rem = length & 15;
  // Cassandra casts tail bytes to long with sign extension: a byte ≥ 0x80 sets every higher bit.
  const xorTail = (from: number, count: number): [number, number] => {
    let hh = 0;
    let ll = 0;
    for (let i = 0; i < count; i++) {
      const b = key[from + i] ?? 0;
      const vh = b >= 0x80 ? 0xffffffff : 0;
      const vl = b >= 0x80 ? (b - 256) >>> 0 : b;
      const shift = i * 8;
      let sh: number;
      let sl: number;
      if (shift === 0) {
        sh = vh;
        sl = vl;
      } else if (shift < 32) {
        sh = ((vh << shift) | (vl >>> (32 - shift))) >>> 0;
        sl = (vl << shift) >>> 0;
      } else {
        sh = (vl << (shift - 32)) >>> 0;
        sl = 0;
      }
      hh = (hh ^ sh) >>> 0;
      ll = (ll ^ sl) >>> 0;
    }
    return [hh, ll];
  };
  if (rem > 8) {
    const [kh, kl] = xorTail(tail + 8, rem - 8);
    mul(kh, kl, C2H, C2L);
    rotl(RH, RL, 33);
    mul(RH, RL, C1H, C1L);
    h2h = (h2h ^ RH) >>> 0;
    h2l = (h2l ^ RL) >>> 0;
  }
  if (rem > 0) {
    const [kh, kl] = xorTail(tail, Math.min(rem, 8));
    mul(kh, kl, C1H, C1L);
    rotl(RH, RL, 31);
    mul(RH, RL, C2H, C2L);
    h1h = (h1h ^ RH) >>> 0;
    h1l = (h1l ^ RL) >>> 0;
  }
  // h ^= length (length < 2^32 for any key CQL accepts)
  h1l = (h1l ^ length) >>> 0;
  h2l = (h2l ^ length) >>> 0;
  add(h1h, h1l, h2h, h2l);
  h1h = RH;
  h1l = RL;
  add(h2h, h2l, h1h, h1l);
  h2h = RH;
  h2l = RL;
  fmix(h1h, h1l);
  h1h = RH;
  h1l = RL;
  fmix(h2h, h2l);
  h2h = RH;
  h2l = RL;
  add(h1h, h1l, h2h, h2l);
  const token = BigInt.asIntN(64, (BigInt(RH) << 32n) | BigInt(RL));
  return token === MIN_TOKEN ? MAX_TOKEN : token;
}

/**
 * Joins serialized partition-key components the way Cassandra's CompositeType does for a multi-column
 * partition key: `[uint16 length][bytes][0x00]` per component. A single component is used as-is.
 */
export function composePartitionKey(components: readonly Uint8Array[]): Uint8Array {
  if (components.length === 1) return components[0] ?? new Uint8Array(0);
  let size = 0;
  for (const c of components) {
    if (c.length > 0xffff) throw new RangeError('A partition-key component is longer than 65535 bytes.');
    size += c.length + 3;
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const c of components) {
    out[o] = c.length >> 8;
    out[o + 1] = c.length & 0xff;
    out.set(c, o + 2);
    o += c.length + 3;
  }
  return out;
}

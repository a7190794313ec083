/**
 * Cassandra's Murmur3Partitioner token: the first 64 bits of MurmurHash3_x64_128 (seed 0) of the
 * serialized partition key, with Cassandra's historical quirk of sign-extending the tail bytes, and
 * Long.MIN_VALUE mapped to Long.MAX_VALUE (MIN is reserved as the ring's minimum token).
 */

const MASK = (1n << 64n) - 1n;
const C1 = 0x87c37b91114253d5n;
const C2 = 0x4cf5ad432745937fn;

/** Smallest token of the ring (exclusive lower bound of the first range). */
export const MIN_TOKEN = -(1n << 63n);
/** Largest token of the ring. */
export const MAX_TOKEN = (1n << 63n) - 1n;

function rotl(x: bigint, r: bigint): bigint {
  return ((x << r) | (x >> (64n - r))) & MASK;
}

function fmix(k: bigint): bigint {
  k ^= k >> 33n;
  k = (k * 0xff51afd7ed558ccdn) & MASK;
  k ^= k >> 33n;
  k = (k * 0xc4ceb9fe1a85ec53n) & MASK;
  k ^= k >> 33n;
  return k;
}

/** Sign-extended byte as an unsigned 64-bit value (Cassandra casts `byte` to `long`). */
function signedByte(b: number): bigint {
  return b < 128 ? BigInt(b) : (BigInt(b) - 256n) & MASK;
}

/**
 * The Murmur3 token of serialized partition-key bytes, as a signed 64-bit bigint in
 * `[-2^63 + 1, 2^63 − 1]`. For a composite partition key pass {@link composePartitionKey}'s output.
 */
export function murmur3Token(key: Uint8Array): bigint {
  const length = key.length;
  const view = new DataView(key.buffer, key.byteOffset, key.byteLength);
  const nblocks = length >> 4;
  let h1 = 0n;
  let h2 = 0n;
  for (let i = 0; i < nblocks; i++) {
    const o = i * 16;
    let k1 = view.getBigUint64(o, true);
    let k2 = view.getBigUint64(o + 8, true);
    k1 = (k1 * C1) & MASK;
    k1 = rotl(k1, 31n);
    k1 = (k1 * C2) & MASK;
    h1 ^= k1;
    h1 = rotl(h1, 27n);
    h1 = (h1 + h2) & MASK;
    h1 = (h1 * 5n + 0x52dce729n) & MASK;
    k2 = (k2 * C2) & MASK;
    k2 = rotl(k2, 33n);
    k2 = (k2 * C1) & MASK;
    h2 ^= k2;
    h2 = rotl(h2, 31n);
    h2 = (h2 + h1) & MASK;
    h2 = (h2 * 5n + 0x38495ab5n) & MASK;
  }
  const tail = nblocks * 16;
  const rem = length & 15;
  let k1 = 0n;
  let k2 = 0n;
  for (let i = rem; i > 8; i--) {
    k2 ^= (signedByte(key[tail + i - 1] ?? 0) << BigInt((i - 9) * 8)) & MASK;
  }
  if (rem > 8) {
    k2 = (k2 * C2) & MASK;
    k2 = rotl(k2, 33n);
    k2 = (k2 * C1) & MASK;
    h2 ^= k2;
  }
  for (let i = Math.min(rem, 8); i > 0; i--) {
    k1 ^= (signedByte(key[tail + i - 1] ?? 0) << BigInt((i - 1) * 8)) & MASK;
  }
  if (rem > 0) {
    k1 = (k1 * C1) & MASK;
    k1 = rotl(k1, 31n);
    k1 = (k1 * C2) & MASK;
    h1 ^= k1;
  }
  h1 ^= BigInt(length);
  h2 ^= BigInt(length);
  h1 = (h1 + h2) & MASK;
  h2 = (h2 + h1) & MASK;
  h1 = fmix(h1);
  h2 = fmix(h2);
  h1 = (h1 + h2) & MASK;
  const token = BigInt.asIntN(64, h1);
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

// A port of Google FarmHash's Fingerprint32 (farmhash.cc: `util::Fingerprint32`, which is
// `farmhashmk::Hash32`), as compiled into the `farmhash` npm package (3.x) that tchannel-node uses.
// FarmHash is Copyright (c) 2014 Google, Inc., MIT licensed.
//
// All arithmetic is on 32-bit integers: `Math.imul` for multiplication, `| 0` after additions, and
// `>>> 0` only on the final result. Words are read little-endian, as FarmHash's Fetch32 does on
// every platform.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** FarmHash's Rotate32 rotates RIGHT. `shift` is never 0 here. */
function rotr(value: number, shift: number): number {
  return (value >>> shift) | (value << (32 - shift));
}

/** Little-endian 32-bit read (FarmHash Fetch32). */
function fetch32(s: Uint8Array, p: number): number {
  return s[p]! | (s[p + 1]! << 8) | (s[p + 2]! << 16) | (s[p + 3]! << 24);
}

/** Murmur3 finaliser. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** Murmur3 helper combining two 32-bit values. */
function mur(a: number, h: number): number {
  a = Math.imul(a, C1);
  a = rotr(a, 17);
  a = Math.imul(a, C2);
  h ^= a;
  h = rotr(h, 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function hash32Len0to4(s: Uint8Array, len: number): number {
  let b = 0;
  let c = 9;
  for (let i = 0; i < len; i++) {
    // FarmHash reads these bytes as `signed char`: sign-extend.
    const v = (s[i]! << 24) >> 24;
    b = (Math.imul(b, C1) + v) | 0;
    c ^= b;
  }
  return fmix(mur(b, mur(len, c)));
}

function hash32Len5to12(s: Uint8Array, len: number): number {
  let a = len;
  let b = Math.imul(len, 5);
  let c = 9;
  const d = b;
  a = (a + fetch32(s, 0)) | 0;
  b = (b + fetch32(s, len - 4)) | 0;
  c = (c + fetch32(s, (len >>> 1) & 4)) | 0;
  return fmix(mur(c, mur(b, mur(a, d))));
}

function hash32Len13to24(s: Uint8Array, len: number): number {
  let a = fetch32(s, -4 + (len >>> 1));
  const b = fetch32(s, 4);
  const c = fetch32(s, len - 8);
  const d = fetch32(s, len >>> 1);
  const e = fetch32(s, 0);
  const f = fetch32(s, len - 4);
  let h = (Math.imul(d, C1) + len) | 0;
  a = (rotr(a, 12) + f) | 0;
  h = (mur(c, h) + a) | 0;
  a = (rotr(a, 3) + c) | 0;
  h = (mur(e, h) + a) | 0;
  a = (rotr((a + f) | 0, 12) + d) | 0;
  h = (mur(b, h) + a) | 0;
  return fmix(h);
}

function hash32Len25Plus(s: Uint8Array, len: number): number {
  let h = len | 0;
  let g = Math.imul(C1, len);
  let f = g;
  const a0 = Math.imul(rotr(Math.imul(fetch32(s, len - 4), C1), 17), C2);
  const a1 = Math.imul(rotr(Math.imul(fetch32(s, len - 8), C1), 17), C2);
  const a2 = Math.imul(rotr(Math.imul(fetch32(s, len - 16), C1), 17), C2);
  const a3 = Math.imul(rotr(Math.imul(fetch32(s, len - 12), C1), 17), C2);
  const a4 = Math.imul(rotr(Math.imul(fetch32(s, len - 20), C1), 17), C2);
  h ^= a0;
  h = rotr(h, 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= a2;
  h = rotr(h, 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  g ^= a1;
  g = rotr(g, 19);
  g = (Math.imul(g, 5) + 0xe6546b64) | 0;
  g ^= a3;
  g = rotr(g, 19);
  g = (Math.imul(g, 5) + 0xe6546b64) | 0;
  f = (f + a4) | 0;
  f = (rotr(f, 19) + 113) | 0;
  // (len - 1) / 20 blocks of 20 bytes from the start; the tail was mixed in above.
  const iters = Math.floor((len - 1) / 20);
  for (let p = 0, n = 0; n < iters; n++, p += 20) {
    const a = fetch32(s, p);
    const b = fetch32(s, p + 4);
    const c = fetch32(s, p + 8);
    const d = fetch32(s, p + 12);
    const e = fetch32(s, p + 16);
    h = (h + a) | 0;
    g = (g + b) | 0;
    f = (f + c) | 0;
    h = (mur(d, h) + e) | 0;
    g = (mur(c, g) + a) | 0;
    f = (mur((b + Math.imul(e, C1)) | 0, f) + d) | 0;
    f = (f + g) | 0;
    g = (g + f) | 0;
  }
  g = Math.imul(rotr(g, 11), C1);
  g = Math.imul(rotr(g, 17), C1);
  f = Math.imul(rotr(f, 11), C1);
  f = Math.imul(rotr(f, 17), C1);
  h = rotr((h + g) | 0, 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h = Math.imul(rotr(h, 17), C1);
  h = rotr((h + f) | 0, 19);
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h = Math.imul(rotr(h, 17), C1);
  return h;
}

/**
 * Google FarmHash `Fingerprint32` of `data` (= `farmhashmk::Hash32`): a portable, forever-fixed
 * 32-bit hash, bit-identical to `require('farmhash').fingerprint32(buffer)`.
 *
 * Checksum type 0x02 on the wire is this hash as tchannel-node computes it (see
 * `computeChecksum`); it exists here only so we can verify and answer tchannel-node peers that
 * choose it. It is not a CRC: it cannot be continued from a prior value.
 *
 * @returns the hash as an unsigned 32-bit integer.
 */
export function fingerprint32(data: Uint8Array): number {
  const len = data.length;
  let h: number;
  if (len <= 4) h = hash32Len0to4(data, len);
  else if (len <= 12) h = hash32Len5to12(data, len);
  else if (len <= 24) h = hash32Len13to24(data, len);
  else h = hash32Len25Plus(data, len);
  return h >>> 0;
}

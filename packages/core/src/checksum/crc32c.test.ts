import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { crc32c, crc32cPortable } from './crc32c';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/** Bit-at-a-time CRC-32C straight from the definition: the reference the fast one must match. */
function crc32cBitwise(data: Uint8Array, prior = 0): number {
  let crc = ~prior >>> 0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** Deterministic pseudo-random bytes (xorshift32). */
function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
  });

  it('matches published CRC-32C vectors (RFC 3720 B.4)', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('is 0 for no bytes, and continuing over no bytes keeps the prior value', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    expect(crc32c(new Uint8Array(0), 0xdeadbeef)).toBe(0xdeadbeef);
  });

  it('chains over ["echo", "", "hello"] like tchannel', () => {
    let csum = 0;
    for (const arg of ['echo', '', 'hello']) csum = crc32c(ascii(arg), csum);
    expect(csum).toBe(0xddf85610);
    expect(crc32c(ascii('echohello'))).toBe(0xddf85610);
  });

  it('matches the bitwise reference on random inputs', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.integer({ min: 0, max: 0xffffffff }), (data, prior) => {
        expect(crc32c(data, prior)).toBe(crc32cBitwise(data, prior));
      }),
      { numRuns: 1000 },
    );
  });

  it('matches the reference at every length and byte offset around the fast-path thresholds', () => {
    // Views at offsets 0..7 of a shared buffer exercise the alignment prologue of the word path.
    const backing = pseudoRandomBytes(4096 + 8, 42);
    for (let offset = 0; offset < 8; offset++) {
      for (let length = 0; length <= 200; length++) {
        const view = backing.subarray(offset, offset + length);
        expect(crc32c(view)).toBe(crc32cBitwise(view));
      }
      const big = backing.subarray(offset, offset + 4096);
      expect(crc32c(big)).toBe(crc32cBitwise(big));
    }
  });

  it('continues: crc32c(a ++ b) === crc32c(b, crc32c(a))', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        expect(crc32c(b, crc32c(a))).toBe(crc32c(concat(a, b)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('native and portable CRC-32C agree', () => {
  test('on random inputs of many sizes, with priors (native addon when installed)', () => {
    // crc32c() picks the native addon for inputs of 512 bytes or more when it is installed.
    for (const size of [0, 1, 511, 512, 513, 4096, 65_537, 1 << 20]) {
      const data = randomBytes(size);
      const prior = size * 2654435761 >>> 0;
      expect(crc32c(data, prior)).toBe(crc32cPortable(data, prior));
    }
  });
});

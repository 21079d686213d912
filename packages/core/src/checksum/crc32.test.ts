import fc from 'fast-check';
import { crc32 } from './crc32';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(ascii('123456789'))).toBe(0xcbf43926);
  });

  it('is 0 for no bytes, and continuing over no bytes keeps the prior value', () => {
    expect(crc32(new Uint8Array(0))).toBe(0);
    expect(crc32(new Uint8Array(0), 0xdeadbeef)).toBe(0xdeadbeef);
    // An empty view with no backing store reaches zlib as a NULL pointer, which zlib's crc32()
    // would answer with 0 instead of the prior value.
    expect(crc32(new TextEncoder().encode(''), 0xdeadbeef)).toBe(0xdeadbeef);
    expect(crc32(new Uint8Array(new ArrayBuffer(0)), 0xdeadbeef)).toBe(0xdeadbeef);
  });

  it('chains over ["echo", "", "hello"] like tchannel', () => {
    let csum = 0;
    for (const arg of ['echo', '', 'hello']) csum = crc32(ascii(arg), csum);
    expect(csum).toBe(0x1f50998b);
    expect(crc32(ascii('echohello'))).toBe(0x1f50998b);
  });

  it('returns an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const v = crc32(data);
        return Number.isInteger(v) && v >= 0 && v <= 0xffffffff;
      }),
    );
  });

  it('continues: crc32(a ++ b) === crc32(b, crc32(a))', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }), (a, b) => {
        expect(crc32(b, crc32(a))).toBe(crc32(concat(a, b)));
      }),
      { numRuns: 500 },
    );
  });
});

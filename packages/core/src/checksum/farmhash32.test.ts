import { fingerprint32 } from './farmhash32';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Bytes (i * 131 + 7) & 0xff: includes bytes ≥ 0x80, which the len ≤ 4 path sign-extends. */
const pattern = (length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 131 + 7) & 0xff);

// Expected values come from the native addon tchannel-node uses:
// require('farmhash').fingerprint32(Buffer) (farmhash 3.3.1). The interop package cross-checks
// thousands more cases against the addon itself.
describe('fingerprint32', () => {
  it.each([
    ['', 3696677242],
    ['echo', 553569981],
    ['hello', 2039911270],
    ['123456789', 4170107472],
  ])('fingerprint32(%j) = %d', (input, expected) => {
    expect(fingerprint32(ascii(input))).toBe(expected);
  });

  it.each([
    [0, 3696677242],
    [1, 3398390666],
    [2, 3851708688],
    [3, 2959214360],
    [4, 1728662496],
    [5, 3779320434],
    [8, 2444139151],
    [12, 2823342134],
    [13, 666863111],
    [20, 2542223967],
    [24, 925883436],
    [25, 1224565309],
    [44, 3291600872],
    [45, 3732613467],
    [64, 4138965054],
    [100, 3028006482],
    [1000, 4142869465],
  ])('covers every length path: %d bytes', (length, expected) => {
    expect(fingerprint32(pattern(length))).toBe(expected);
  });

  it('reads only its own view of a larger buffer', () => {
    const backing = new Uint8Array(1100).fill(0xaa);
    backing.set(pattern(1000), 50);
    expect(fingerprint32(backing.subarray(50, 1050))).toBe(4142869465);
  });
});

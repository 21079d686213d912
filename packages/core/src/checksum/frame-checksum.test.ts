import { ChecksumType } from '../wire/checksum-type';
import { crc32 } from './crc32';
import { crc32c } from './crc32c';
import { fingerprint32 } from './farmhash32';
import { computeChecksum } from './frame-checksum';

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const args = ['echo', '', 'hello'].map(ascii);

describe('computeChecksum', () => {
  it('None is always 0', () => {
    expect(computeChecksum(ChecksumType.None, args, 0)).toBe(0);
    expect(computeChecksum(ChecksumType.None, args, 1234)).toBe(0);
  });

  it('Crc32 over ["echo", "", "hello"]', () => {
    expect(computeChecksum(ChecksumType.Crc32, args, 0)).toBe(0x1f50998b);
  });

  it('Crc32c over ["echo", "", "hello"]', () => {
    expect(computeChecksum(ChecksumType.Crc32c, args, 0)).toBe(0xddf85610);
  });

  it('Farmhash32 over ["echo", "", "hello"] is fingerprint32("hello") alone', () => {
    expect(computeChecksum(ChecksumType.Farmhash32, args, 0)).toBe(2039911270);
    expect(computeChecksum(ChecksumType.Farmhash32, args, 0)).toBe(fingerprint32(ascii('hello')));
  });

  it('Farmhash32 ignores the prior value and earlier chunks (tchannel-node quirk)', () => {
    expect(computeChecksum(ChecksumType.Farmhash32, args, 0xdeadbeef)).toBe(2039911270);
    expect(computeChecksum(ChecksumType.Farmhash32, [ascii('x'), ascii('hello')], 7)).toBe(2039911270);
  });

  it('Farmhash32 hashes a trailing empty chunk rather than skipping it', () => {
    expect(computeChecksum(ChecksumType.Farmhash32, [ascii('echo'), ascii('')], 0)).toBe(3696677242);
  });

  it('with no chunks, every type but None yields the prior value (as tchannel-node does)', () => {
    expect(computeChecksum(ChecksumType.Crc32, [], 0x1234)).toBe(0x1234);
    expect(computeChecksum(ChecksumType.Crc32c, [], 0x1234)).toBe(0x1234);
    expect(computeChecksum(ChecksumType.Farmhash32, [], 0x1234)).toBe(0x1234);
    expect(computeChecksum(ChecksumType.Farmhash32, [], 0)).toBe(0);
  });

  it('chains CRCs across frames: frame k is seeded with frame k-1', () => {
    const frame1 = [ascii('echo'), ascii('')];
    const frame2 = [ascii('hel'), ascii('lo')];
    for (const [type, crc] of [
      [ChecksumType.Crc32, crc32],
      [ChecksumType.Crc32c, crc32c],
    ] as const) {
      const first = computeChecksum(type, frame1, 0);
      expect(first).toBe(crc(ascii('echo')));
      expect(computeChecksum(type, frame2, first)).toBe(crc(ascii('echohello')));
    }
  });

  it('rejects a value outside the enum', () => {
    expect(() => computeChecksum(9 as ChecksumType, args, 0)).toThrow(RangeError);
  });
});

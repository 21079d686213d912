// Cross-checks our pure-TypeScript checksums against the native addons tchannel-node 4.0.1 itself
// loads (resolved from tchannel's own dependencies, so these are exactly the builds it runs with):
// `farmhash` (Fingerprint32) and `sse4_crc32` (CRC-32C), and then against tchannel-node's
// v2/checksum.js `Checksum#compute` for whole frames.
import * as path from 'node:path';
import { ChecksumType, computeChecksum, crc32, crc32c, fingerprint32 } from '@tchannel/core';

interface NativeFarmhash {
  fingerprint32(input: Buffer): number;
}

interface NativeCrc32c {
  calculate(input: Buffer, initial?: number): number;
  hardware_support?: boolean;
  sse42_crc?: (input: Buffer, initial?: number) => number;
  table_crc?: (input: Buffer, initial?: number) => number;
}

interface TchannelChecksum {
  compute(args: Buffer[], prior: number): number;
}
type TchannelChecksumCtor = new (type: number) => TchannelChecksum;

const tchannelDir = path.dirname(require.resolve('tchannel/package.json'));
const nativeFarmhash = require(require.resolve('farmhash', { paths: [tchannelDir] })) as NativeFarmhash;
const nativeCrc32c = require(require.resolve('sse4_crc32', { paths: [tchannelDir] })) as NativeCrc32c;
const TchannelChecksumClass = require(path.join(tchannelDir, 'v2', 'checksum.js')) as TchannelChecksumCtor;

/** mulberry32: a small seeded PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function randomBuffer(next: () => number, length: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let i = 0;
  for (; i + 4 <= length; i += 4) buf.writeUInt32LE(next(), i);
  for (; i < length; i++) buf[i] = next() & 0xff;
  return buf;
}

/** Random lengths 0..300 (several of each), a few boundary fills, and some large inputs. */
function* cases(seed: number): Generator<Buffer> {
  const next = prng(seed);
  for (let length = 0; length <= 300; length++) {
    for (let k = 0; k < 10; k++) yield randomBuffer(next, length);
    yield Buffer.alloc(length, 0x00);
    yield Buffer.alloc(length, 0xff);
    yield Buffer.alloc(length, 0x80);
  }
  for (const length of [1000, 1023, 4096, 4099, 65536 + 7, 1 << 20]) yield randomBuffer(next, length);
  // Unaligned views into a larger buffer.
  const backing = randomBuffer(next, 10_000);
  for (let offset = 0; offset < 8; offset++) {
    for (const length of [0, 3, 17, 63, 64, 65, 200, 9000]) yield backing.subarray(offset, offset + length);
  }
}

describe('fingerprint32 vs the native farmhash addon', () => {
  it('agrees on thousands of inputs covering every length path', () => {
    let n = 0;
    for (const buf of cases(0xfa3)) {
      const expected = nativeFarmhash.fingerprint32(buf);
      if (fingerprint32(buf) !== expected) {
        throw new Error(`mismatch at length ${buf.length}: ${buf.toString('hex').slice(0, 120)}`);
      }
      n++;
    }
    expect(n).toBe(301 * 13 + 6 + 8 * 8);
  });

  it('the addon ignores a second (seed) argument, which tchannel-node passes anyway', () => {
    const fp = nativeFarmhash.fingerprint32 as (input: Buffer, seed?: number) => number;
    const buf = Buffer.from('hello');
    expect(fp(buf, 0xdeadbeef)).toBe(fp(buf));
    expect(fp(buf, 1)).toBe(fingerprint32(buf));
  });
});

describe('crc32c vs the native sse4_crc32 addon', () => {
  type NativeFn = (input: Buffer, initial?: number) => number;
  // The addon throws on an explicit `undefined` initial value: omit the argument instead.
  const wrap =
    (fn: NativeFn): NativeFn =>
    (b, i) =>
      i === undefined ? fn(b) : fn(b, i);
  const implementations: [string, NativeFn][] = [['calculate', wrap(nativeCrc32c.calculate)]];
  // Both of the addon's code paths, when it exposes them (it does unless NODE_ENV handling changes).
  if (nativeCrc32c.sse42_crc && nativeCrc32c.hardware_support) {
    implementations.push(['sse42_crc', wrap(nativeCrc32c.sse42_crc)]);
  }
  if (nativeCrc32c.table_crc) implementations.push(['table_crc', wrap(nativeCrc32c.table_crc)]);

  it.each(implementations)('agrees with %s from no prior value', (_name, native) => {
    for (const buf of cases(0xc5c)) {
      if (crc32c(buf) !== native(buf)) throw new Error(`mismatch at length ${buf.length}`);
    }
  });

  it.each(implementations)('agrees with %s continuing from random prior values', (_name, native) => {
    const next = prng(0x5eed);
    for (const buf of cases(0xc5d)) {
      const prior = next();
      if (crc32c(buf, prior) !== native(buf, prior)) {
        throw new Error(`mismatch at length ${buf.length}, prior ${prior}`);
      }
    }
  });

  it('chains like the addon: calculate(b, calculate(a)) over many splits', () => {
    const next = prng(0xc4a1);
    for (let k = 0; k < 2000; k++) {
      const chunks = Array.from({ length: 1 + (next() % 5) }, () => randomBuffer(next, next() % 200));
      let ours = 0;
      let theirs = 0;
      for (const chunk of chunks) {
        ours = crc32c(chunk, ours);
        theirs = nativeCrc32c.calculate(chunk, theirs);
      }
      expect(ours).toBe(theirs);
      expect(ours).toBe(crc32c(Buffer.concat(chunks)));
    }
  });

  it('known vectors', () => {
    expect(nativeCrc32c.calculate(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});

describe('computeChecksum vs tchannel-node v2/checksum.js Checksum#compute', () => {
  const types = [ChecksumType.None, ChecksumType.Crc32, ChecksumType.Farmhash32, ChecksumType.Crc32c];

  it.each(types)('type %d on ["echo", "", "hello"]', (type) => {
    const args = ['echo', '', 'hello'].map((s) => Buffer.from(s));
    expect(computeChecksum(type, args, 0)).toBe(new TchannelChecksumClass(type).compute(args, 0));
  });

  it.each(types)('type %d on random frames with random priors', (type) => {
    const next = prng(0xf4a + type);
    const theirs = new TchannelChecksumClass(type);
    for (let k = 0; k < 1000; k++) {
      const chunks = Array.from({ length: next() % 4 }, () => randomBuffer(next, next() % 100));
      const prior = k % 3 === 0 ? 0 : next();
      expect(computeChecksum(type, chunks, prior)).toBe(theirs.compute(chunks, prior));
    }
  });

  it('crc32 agrees with tchannel-node (the crc package) across a multi-frame message', () => {
    const frames = [['ec', ''], ['ho'], ['', 'hel'], ['lo']].map((f) => f.map((s) => Buffer.from(s)));
    const theirs = new TchannelChecksumClass(ChecksumType.Crc32);
    let ours = 0;
    let tchannelNode = 0;
    for (const frame of frames) {
      ours = computeChecksum(ChecksumType.Crc32, frame, ours);
      tchannelNode = theirs.compute(frame, tchannelNode);
      expect(ours).toBe(tchannelNode);
    }
    expect(ours).toBe(crc32(Buffer.from('echohello')));
  });
});

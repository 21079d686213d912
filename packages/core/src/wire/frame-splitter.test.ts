import fc from 'fast-check';
import { InvalidMessageError } from '../errors/local-errors';
import { frameArb } from './frame-arbitraries.fixtures';
import { decodeFrame, encodeFrame } from './frame-codec';
import { createFrameSplitter, type FrameSplitter } from './frame-splitter';
import { FRAME_VECTORS, wire, zeros } from './frame-vectors.fixtures';

const STREAM = Buffer.concat(FRAME_VECTORS.map((v) => v.bytes));
const SIZES = FRAME_VECTORS.map((v) => v.bytes.length);

/**
 * Feeds `chunks` to a fresh splitter and returns the frames out. After every push, checks that the
 * bytes held are exactly those not yet returned and fewer than the frame being assembled (so the
 * splitter never holds more than one frame). Checks are plain comparisons, reported once at the
 * end, to keep the every-offset sweep fast.
 */
function split(chunks: readonly Buffer[], frameSizes: readonly number[]): Buffer[] {
  const splitter = createFrameSplitter();
  const out: Buffer[] = [];
  const violations: string[] = [];
  let pushed = 0;
  let emitted = 0;
  for (const chunk of chunks) {
    const frames = splitter.push(chunk);
    pushed += chunk.length;
    for (const f of frames) {
      out.push(f);
      emitted += f.length;
    }
    const next = frameSizes[out.length] ?? 1;
    if (splitter.buffered !== pushed - emitted || splitter.buffered >= next) {
      violations.push(`after ${pushed} bytes: buffered ${splitter.buffered}, unreturned ${pushed - emitted}, next frame ${next}`);
    }
  }
  expect(violations).toEqual([]);
  return out;
}

const GOLDEN_HEX = FRAME_VECTORS.map((v) => v.bytes.toString('hex')).join(' ');

/** The frames out are the golden frames, byte for byte (and so decode to the golden frames). */
function expectGoldenFrames(frames: readonly Buffer[]): void {
  expect(frames.map((f) => f.toString('hex')).join(' ')).toBe(GOLDEN_HEX);
}

/** Cuts `bytes` at the given offsets (any order, duplicates allowed). */
function cutAt(bytes: Buffer, offsets: readonly number[]): Buffer[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

describe('createFrameSplitter', () => {
  it('returns every golden frame from the whole stream in one chunk, as views into it', () => {
    const frames = split([STREAM], SIZES);
    expectGoldenFrames(frames);
    frames.forEach((f, i) => expect(decodeFrame(f)).toEqual(FRAME_VECTORS[i]?.frame));
    for (const f of frames) expect(f.buffer).toBe(STREAM.buffer);
  });

  it('returns every golden frame when the stream is split in two at every byte offset', () => {
    for (let at = 0; at <= STREAM.length; at++) {
      expectGoldenFrames(split([STREAM.subarray(0, at), STREAM.subarray(at)], SIZES));
    }
  });

  it('returns every golden frame when fed one byte at a time', () => {
    const bytes = [...STREAM].map((b) => Buffer.from([b]));
    expectGoldenFrames(split(bytes, SIZES));
  });

  it('returns every golden frame under random chunkings', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (offsets) => {
        expectGoldenFrames(split(cutAt(STREAM, offsets), SIZES));
      }),
      { numRuns: 300 },
    );
  });

  it('returns arbitrary frames, byte for byte, under random chunkings', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, offsets) => {
        const encoded = frames.map(encodeFrame);
        const stream = Buffer.concat(encoded);
        const out = split(cutAt(stream, offsets), encoded.map((e) => e.length));
        expect(out.length).toBe(encoded.length);
        out.forEach((f, i) => {
          expect(f.equals(encoded[i] as Buffer)).toBe(true);
          expect(decodeFrame(f)).toEqual(frames[i]);
        });
      }),
      { numRuns: 100 },
    );
  });

  it('ignores empty chunks', () => {
    const splitter = createFrameSplitter();
    expect(splitter.push(Buffer.alloc(0))).toEqual([]);
    expect(splitter.push(STREAM.subarray(0, 1))).toEqual([]);
    expect(splitter.push(Buffer.alloc(0))).toEqual([]);
    expect(splitter.buffered).toBe(1);
  });

  it('holds at most one frame of 65535 bytes, whatever the chunking', () => {
    const big = Buffer.alloc(0xffff, 0x61);
    big.set(wire([0xff, 0xff, 0xd0, 0x00, ...zeros(12)])); // size:2 = 65535; the body is not decoded here
    const stream = Buffer.concat([big, big]);
    const splitter: FrameSplitter = createFrameSplitter();
    let maxBuffered = 0;
    const out: Buffer[] = [];
    for (let at = 0; at < stream.length; at += 1000) {
      out.push(...splitter.push(stream.subarray(at, at + 1000)));
      maxBuffered = Math.max(maxBuffered, splitter.buffered);
    }
    expect(out.map((f) => f.length)).toEqual([0xffff, 0xffff]);
    expect(maxBuffered).toBeLessThan(0xffff);
    expect(splitter.buffered).toBe(0);
  });

  describe('rejects a size field below 16 with InvalidMessageError', () => {
    it.each(Array.from({ length: 16 }, (_, size) => size))('size %i', (size) => {
      const splitter = createFrameSplitter();
      const err = catchPush(splitter, [wire([0x00, size, 0xd0, 0x00])]);
      expect(err).toBeInstanceOf(InvalidMessageError);
      expect(splitter.buffered).toBe(0);
    });

    it('when the size field is split across chunks', () => {
      const splitter = createFrameSplitter();
      expect(splitter.push(wire([0x00]))).toEqual([]);
      expect(catchPush(splitter, [wire([0x0f])])).toBeInstanceOf(InvalidMessageError);
    });

    it('after valid frames in the same chunk', () => {
      // The frames before the corruption are returned (and answered); the error is kept for after.
      const splitter = createFrameSplitter();
      const err = catchPush(splitter, [Buffer.concat([STREAM, wire([0x00, 0x03])])]);
      expect(err).toBeUndefined();
      expect(splitter.takeError()).toBeInstanceOf(InvalidMessageError);
    });

    it('after valid frames in an earlier chunk', () => {
      const splitter = createFrameSplitter();
      expectGoldenFrames(splitter.push(STREAM));
      expect(catchPush(splitter, [wire([0x00, 0x00, 0x00])])).toBeInstanceOf(InvalidMessageError);
    });
  });
});

function catchPush(splitter: FrameSplitter, chunks: readonly Buffer[]): unknown {
  try {
    for (const c of chunks) splitter.push(c);
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('corruption after whole frames', () => {
  test('frames before a size below 16 are returned first; the error follows', () => {
    const splitter = createFrameSplitter();
    const ping = Buffer.from([0x00, 0x10, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x07, 0, 0, 0, 0, 0, 0, 0, 0]);
    const frames = splitter.push(Buffer.concat([ping, Buffer.from([0x00, 0x05, 0xff])]));
    expect(frames).toEqual([ping]);
    expect(splitter.takeError()).toBeInstanceOf(InvalidMessageError);
    expect(() => splitter.push(ping)).toThrow(InvalidMessageError);
  });
});

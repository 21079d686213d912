import fc from 'fast-check';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32c } from '../checksum/crc32c';
import { InvalidMessageError, StreamingError } from '../errors/local-errors';
import { ChecksumType } from '../wire/checksum-type';
import { CallFlags } from '../wire/flags';
import { FrameType } from '../wire/frame-type';
import type { CallFrame } from '../wire/frames';
import { headers, TRACING } from '../wire/frame-vectors.fixtures';
import { MessageFragmenter, fragmentMessage } from './message-fragmenter';
import type { CallArgs, CallRequestHead, MessageHead } from './message-head';
import {
  ALL_CHECKSUM_TYPES,
  argsOf,
  bytesOf,
  checkFragments,
  continueOverhead,
  encodedSizes,
  firstFrameOverhead,
  reassemble,
  REQUEST_HEAD,
  RESPONSE_HEAD,
  sameArgs,
} from './message.fixtures';

const MAX = 0xffff;
const KiB = 1024;
const MiB = 1024 * 1024;

/** Fragments, checks the spec's rules, round-trips every frame through the codec, and reassembles. */
function fragmentAndCheck(head: MessageHead, checksumType: ChecksumType, args: CallArgs, maxFrameSize = MAX): CallFrame[] {
  const frames = fragmentMessage(42, head, args, checksumType, maxFrameSize);
  const decoded = checkFragments(frames, { id: 42, head, checksumType, args, maxFrameSize, full: true });
  expect(sameArgs(reassemble(decoded), args)).toBe(true);
  return frames;
}

const HEADS = [
  ['call req', REQUEST_HEAD],
  ['call res', RESPONSE_HEAD],
] as const;

/**
 * Arg sizes named by where they end relative to frame boundaries. F is the first frame's overhead
 * before arg1's length prefix, C a continue frame's; each arg costs 2 bytes of length prefix.
 */
function sizeCases(head: MessageHead, type: ChecksumType): ReadonlyArray<readonly [string, number, number, number, number]> {
  const F = firstFrameOverhead(head, type);
  const C = continueOverhead(type);
  const firstRoom = MAX - F - 6; // arg bytes that fit in the first frame with all three prefixes
  const contRoom = MAX - C - 2; // arg bytes of one arg that fit in a continue frame
  return [
    // [name, arg1, arg2, arg3, expected frame count]
    ['all empty', 0, 0, 0, 1],
    ['one byte each', 1, 1, 1, 1],
    ['exactly filling the first frame (arg3 ends at its end)', 4, 100, firstRoom - 104, 1],
    ['one byte more than the first frame holds', 4, 100, firstRoom - 103, 2],
    ['arg2 ends exactly at the first frame boundary', 4, firstRoom + 2 - 4, 5, 2],
    ['arg2 ends exactly at the first frame boundary, arg3 empty', 4, firstRoom + 2 - 4, 0, 2],
    ['arg2 ends one byte before the first frame boundary', 4, firstRoom + 1 - 4, 5, 2],
    ['arg2 ends two bytes before the first frame boundary (only arg3~2 fits), arg3 empty', 4, firstRoom - 4, 0, 1],
    ['arg2 ends two bytes before the first frame boundary (only arg3~2 fits), arg3 of 5', 4, firstRoom - 4, 5, 2],
    ['arg2 ends exactly at a continue frame boundary', 4, firstRoom + 2 - 4 + contRoom, 5, 3],
    ['arg3 ends exactly at the second frame boundary', 4, 10, firstRoom - 14 + contRoom, 2],
    ['arg3 ends exactly at the third frame boundary', 4, 10, firstRoom - 14 + 2 * contRoom, 3],
    ['arg1 of 16 KiB', 16 * KiB, 0, 0, 1],
    ['1 MiB arg3', 4, 20, MiB, 17],
    ['100 KiB arg2 + 100 KiB arg3', 4, 100 * KiB, 100 * KiB, 4],
  ];
}

describe('fragmentMessage', () => {
  describe.each(HEADS)('%s', (_kind, head) => {
    describe.each(ALL_CHECKSUM_TYPES.map((t) => [ChecksumType[t], t] as const))('checksum %s', (_name, type) => {
      it.each(sizeCases(head, type))('%s', (_case, a1, a2, a3, count) => {
        const args = argsOf(a1, a2, a3);
        const frames = fragmentAndCheck(head, type, args);
        expect(frames).toHaveLength(count);
      });
    });
  });

  it('fills the first frame to exactly 65535 bytes and sends no empty trailing frame', () => {
    const F = firstFrameOverhead(REQUEST_HEAD, ChecksumType.Crc32c);
    const frames = fragmentAndCheck(REQUEST_HEAD, ChecksumType.Crc32c, argsOf(4, 100, MAX - F - 6 - 104));
    expect(encodedSizes(frames)).toEqual([MAX]);
    expect(frames[0]?.flags).toBe(0);
  });

  it('puts the byte that does not fit alone in a continue frame', () => {
    const F = firstFrameOverhead(REQUEST_HEAD, ChecksumType.Crc32c);
    const args = argsOf(4, 100, MAX - F - 6 - 103);
    const frames = fragmentAndCheck(REQUEST_HEAD, ChecksumType.Crc32c, args);
    expect(encodedSizes(frames)).toEqual([MAX, continueOverhead(ChecksumType.Crc32c) + 2 + 1]);
    expect(frames[1]?.args).toEqual([args[2].subarray(args[2].length - 1)]);
  });

  it('ends an arg that fills a frame, when another arg follows, with a leading zero-length chunk (spec "Fragmentation")', () => {
    // docs/protocol.md: "If the arg happens to end on an exact frame boundary, the next continuation
    // frame will start with a size of 0 bytes for that arg." Its example's last frame:
    //   0x13 | flags:1=0x0, csumtype:1, csum:4, arg2~2=0x0<0 bytes> arg3~2=0x8<8 bytes>
    const type = ChecksumType.Crc32c;
    const F = firstFrameOverhead(REQUEST_HEAD, type);
    const arg1 = Buffer.from('echo');
    const arg2 = bytesOf(MAX - F - 2 - 4 - 2, 7); // arg1~2 and arg2~2 fill the frame exactly
    const arg3 = Buffer.from('hello');
    const frames = fragmentAndCheck(REQUEST_HEAD, type, [arg1, arg2, arg3]);

    expect(frames).toHaveLength(2);
    const [first, second] = frames as [CallFrame, CallFrame];
    expect(encodedSizes(frames)[0]).toBe(MAX);
    expect(first.type).toBe(FrameType.CallRequest);
    expect(first.flags).toBe(CallFlags.MoreFragments);
    expect(first.args.map((a) => a.length)).toEqual([4, arg2.length]);

    expect(second.type).toBe(FrameType.CallRequestContinue);
    expect(second.flags).toBe(0);
    expect(second.args.map((a) => a.length)).toEqual([0, 5]); // arg2~2 = 0, then arg3~2 = 5
    expect(second.args[1]?.toString()).toBe('hello');
    // The last frame's checksum covers every arg byte of the message.
    expect(second.checksum).toBe(crc32c(Buffer.concat([arg1, arg2, arg3])));
    expect(first.checksum).toBe(crc32c(Buffer.concat([arg1, arg2])));
  });

  it('gives an empty arg3 after a frame-filling arg2 its own zero-length chunk', () => {
    const F = firstFrameOverhead(RESPONSE_HEAD, ChecksumType.Crc32);
    const args: CallArgs = [Buffer.alloc(0), bytesOf(MAX - F - 4, 3), Buffer.alloc(0)];
    const frames = fragmentAndCheck(RESPONSE_HEAD, ChecksumType.Crc32, args);
    expect(frames.map((f) => f.args.map((a) => a.length))).toEqual([[0, args[1].length], [0, 0]]);
  });

  it('starts arg3 with zero bytes when only its length prefix fits, and continues it', () => {
    const F = firstFrameOverhead(REQUEST_HEAD, ChecksumType.None);
    const args: CallArgs = [Buffer.from('echo'), bytesOf(MAX - F - 6 - 4, 5), Buffer.from('hello')];
    const frames = fragmentAndCheck(REQUEST_HEAD, ChecksumType.None, args);
    expect(frames.map((f) => f.args.map((a) => a.length))).toEqual([[4, args[1].length, 0], [5]]);
  });

  it('makes the last checksum the CRC of all arg bytes, for 1 MiB', () => {
    const args = argsOf(4, 20, MiB);
    const all = Buffer.concat(args);
    const c = fragmentMessage(1, REQUEST_HEAD, args, ChecksumType.Crc32c);
    expect(c[c.length - 1]?.checksum).toBe(crc32c(all));
    const z = fragmentMessage(1, REQUEST_HEAD, args, ChecksumType.Crc32);
    expect(z[z.length - 1]?.checksum).toBe(zlibCrc32(all));
  });

  it('carries the head flags (streaming) on the first frame only', () => {
    const head: CallRequestHead = { ...REQUEST_HEAD, flags: CallFlags.Streaming };
    const frames = fragmentMessage(9, head, argsOf(4, 0, 200 * KiB), ChecksumType.Crc32c);
    checkFragments(frames, { id: 9, head, checksumType: ChecksumType.Crc32c, args: argsOf(4, 0, 200 * KiB), full: true });
    expect(frames[0]?.flags).toBe(CallFlags.Streaming | CallFlags.MoreFragments);
    expect(frames.slice(1).map((f) => f.flags & CallFlags.Streaming)).toEqual(frames.slice(1).map(() => 0));
  });

  it('does not copy arg bytes: chunks are views of the args', () => {
    const args = argsOf(4, 10, 200 * KiB);
    for (const frame of fragmentMessage(1, REQUEST_HEAD, args, ChecksumType.Crc32c)) {
      for (const chunk of frame.args) {
        if (chunk.length > 0) expect(args.some((a) => a.buffer === chunk.buffer)).toBe(true);
      }
    }
  });

  it('rejects a head that leaves no room for args in the first frame', () => {
    const many = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`key-${String(i).padStart(3, '0')}`, 'v'.repeat(255)]));
    const head: CallRequestHead = { ...REQUEST_HEAD, headers: headers(many) };
    expect(() => fragmentMessage(1, head, argsOf(0, 0, 0), ChecksumType.Crc32c, 20000)).toThrow(InvalidMessageError);
  });

  it('ends an arg1 that fills the first frame with a zero-length chunk in the next (small frames)', () => {
    const type = ChecksumType.Crc32c;
    const maxFrameSize = firstFrameOverhead(REQUEST_HEAD, type) + 2 + 10;
    const args = argsOf(10, 3, 3);
    const frames = fragmentAndCheck(REQUEST_HEAD, type, args, maxFrameSize);
    expect(frames.map((f) => f.args.map((a) => a.length))).toEqual([[10], [0, 3, 3]]);
  });

  it('round-trips args that end within 3 bytes of a frame boundary (random frame sizes)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 200, max: 3000 }),
        fc.constantFrom(0, 1), // which arg ends near the boundary: arg1 or arg2
        fc.integer({ min: 0, max: 3 }), // continue frames it spans first
        fc.integer({ min: -3, max: 3 }),
        fc.integer({ min: 0, max: 50 }),
        fc.constantFrom(...ALL_CHECKSUM_TYPES),
        fc.constantFrom(REQUEST_HEAD, RESPONSE_HEAD),
        (maxFrameSize, which, spans, delta, rest, type, head) => {
          const F = firstFrameOverhead(head, type);
          const C = continueOverhead(type);
          const reach = spans * (maxFrameSize - C - 2) + delta;
          const sizes =
            which === 0
              ? ([maxFrameSize - F - 2 + reach, rest, rest] as const)
              : ([3, maxFrameSize - F - 4 - 3 + reach, rest] as const);
          const args = argsOf(...sizes);
          const frames = fragmentMessage(7, head, args, type, maxFrameSize);
          const decoded = checkFragments(frames, { id: 7, head, checksumType: type, args, maxFrameSize, full: true });
          expect(sameArgs(reassemble(decoded), args)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips random arg sizes (0..200 KiB) and frame sizes (200..65535)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 16 * KiB }),
        fc.integer({ min: 0, max: 200 * KiB }),
        fc.integer({ min: 0, max: 200 * KiB }),
        fc.oneof(fc.integer({ min: 200, max: 2000 }), fc.integer({ min: 200, max: MAX })),
        fc.constantFrom(...ALL_CHECKSUM_TYPES),
        fc.constantFrom(REQUEST_HEAD, RESPONSE_HEAD),
        (a1, a2, a3, maxFrameSize, type, head) => {
          const args = argsOf(a1, a2, a3);
          const frames = fragmentMessage(7, head, args, type, maxFrameSize);
          const decoded = checkFragments(frames, { id: 7, head, checksumType: type, args, maxFrameSize, full: true });
          expect(sameArgs(reassemble(decoded), args)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('MessageFragmenter (streaming)', () => {
  /** A fragmenter that collects its frames. */
  function collect(head: MessageHead, type: ChecksumType, maxFrameSize = MAX): { fragmenter: MessageFragmenter; frames: CallFrame[] } {
    const frames: CallFrame[] = [];
    return { fragmenter: new MessageFragmenter(5, head, type, (f) => frames.push(f), maxFrameSize), frames };
  }

  it('reproduces the spec\'s fragmentation example frame by frame', () => {
    // docs/protocol.md "Fragmentation", Example: 4-byte arg1, 2-byte arg2, 8-byte arg3, streamed.
    const head: CallRequestHead = { kind: 'request', ttl: 0x2328, tracing: TRACING, service: 'svc A', headers: headers({ k: 'abcdefghij' }) };
    const { fragmenter, frames } = collect(head, ChecksumType.Crc32c);
    const arg1 = Buffer.from('ABCD');
    const arg2 = Buffer.from('ef');
    const arg3 = Buffer.from('01234567');

    fragmenter.write(0, arg1.subarray(0, 2));
    fragmenter.flush(); // frame 1: arg1~2=0x2, arg1 incomplete
    expect(frames).toHaveLength(1);
    fragmenter.write(0, arg1.subarray(2));
    fragmenter.write(1, arg2);
    fragmenter.flush(); // frame 2: arg1~2=0x2 arg2~2=0x2, arg2 incomplete
    expect(frames).toHaveLength(2);
    fragmenter.write(2, arg3);
    fragmenter.end(); // frame 3: arg2~2=0x0 arg3~2=0x8, complete

    expect(frames.map((f) => [f.type, f.flags, f.args.map((a) => a.toString())])).toEqual([
      [FrameType.CallRequest, 0x1, ['AB']],
      [FrameType.CallRequestContinue, 0x1, ['CD', 'ef']],
      [FrameType.CallRequestContinue, 0x0, ['', '01234567']],
    ]);
    // "The checksum for each frame is seeded with the cumulative checksum from the previous frames."
    expect(frames.map((f) => f.checksum)).toEqual([crc32c(Buffer.from('AB')), crc32c(Buffer.from('ABCDef')), crc32c(Buffer.from('ABCDef01234567'))]);
    const decoded = checkFragments(frames, { id: 5, head, checksumType: ChecksumType.Crc32c, args: [arg1, arg2, arg3] });
    expect(reassemble(decoded).map((a) => a.toString())).toEqual(['ABCD', 'ef', '01234567']);
  });

  it('flush() before any write sends the first frame with an empty, incomplete arg1', () => {
    const { fragmenter, frames } = collect(RESPONSE_HEAD, ChecksumType.Crc32);
    fragmenter.flush();
    fragmenter.flush(); // nothing new: no frame
    expect(frames.map((f) => [f.type, f.flags, f.args.length])).toEqual([[FrameType.CallResponse, CallFlags.MoreFragments, 1]]);
    fragmenter.write(2, Buffer.from('body'));
    fragmenter.end();
    fragmenter.end(); // idempotent
    expect(frames).toHaveLength(2);
    const args: CallArgs = [Buffer.alloc(0), Buffer.alloc(0), Buffer.from('body')];
    expect(sameArgs(reassemble(checkFragments(frames, { id: 5, head: RESPONSE_HEAD, checksumType: ChecksumType.Crc32, args })), args)).toBe(true);
  });

  it('end() after a flush sends a last frame that ends the open arg', () => {
    const { fragmenter, frames } = collect(REQUEST_HEAD, ChecksumType.Crc32c);
    fragmenter.write(0, Buffer.from('echo'));
    fragmenter.write(1, Buffer.from('h'));
    fragmenter.write(2, Buffer.from('hello'));
    fragmenter.flush();
    fragmenter.end();
    expect(frames.map((f) => [f.flags, f.args.map((a) => a.toString())])).toEqual([
      [CallFlags.MoreFragments, ['echo', 'h', 'hello']],
      [0, ['']],
    ]);
    expect(reassemble(frames.map((f) => f)).map((a) => a.toString())).toEqual(['echo', 'h', 'hello']);
  });

  it('rejects writes after end() and to an arg before the current one', () => {
    const { fragmenter } = collect(REQUEST_HEAD, ChecksumType.None);
    fragmenter.write(1, Buffer.from('x'));
    expect(() => fragmenter.write(0, Buffer.from('y'))).toThrow(StreamingError);
    expect(() => fragmenter.write(3, Buffer.from('y'))).toThrow(StreamingError);
    fragmenter.end();
    expect(() => fragmenter.write(2, Buffer.from('z'))).toThrow(StreamingError);
  });

  it('reassembles args written in small chunks with random flushes', () => {
    const chunking = (maxChunk: number) => fc.array(fc.record({ size: fc.integer({ min: 0, max: maxChunk }), flush: fc.boolean() }), { maxLength: 25 });
    fc.assert(
      fc.property(
        // arg1 stays within its 16 KiB limit (25 * 600 bytes at most).
        fc.tuple(chunking(600), chunking(3000), chunking(3000)),
        fc.integer({ min: 200, max: MAX }),
        fc.constantFrom(...ALL_CHECKSUM_TYPES),
        fc.constantFrom(REQUEST_HEAD, RESPONSE_HEAD),
        fc.boolean(),
        (perArg, maxFrameSize, type, head, flushFirst) => {
          const { fragmenter, frames } = collect(head, type, maxFrameSize);
          if (flushFirst) fragmenter.flush();
          const written: Buffer[][] = [[], [], []];
          perArg.forEach((writes, index) => {
            for (const { size, flush } of writes) {
              const data = bytesOf(size, frames.length * 31 + index * 7 + size);
              written[index]?.push(data);
              const before = frames.length;
              fragmenter.write(index, data);
              if (flush) {
                fragmenter.flush();
                // A flush sends what was written: nothing is left unsent (except an arg's end marker).
                expect(frames.length).toBeGreaterThanOrEqual(before + (data.length > 0 || before === 0 ? 1 : 0));
              }
            }
          });
          fragmenter.end();
          const args = written.map((parts) => Buffer.concat(parts)) as unknown as CallArgs;
          const decoded = checkFragments(frames, { id: 5, head, checksumType: type, args, maxFrameSize });
          expect(sameArgs(reassemble(decoded), args)).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

import { computeChecksum } from '../checksum/frame-checksum';
import { ArgTooLargeError, InvalidChecksumError, InvalidMessageError } from '../errors/local-errors';
import { ChecksumType } from '../wire/checksum-type';
import { decodeFrame, encodeFrame } from '../wire/frame-codec';
import { CallFlags } from '../wire/flags';
import { FrameType } from '../wire/frame-type';
import type { CallContinueFrame, CallFrame, CallRequestFrame } from '../wire/frames';
import { FRAME_VECTORS, headers, TRACING } from '../wire/frame-vectors.fixtures';
import { BufferedArgs, MessageAssembler, type ArgSink } from './message-assembler';
import { fragmentMessage } from './message-fragmenter';
import { ALL_CHECKSUM_TYPES, argsOf, reassemble, REQUEST_HEAD, RESPONSE_HEAD, sameArgs } from './message.fixtures';

const KiB = 1024;
const NO_LIMIT = { maxMessageBytes: 64 * 1024 * 1024 };

/** Runs `fn`, expecting it to throw; returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw, but none happened');
}

/** Expects `fn` to throw exactly `type` (by its brand name), not a subclass or a parent. */
function expectThrowsExactly(fn: () => unknown, type: { readonly kind: string } & (abstract new (...args: never[]) => Error)): Error {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(type);
  expect((err as Error).name).toBe(type.kind);
  return err as Error;
}

/** Frames of a message after an encode/decode round trip, as a receiver sees them. */
function received(frames: readonly CallFrame[]): CallFrame[] {
  return frames.map((f) => decodeFrame(encodeFrame(f)) as CallFrame);
}

/** A continue frame with a correct running checksum for its chunks. */
function continueFrame(id: number, checksumType: ChecksumType, prior: number, flags: number, args: Buffer[]): CallContinueFrame {
  return { type: FrameType.CallRequestContinue, id, flags, checksumType, checksum: computeChecksum(checksumType, args, prior), args };
}

function firstFrame(id: number, checksumType: ChecksumType, flags: number, args: Buffer[]): CallRequestFrame {
  return {
    type: FrameType.CallRequest,
    id,
    flags,
    ttl: 1000,
    tracing: TRACING,
    service: 'svc',
    headers: headers({ as: 'raw', cn: 'caller' }),
    checksumType,
    checksum: computeChecksum(checksumType, args, 0),
    args,
  };
}

const b = (text: string): Buffer => Buffer.from(text);

describe('MessageAssembler + BufferedArgs', () => {
  it('reassembles the golden two-frame call req (arg1 ended by a zero-length chunk)', () => {
    const first = FRAME_VECTORS.find((v) => v.name.startsWith('call req, first of two'));
    const second = FRAME_VECTORS.find((v) => v.name.startsWith('call req continue'));
    const frames = [first, second].map((v) => decodeFrame((v as (typeof FRAME_VECTORS)[number]).bytes) as CallFrame);
    expect(reassemble(frames).map(String)).toEqual(['echo', '', 'hello']);
  });

  it.each(ALL_CHECKSUM_TYPES.map((t) => [ChecksumType[t], t] as const))('reassembles fragmented messages with checksum %s', (_name, type) => {
    for (const head of [REQUEST_HEAD, RESPONSE_HEAD]) {
      const cases: ReadonlyArray<readonly [number, number, number]> = [[0, 0, 0], [4, 0, 5], [16 * KiB, 100 * KiB, 100 * KiB], [1, 70 * KiB, 0]];
      for (const [a1, a2, a3] of cases) {
        const args = argsOf(a1, a2, a3);
        expect(sameArgs(reassemble(received(fragmentMessage(3, head, args, type))), args)).toBe(true);
      }
    }
  });

  it('reports chunks and arg ends to the sink in order, each arg ended once', () => {
    const events: string[] = [];
    const sink: ArgSink = {
      chunk: (i, data) => events.push(`chunk ${i} "${data.toString()}"`),
      argEnd: (i) => events.push(`end ${i}`),
    };
    const assembler = new MessageAssembler(sink, NO_LIMIT);
    const type = ChecksumType.Crc32c;
    const f1 = firstFrame(1, type, CallFlags.MoreFragments, [b('AB')]);
    const f2 = continueFrame(1, type, f1.checksum, CallFlags.MoreFragments, [b('CD'), b('ef')]);
    const f3 = continueFrame(1, type, f2.checksum, 0, [b(''), b('01234567')]);
    expect(assembler.accept(f1)).toBe(false);
    expect(assembler.accept(f2)).toBe(false);
    expect(assembler.complete).toBe(false);
    expect(assembler.accept(f3)).toBe(true);
    expect(assembler.complete).toBe(true);
    expect(assembler.bytesReceived).toBe(14);
    expect(events).toEqual([
      'chunk 0 "AB"',
      'chunk 0 "CD"',
      'end 0',
      'chunk 1 "ef"',
      'chunk 1 ""',
      'end 1',
      'chunk 2 "01234567"',
      'end 2',
    ]);
  });

  it.each([
    ['one arg', [b('echo')]],
    ['two args', [b('echo'), b('')]],
  ] as const)('rejects a message that ends after %s (an arg was lost) with InvalidMessageError', (_name, args) => {
    const sink = new BufferedArgs();
    const assembler = new MessageAssembler(sink, NO_LIMIT);
    expectThrowsExactly(() => assembler.accept(firstFrame(1, ChecksumType.Crc32, 0, [...args])), InvalidMessageError);
    expect(assembler.complete).toBe(false);
  });

  it('rejects a message whose last continue frame leaves arg3 missing', () => {
    // The tchannel-node 4.0.1 pattern: arg2 fills the first frame, the continuation ends arg2 and
    // carries no arg3.
    const type = ChecksumType.Crc32c;
    const f1 = firstFrame(1, type, CallFlags.MoreFragments, [b('echo'), b('xx')]);
    const f2 = continueFrame(1, type, f1.checksum, 0, [b('')]);
    const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
    assembler.accept(f1);
    expectThrowsExactly(() => assembler.accept(f2), InvalidMessageError);
  });

  describe('checksum mismatch → InvalidChecksumError', () => {
    it.each([ChecksumType.Crc32, ChecksumType.Crc32c, ChecksumType.Farmhash32].map((t) => [ChecksumType[t], t] as const))(
      '%s: a wrong checksum in the first frame',
      (_name, type) => {
        const [frame] = fragmentMessage(1, REQUEST_HEAD, argsOf(4, 2, 8), type) as [CallFrame];
        const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
        expectThrowsExactly(() => assembler.accept({ ...frame, checksum: (frame.checksum ^ 1) >>> 0 }), InvalidChecksumError);
      },
    );

    it.each([ChecksumType.Crc32, ChecksumType.Crc32c, ChecksumType.Farmhash32].map((t) => [ChecksumType[t], t] as const))(
      '%s: a corrupted arg byte in a continue frame',
      (_name, type) => {
        const frames = received(fragmentMessage(1, REQUEST_HEAD, argsOf(4, 10, 150 * KiB), type));
        expect(frames.length).toBeGreaterThan(2);
        const last = frames[frames.length - 1] as CallFrame;
        const bad = last.args[last.args.length - 1] as Buffer;
        bad[0] = (bad[0] as number) ^ 0xff;
        const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
        for (const f of frames.slice(0, -1)) assembler.accept(f);
        expectThrowsExactly(() => assembler.accept(last), InvalidChecksumError);
      },
    );

    it.each([ChecksumType.Crc32, ChecksumType.Crc32c].map((t) => [ChecksumType[t], t] as const))('%s: continue frames out of order', (_name, type) => {
      const frames = received(fragmentMessage(1, REQUEST_HEAD, argsOf(4, 10, 200 * KiB), type));
      const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
      assembler.accept(frames[0] as CallFrame);
      expectThrowsExactly(() => assembler.accept(frames[2] as CallFrame), InvalidChecksumError);
    });

    it('a checksum that is right on its own but not chained from the previous frame', () => {
      const type = ChecksumType.Crc32c;
      const f1 = firstFrame(1, type, CallFlags.MoreFragments, [b('echo')]);
      const unchained = continueFrame(1, type, 0, 0, [b(''), b(''), b('hello')]);
      const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
      assembler.accept(f1);
      expectThrowsExactly(() => assembler.accept(unchained), InvalidChecksumError);
    });
  });

  describe('checksum type changing mid-message → InvalidChecksumError', () => {
    it.each([
      [ChecksumType.Crc32c, ChecksumType.Crc32],
      [ChecksumType.Crc32, ChecksumType.Crc32c],
      [ChecksumType.Crc32c, ChecksumType.None],
      [ChecksumType.None, ChecksumType.Crc32c],
      [ChecksumType.Farmhash32, ChecksumType.Crc32],
    ] as const)('%s then %s', (from, to) => {
      const f1 = firstFrame(1, from, CallFlags.MoreFragments, [b('echo')]);
      // The second frame's checksum is correct for its own type (seeded as if it were the first),
      // so the type change is the only fault.
      const f2 = continueFrame(1, to, to === ChecksumType.None ? 0 : computeChecksum(to, [b('echo')], 0), 0, [b(''), b(''), b('hello')]);
      const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
      assembler.accept(f1);
      const err = expectThrowsExactly(() => assembler.accept(f2), InvalidChecksumError);
      expect(err.message).toMatch(/changed/);
    });
  });

  describe('more than 3 args → InvalidMessageError', () => {
    it.each(ALL_CHECKSUM_TYPES.map((t) => [ChecksumType[t], t] as const))('%s: four chunks in one frame', (_name, type) => {
      const frame = firstFrame(1, type, 0, [b('a'), b('b'), b('c'), b('d')]);
      const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
      expectThrowsExactly(() => assembler.accept(frame), InvalidMessageError);
    });

    it.each(ALL_CHECKSUM_TYPES.map((t) => [ChecksumType[t], t] as const))('%s: a fourth arg in a continue frame', (_name, type) => {
      const f1 = firstFrame(1, type, CallFlags.MoreFragments, [b('a'), b('b'), b('c')]);
      const f2 = continueFrame(1, type, f1.checksum, 0, [b('c'), b('d')]);
      const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
      expect(assembler.accept(f1)).toBe(false);
      expectThrowsExactly(() => assembler.accept(f2), InvalidMessageError);
    });

    it('a fourth arg after an arg3 continued across frames', () => {
      const type = ChecksumType.Crc32;
      const f1 = firstFrame(1, type, CallFlags.MoreFragments, [b('a'), b('b')]);
      const f2 = continueFrame(1, type, f1.checksum, CallFlags.MoreFragments, [b(''), b('c')]);
      const f3 = continueFrame(1, type, f2.checksum, 0, [b(''), b('d')]);
      const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
      assembler.accept(f1);
      assembler.accept(f2);
      expectThrowsExactly(() => assembler.accept(f3), InvalidMessageError);
    });
  });

  describe('arg1 over 16 KiB → ArgTooLargeError', () => {
    it('accepts an arg1 of exactly 16 KiB', () => {
      const args = argsOf(16 * KiB, 1, 1);
      expect(sameArgs(reassemble(received(fragmentMessage(1, REQUEST_HEAD, args, ChecksumType.Crc32c))), args)).toBe(true);
    });

    it('rejects 16 KiB + 1 in the first frame', () => {
      const frames = received(fragmentMessage(1, REQUEST_HEAD, argsOf(16 * KiB + 1, 0, 0), ChecksumType.Crc32c));
      expect(frames).toHaveLength(1);
      expectThrowsExactly(() => new MessageAssembler(new BufferedArgs(), NO_LIMIT).accept(frames[0] as CallFrame), ArgTooLargeError);
    });

    it('rejects an arg1 that grows past 16 KiB over several frames', () => {
      const frames = received(fragmentMessage(1, REQUEST_HEAD, argsOf(20 * KiB, 0, 0), ChecksumType.Crc32c, 4000));
      const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
      const err = thrown(() => frames.forEach((f) => assembler.accept(f)));
      expect(err).toBeInstanceOf(ArgTooLargeError);
      expect((err as Error).name).toBe('ArgTooLargeError');
      expect(assembler.bytesReceived).toBeLessThanOrEqual(16 * KiB);
    });
  });

  describe('total over maxMessageBytes → ArgTooLargeError', () => {
    it('accepts exactly the limit and rejects one byte more, in one frame', () => {
      const atLimit = received(fragmentMessage(1, RESPONSE_HEAD, argsOf(0, 400, 600), ChecksumType.None));
      expect(sameArgs(reassemble(atLimit, 1000), argsOf(0, 400, 600))).toBe(true);
      const over = received(fragmentMessage(1, RESPONSE_HEAD, argsOf(0, 400, 601), ChecksumType.None));
      expectThrowsExactly(() => reassemble(over, 1000), ArgTooLargeError);
    });

    it('rejects the frame that crosses the limit, before handing its bytes to the sink', () => {
      const frames = received(fragmentMessage(1, REQUEST_HEAD, argsOf(4, 10, 150 * KiB), ChecksumType.Crc32c));
      let sunk = 0;
      const assembler = new MessageAssembler({ chunk: (_i, d) => (sunk += d.length), argEnd: () => undefined }, { maxMessageBytes: 100 * KiB });
      const err = thrown(() => frames.forEach((f) => assembler.accept(f)));
      expect(err).toBeInstanceOf(ArgTooLargeError);
      expect((err as Error).name).toBe('ArgTooLargeError');
      expect(sunk).toBeLessThanOrEqual(100 * KiB);
      expect(assembler.bytesReceived).toBe(sunk);
    });
  });

  describe('a frame after the message completed → InvalidMessageError', () => {
    it('a stray continue frame', () => {
      const type = ChecksumType.Crc32c;
      const f1 = firstFrame(1, type, 0, [b('echo'), b(''), b('hello')]);
      const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
      expect(assembler.accept(f1)).toBe(true);
      expectThrowsExactly(() => assembler.accept(continueFrame(1, type, f1.checksum, 0, [b('')])), InvalidMessageError);
    });

    it('the same last frame twice', () => {
      const frames = received(fragmentMessage(1, REQUEST_HEAD, argsOf(4, 10, 100 * KiB), ChecksumType.Crc32));
      const assembler = new MessageAssembler(new BufferedArgs(), NO_LIMIT);
      for (const f of frames) assembler.accept(f);
      expectThrowsExactly(() => assembler.accept(frames[frames.length - 1] as CallFrame), InvalidMessageError);
    });
  });
});

/**
 * Fuzzing the pure decoding layers with damaged input derived from valid frames: whatever the
 * bytes, each layer answers with a value or an InvalidMessageError, never another exception (a
 * RangeError from a Buffer read, a TypeError...), and never holds more than its bound.
 *
 * src/wire/frame-codec.test.ts fuzzes decodeFrame with random payloads and with byte edits of the
 * golden vectors; this file adds structure-aware mutations of arbitrary valid frames, a splitter
 * fed damaged streams in random chunks, and an assembler fed random fragment sequences.
 * `pnpm --filter @tchannel/core fuzz -- --seconds N` runs the same properties for longer.
 */
import fc from 'fast-check';
import { computeChecksum } from '../../src/checksum/frame-checksum';
import { InvalidMessageError } from '../../src/errors/local-errors';
import { BufferedArgs, MessageAssembler } from '../../src/message/message-assembler';
import { ChecksumType } from '../../src/wire/checksum-type';
import { CallFlags } from '../../src/wire/flags';
import { frameArb } from '../../src/wire/frame-arbitraries.fixtures';
import { decodeFrame, encodeFrame } from '../../src/wire/frame-codec';
import { createFrameSplitter } from '../../src/wire/frame-splitter';
import { FrameType } from '../../src/wire/frame-type';
import { MAX_FRAME_SIZE, type CallFrame } from '../../src/wire/frames';
import { EMPTY_TRACING } from '../../src/wire/tracing';
import { absurdFieldFrameArb, mutatedFrameArb } from './frame-mutations.fixtures';
import { FuzzCounter, fuzzParameters, LONG_FUZZ, type FuzzTarget } from './fuzz-budget.fixtures';

jest.setTimeout(LONG_FUZZ ? 24 * 60 * 60 * 1000 : 20_000);

/** The error, if `fn` throws; fails the property if it throws anything but InvalidMessageError. */
function onlyInvalidMessage<T>(fn: () => T): { value: T } | { error: InvalidMessageError } {
  try {
    return { value: fn() };
  } catch (err) {
    if (!(err instanceof InvalidMessageError)) {
      throw new Error(`expected InvalidMessageError, got ${describeError(err)}`, { cause: err });
    }
    return { error: err };
  }
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
}

/**
 * decodeFrame answers a value or InvalidMessageError. A frame it accepts is one the encoder can
 * write back (or refuses with InvalidMessageError, e.g. invalid UTF-8 in a key grew past 16 bytes
 * once decoded), and writing it back then decoding gives the same frame.
 */
function checkDecode(bytes: Buffer): void {
  const decoded = onlyInvalidMessage(() => decodeFrame(bytes));
  if (!('value' in decoded)) return;
  expect(bytes.readUInt16BE(0)).toBe(bytes.length);
  const reencoded = onlyInvalidMessage(() => encodeFrame(decoded.value));
  if ('value' in reencoded) expect(decodeFrame(reencoded.value)).toEqual(decoded.value);
}

function runTarget<Ts extends [unknown, ...unknown[]]>(target: FuzzTarget, property: (counter: FuzzCounter) => fc.IProperty<Ts>, normalRuns: number, capMs: number): void {
  const counter = new FuzzCounter(target);
  try {
    fc.assert(property(counter), fuzzParameters<Ts>(target, normalRuns, capMs));
  } finally {
    counter.report();
  }
  expect(counter.runs).toBeGreaterThan(0);
}

describe('decodeFrame', () => {
  test('mutated valid frames decode or throw InvalidMessageError, never anything else', () => {
    runTarget(
      'decodeFrame: mutated valid frames',
      (counter) =>
        fc.property(mutatedFrameArb, ({ bytes }) => {
          counter.tick();
          checkDecode(bytes);
        }),
      3000,
      4000,
    );
  });

  test('absurd length and count fields (nh = 255, arg length 0xFFFF, ...) decode or throw InvalidMessageError', () => {
    runTarget(
      'decodeFrame: targeted length and count fields',
      (counter) =>
        fc.property(absurdFieldFrameArb, ({ bytes }) => {
          counter.tick();
          checkDecode(bytes);
        }),
      2000,
      3000,
    );
  });
});

/** A stream of whole valid frames, mutated frames and raw noise, and where to cut it into chunks. */
const streamArb = fc.record({
  pieces: fc.array(
    fc.oneof(
      frameArb.map((f) => encodeFrame(f)),
      mutatedFrameArb.map((m) => m.bytes),
      fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    ),
    { minLength: 1, maxLength: 8 },
  ),
  cuts: fc.array(fc.nat(), { maxLength: 20 }),
});

describe('frame splitter', () => {
  test('damaged streams in random chunks: whole frames or InvalidMessageError, never more than one frame held', () => {
    runTarget(
      'frame splitter: mutated streams',
      (counter) =>
        fc.property(streamArb, ({ pieces, cuts }) => {
          counter.tick();
          const stream = Buffer.concat(pieces);
          const offsets = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const splitter = createFrameSplitter();
          const out: Buffer[] = [];
          let failed: InvalidMessageError | undefined;
          let from = 0;
          for (const to of [...offsets, stream.length]) {
            const pushed = onlyInvalidMessage(() => splitter.push(stream.subarray(from, to)));
            from = to;
            if ('error' in pushed) {
              failed = pushed.error;
              break;
            }
            out.push(...pushed.value);
            expect(splitter.buffered).toBeLessThan(MAX_FRAME_SIZE);
            const pending = splitter.takeError();
            if (pending !== undefined) {
              failed = pending;
              break;
            }
          }
          // Whatever came out is the stream's prefix, cut at each frame's own size field.
          const joined = Buffer.concat(out);
          expect(joined.equals(stream.subarray(0, joined.length))).toBe(true);
          for (const frame of out) {
            expect(frame.readUInt16BE(0)).toBe(frame.length);
            expect(frame.length).toBeGreaterThanOrEqual(16);
            checkDecode(frame);
          }
          // A corrupt stream stays corrupt: every later push throws.
          if (failed !== undefined) expect(() => splitter.push(Buffer.from([0, 16]))).toThrow(InvalidMessageError);
        }),
      1500,
      3000,
    );
  });
});

const checksumTypeArb = fc.constantFrom(ChecksumType.None, ChecksumType.Crc32, ChecksumType.Farmhash32, ChecksumType.Crc32c);
const chunkArb = fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 32 }), weight: 4 }, { arbitrary: fc.uint8Array({ maxLength: 3000 }), weight: 1 }).map((a) => Buffer.from(a));

/** One frame of a message as a peer might send it: any flags, one to four args, checksum right or not. */
const fragmentArb = fc.record({
  continuation: fc.boolean(),
  flags: fc.oneof(fc.constantFrom(0, CallFlags.MoreFragments), fc.integer({ min: 0, max: 0xff })),
  args: fc.array(chunkArb, { minLength: 0, maxLength: 3 }),
  checksumType: fc.oneof({ arbitrary: fc.constant<ChecksumType | undefined>(undefined), weight: 4 }, { arbitrary: checksumTypeArb, weight: 1 }),
  wrongChecksum: fc.oneof({ arbitrary: fc.constant(false), weight: 5 }, { arbitrary: fc.constant(true), weight: 1 }),
});

describe('message assembler', () => {
  test('random fragment sequences: complete messages or InvalidMessageError, never over the cap', () => {
    runTarget(
      'message assembler: fragment sequences',
      (counter) =>
        fc.property(checksumTypeArb, fc.array(fragmentArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 0, max: 8000 }), (type, fragments, cap) => {
          counter.tick();
          const sink = new BufferedArgs();
          let sunk = 0;
          const counting = {
            chunk: (index: number, data: Buffer) => {
              sunk += data.length;
              sink.chunk(index, data);
            },
            argEnd: (index: number) => sink.argEnd(index),
          };
          const assembler = new MessageAssembler(counting, { maxMessageBytes: cap });
          let prior = 0;
          for (const fragment of fragments) {
            const checksumType = fragment.checksumType ?? type;
            const checksum = computeChecksum(checksumType, fragment.args, prior) ^ (fragment.wrongChecksum ? 1 : 0);
            const frame: CallFrame = fragment.continuation
              ? { type: FrameType.CallRequestContinue, id: 7, flags: fragment.flags, checksumType, checksum: checksum >>> 0, args: fragment.args }
              : {
                  type: FrameType.CallRequest,
                  id: 7,
                  flags: fragment.flags,
                  ttl: 1000,
                  tracing: EMPTY_TRACING,
                  service: 's',
                  headers: {},
                  checksumType,
                  checksum: checksum >>> 0,
                  args: fragment.args,
                };
            const accepted = onlyInvalidMessage(() => assembler.accept(frame));
            expect(assembler.bytesReceived).toBeLessThanOrEqual(cap);
            expect(sunk).toBe(assembler.bytesReceived);
            if ('error' in accepted) return;
            prior = checksumType === ChecksumType.None ? 0 : computeChecksum(checksumType, fragment.args, prior);
            if (accepted.value) {
              // A complete message has its three args, and takes no more frames.
              expect(sink.args.reduce((n, a) => n + a.length, 0)).toBe(assembler.bytesReceived);
              expect(() => assembler.accept(frame)).toThrow(InvalidMessageError);
              return;
            }
          }
        }),
      1500,
      3000,
    );
  });
});

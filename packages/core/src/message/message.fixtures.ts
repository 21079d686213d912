import { crc32 as zlibCrc32 } from 'node:zlib';
import { crc32c } from '../checksum/crc32c';
import { fingerprint32 } from '../checksum/farmhash32';
import { ChecksumType } from '../wire/checksum-type';
import { decodeFrame, encodeFrame } from '../wire/frame-codec';
import { FrameType } from '../wire/frame-type';
import { CallFlags } from '../wire/flags';
import type { CallFrame } from '../wire/frames';
import { headers, TRACING } from '../wire/frame-vectors.fixtures';
import { BufferedArgs, MessageAssembler } from './message-assembler';
import type { CallArgs, CallRequestHead, CallResponseHead, MessageHead } from './message-head';

/**
 * Helpers for the fragmenter and assembler tests. Frame overheads are computed here by hand from
 * the layouts in docs/protocol.md, not taken from the code under test. Test-only.
 */

export const ALL_CHECKSUM_TYPES = [ChecksumType.None, ChecksumType.Crc32, ChecksumType.Farmhash32, ChecksumType.Crc32c] as const;

export const REQUEST_HEAD: CallRequestHead = {
  kind: 'request',
  ttl: 1000,
  tracing: TRACING,
  service: 'svc',
  headers: headers({ as: 'raw', cn: 'caller' }),
};

export const RESPONSE_HEAD: CallResponseHead = {
  kind: 'response',
  code: 0,
  tracing: TRACING,
  headers: headers({ as: 'raw' }),
};

const csumBytes = (type: ChecksumType): number => (type === ChecksumType.None ? 1 : 1 + 4);

function headerBytes(h: Readonly<Record<string, string>>): number {
  let n = 1; // nh:1
  for (const [k, v] of Object.entries(h)) n += 1 + Buffer.byteLength(k) + 1 + Buffer.byteLength(v); // hk~1 hv~1
  return n;
}

/** Bytes of the first frame before arg1's length prefix: header, fixed fields, csumtype and csum. */
export function firstFrameOverhead(head: MessageHead, type: ChecksumType): number {
  const fixed =
    head.kind === 'request'
      ? 1 + 4 + 25 + 1 + Buffer.byteLength(head.service) // flags:1 ttl:4 tracing:25 service~1
      : 1 + 1 + 25; // flags:1 code:1 tracing:25
  return 16 + fixed + headerBytes(head.headers) + csumBytes(type);
}

/** Bytes of a continue frame before its first arg chunk's length prefix: `flags:1 csumtype:1 (csum:4){0,1}`. */
export function continueOverhead(type: ChecksumType): number {
  return 16 + 1 + csumBytes(type);
}

/** Deterministic, non-periodic bytes, so a chunk out of place changes the result. */
export function bytesOf(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

export function argsOf(a1: number, a2: number, a3: number): CallArgs {
  return [bytesOf(a1, 1), bytesOf(a2, 2), bytesOf(a3, 3)];
}

/** The running checksum a receiver should see after a frame: computed independently of the codec. */
function checksumAfter(type: ChecksumType, frame: CallFrame, prior: number): number {
  switch (type) {
    case ChecksumType.None:
      return 0;
    case ChecksumType.Crc32:
      return frame.args.reduce((c, a) => zlibCrc32(a, c), prior);
    case ChecksumType.Crc32c:
      return frame.args.reduce((c, a) => crc32c(a, c), prior);
    case ChecksumType.Farmhash32: {
      // tchannel-node: Fingerprint32 of the frame's last chunk alone.
      const last = frame.args[frame.args.length - 1];
      return last === undefined ? prior : fingerprint32(last);
    }
  }
}

export interface FragmentExpectations {
  readonly id: number;
  readonly head: MessageHead;
  readonly checksumType: ChecksumType;
  readonly args: CallArgs;
  readonly maxFrameSize?: number;
  /** Whole-message fragmentation fills frames: every frame but the last is within a byte of full. */
  readonly full?: boolean;
}

/**
 * Checks the frames of one message against the spec's fragmentation rules and returns them after
 * an encode/decode round trip. Reports problems as a list (one expect), to stay fast with
 * thousands of frames.
 */
export function checkFragments(frames: readonly CallFrame[], e: FragmentExpectations): CallFrame[] {
  const max = e.maxFrameSize ?? 0xffff;
  const problems: string[] = [];
  const firstType = e.head.kind === 'request' ? FrameType.CallRequest : FrameType.CallResponse;
  const continueType = e.head.kind === 'request' ? FrameType.CallRequestContinue : FrameType.CallResponseContinue;
  if (frames.length === 0) problems.push('no frames');
  let running = 0;
  const decoded: CallFrame[] = [];
  frames.forEach((frame, i) => {
    const at = `frame ${i}/${frames.length}`;
    const last = i === frames.length - 1;
    if (frame.type !== (i === 0 ? firstType : continueType)) problems.push(`${at}: type 0x${frame.type.toString(16)}`);
    if (frame.id !== e.id) problems.push(`${at}: id ${frame.id}`);
    if (frame.checksumType !== e.checksumType) problems.push(`${at}: checksum type ${frame.checksumType}`);
    if (((frame.flags & CallFlags.MoreFragments) !== 0) === last) problems.push(`${at}: flags 0x${frame.flags.toString(16)}`);
    if (i > 0 && (frame.flags & CallFlags.Streaming) !== 0) problems.push(`${at}: streaming flag on a continue frame`);
    if (i === 0 && (frame.flags & ~CallFlags.MoreFragments) !== (e.head.flags ?? 0)) problems.push(`${at}: head flags not carried`);
    if (frame.args.length < 1 || frame.args.length > 3) problems.push(`${at}: ${frame.args.length} arg chunks`);
    const bytes = encodeFrame(frame);
    if (bytes.length > max) problems.push(`${at}: ${bytes.length} bytes > ${max}`);
    if (e.full === true && !last && bytes.length < max - 1) problems.push(`${at}: only ${bytes.length} of ${max} bytes used`);
    running = checksumAfter(e.checksumType, frame, running);
    if (frame.checksum !== running) problems.push(`${at}: checksum 0x${frame.checksum.toString(16)}, expected 0x${running.toString(16)}`);
    decoded.push(decodeFrame(bytes) as CallFrame);
  });
  // The chunks, in order, are the args' bytes, in order: nothing lost, duplicated or reordered.
  if (!Buffer.concat(frames.flatMap((f) => f.args)).equals(Buffer.concat(e.args))) problems.push('chunks do not concatenate to the args');
  if (problems.length > 0) throw new Error(`fragmentation rules broken:\n${problems.slice(0, 20).join('\n')}`);
  return decoded;
}

/** Feeds frames to a MessageAssembler; checks only the last completes the message; returns the args. */
export function reassemble(frames: readonly CallFrame[], maxMessageBytes = 64 * 1024 * 1024): Buffer[] {
  const sink = new BufferedArgs();
  const assembler = new MessageAssembler(sink, { maxMessageBytes });
  frames.forEach((frame, i) => {
    const done = assembler.accept(frame);
    if (done !== (i === frames.length - 1)) throw new Error(`accept() returned ${done} for frame ${i} of ${frames.length}`);
  });
  if (!assembler.complete) throw new Error('message not complete');
  return sink.args;
}

/** Compares args by length and content with a short message (no 1 MiB diffs). */
export function sameArgs(actual: readonly Buffer[], expected: readonly Buffer[]): boolean {
  return actual.length === expected.length && actual.every((a, i) => a.equals(expected[i] as Buffer));
}

/** Total encoded size of frames. */
export function encodedSizes(frames: readonly CallFrame[]): number[] {
  return frames.map((f) => encodeFrame(f).length);
}

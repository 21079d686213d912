import { computeChecksum } from '../checksum/frame-checksum';
import { InvalidMessageError, StreamingError } from '../errors/local-errors';
import { ChecksumType, checksumValueSize } from '../wire/checksum-type';
import { CallFlags } from '../wire/flags';
import { FrameType } from '../wire/frame-type';
import { FRAME_HEADER_SIZE, MAX_FRAME_SIZE, type CallFrame } from '../wire/frames';
import { headersSize } from '../wire/headers';
import { TRACING_SIZE } from '../wire/tracing';
import type { CallArgs, MessageHead } from './message-head';
import { EMPTY } from './bytes';

/**
 * Turns one message's args into call frames (docs/protocol.md, "Fragmentation").
 *
 * Args are written in order (arg1, arg2, arg3), whole or in chunks; each frame is filled as far
 * as it goes. A full frame goes out only when more bytes need room, so a message whose last arg
 * ends exactly at a frame boundary does not get an empty trailing frame; an arg that ends at a
 * boundary and is followed by another arg starts the next frame with a zero-length chunk, as the
 * spec requires. Each frame's checksum is seeded with the previous frame's.
 *
 * Chunks in emitted frames are views of the written buffers: no arg bytes are copied here.
 */
export class MessageFragmenter {
  private frameIndex = 0;
  private argIndex = 0;
  /** Chunks of the frame being filled; index 0 belongs to `firstArgOfFrame`. */
  private chunks: Buffer[] = [];
  private frameBytes: number;
  private prior = 0;
  private ended = false;
  private readonly firstFrameFixed: number;
  private readonly continueFixed: number;

  constructor(
    private readonly id: number,
    private readonly head: MessageHead,
    private readonly checksumType: ChecksumType,
    private readonly emit: (frame: CallFrame) => void,
    private readonly maxFrameSize = MAX_FRAME_SIZE,
  ) {
    this.firstFrameFixed = firstFrameOverhead(head, checksumType);
    this.continueFixed = FRAME_HEADER_SIZE + 1 + 1 + checksumValueSize(checksumType);
    // Room for arg1's length prefix and at least a little of it must remain in the first frame.
    if (this.firstFrameFixed + 2 > maxFrameSize) {
      throw new InvalidMessageError('call headers and service leave no room for args in the first frame');
    }
    this.frameBytes = this.firstFrameFixed + 2;
    this.chunks = [EMPTY];
  }

  /** Appends `data` to arg `index` (0, 1 or 2). Moving to a later index ends the earlier args. */
  write(index: number, data: Buffer): void {
    if (this.ended) throw new StreamingError('cannot write to a message that has ended');
    if (index < this.argIndex || index > 2) throw new StreamingError(`cannot write arg${index + 1} after arg${this.argIndex + 1}`);
    while (this.argIndex < index) this.nextArg();
    let offset = 0;
    while (offset < data.length) {
      let room = this.maxFrameSize - this.frameBytes;
      if (room === 0) {
        this.frameFull();
        room = this.maxFrameSize - this.frameBytes;
      }
      const take = Math.min(room, data.length - offset);
      this.appendToOpenChunk(data.subarray(offset, offset + take));
      offset += take;
    }
  }

  /**
   * Sends what has been written so far as a frame with "more fragments" set (streaming), even if
   * not full. Nothing happens if there is nothing new to send and the first frame went out.
   */
  flush(): void {
    if (this.ended) return;
    const hasData = this.chunks.some((c) => c.length > 0) || this.chunks.length > 1;
    if (this.frameIndex === 0 || hasData) this.sendFrame(true);
  }

  /** Ends the message: the remaining args are empty, and the last frame goes out without "more fragments". */
  end(): void {
    if (this.ended) return;
    while (this.argIndex < 2) this.nextArg();
    this.ended = true;
    this.sendFrame(false);
  }

  private nextArg(): void {
    this.argIndex++;
    if (this.frameBytes + 2 > this.maxFrameSize) this.frameFull();
    // A new chunk begins the next arg, and thereby ends the previous one (if the previous arg filled
    // the last frame, the open frame's first chunk is its zero-length end marker).
    this.chunks.push(EMPTY);
    this.frameBytes += 2;
  }

  private appendToOpenChunk(data: Buffer): void {
    const last = this.chunks.length - 1;
    const open = this.chunks[last] as Buffer;
    this.chunks[last] = open.length === 0 ? data : Buffer.concat([open, data]);
    this.frameBytes += data.length;
  }

  /**
   * The open frame has no room and more is to be written (bytes, or a later arg's length): send it
   * with "more fragments", and open a continuation for the current arg.
   */
  private frameFull(): void {
    this.sendFrame(true);
  }

  /** Sends the open frame; the frame keeps its chunk array, and a new one is opened. */
  private sendFrame(more: boolean): void {
    const args = this.chunks;
    const checksum = computeChecksum(this.checksumType, args, this.prior);
    this.prior = checksum;
    const flags = (more ? CallFlags.MoreFragments : 0) | (this.frameIndex === 0 ? (this.head.flags ?? 0) : 0);
    if (this.frameIndex === 0) {
      const head = this.head;
      this.emit(
        head.kind === 'request'
          ? { type: FrameType.CallRequest, id: this.id, flags, ttl: head.ttl, tracing: head.tracing, service: head.service, headers: head.headers, checksumType: this.checksumType, checksum, args }
          : { type: FrameType.CallResponse, id: this.id, flags, code: head.code, tracing: head.tracing, headers: head.headers, checksumType: this.checksumType, checksum, args },
      );
    } else {
      const type = this.head.kind === 'request' ? FrameType.CallRequestContinue : FrameType.CallResponseContinue;
      this.emit({ type, id: this.id, flags, checksumType: this.checksumType, checksum, args });
    }
    this.frameIndex++;
    // The current arg continues in the next frame.
    this.chunks = [EMPTY];
    this.frameBytes = this.continueFixed + 2;
  }
}

/** Fragments a whole message into frames. */
export function fragmentMessage(
  id: number,
  head: MessageHead,
  args: CallArgs,
  checksumType: ChecksumType,
  maxFrameSize = MAX_FRAME_SIZE,
): CallFrame[] {
  const single = singleFrame(id, head, args, checksumType, maxFrameSize);
  if (single !== undefined) return [single];
  const frames: CallFrame[] = [];
  const fragmenter = new MessageFragmenter(id, head, checksumType, (f) => frames.push(f), maxFrameSize);
  fragmenter.write(0, args[0]);
  fragmenter.write(1, args[1]);
  fragmenter.write(2, args[2]);
  fragmenter.end();
  return frames;
}

/**
 * The message as one frame when everything fits (most calls): the same frame the fragmenter would
 * emit, without its bookkeeping. Undefined when the message needs more than one frame.
 */
function singleFrame(id: number, head: MessageHead, args: CallArgs, checksumType: ChecksumType, maxFrameSize: number): CallFrame | undefined {
  const [arg1, arg2, arg3] = args;
  const argBytes = 6 + arg1.length + arg2.length + arg3.length;
  if (argBytes > maxFrameSize) return undefined;
  if (firstFrameOverhead(head, checksumType) + argBytes > maxFrameSize) return undefined;
  const checksum = computeChecksum(checksumType, args, 0);
  const flags = head.flags ?? 0;
  return head.kind === 'request'
    ? { type: FrameType.CallRequest, id, flags, ttl: head.ttl, tracing: head.tracing, service: head.service, headers: head.headers, checksumType, checksum, args: [arg1, arg2, arg3] }
    : { type: FrameType.CallResponse, id, flags, code: head.code, tracing: head.tracing, headers: head.headers, checksumType, checksum, args: [arg1, arg2, arg3] };
}

/** Bytes of a first call frame before its args: header, fields, transport headers and checksum. */
function firstFrameOverhead(head: MessageHead, checksumType: ChecksumType): number {
  const csum = 1 + checksumValueSize(checksumType);
  return head.kind === 'request'
    ? FRAME_HEADER_SIZE + 1 + 4 + TRACING_SIZE + 1 + Buffer.byteLength(head.service) + headersSize(head.headers, 1) + csum
    : FRAME_HEADER_SIZE + 1 + 1 + TRACING_SIZE + headersSize(head.headers, 1) + csum;
}

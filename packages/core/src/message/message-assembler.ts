import { computeChecksum } from '../checksum/frame-checksum';
import { ArgTooLargeError, InvalidChecksumError, InvalidMessageError } from '../errors/local-errors';
import { ChecksumType } from '../wire/checksum-type';
import { CallFlags } from '../wire/flags';
import type { CallFrame } from '../wire/frames';
import { MAX_ARG1_BYTES } from './message-head';
import { EMPTY } from './bytes';

/** Receives a message's arg bytes as frames arrive. */
export interface ArgSink {
  /** Bytes of arg `index` (0..2). Chunks may be empty. */
  chunk(index: number, data: Buffer): void;
  /** Arg `index` is complete. Called once per arg, in order. */
  argEnd(index: number): void;
}

export interface MessageAssemblerOptions {
  /** Cap on arg bytes accepted for one message. */
  readonly maxMessageBytes: number;
}

/**
 * Follows one message's frames (the call req/res and its continues), verifies each frame's
 * checksum against the running value, and reports arg chunks and arg ends to a sink.
 *
 * An arg is complete when another chunk follows it in a frame, or when the frame that carries it
 * has no "more fragments" flag (docs/protocol.md, "Fragmentation"). A message that ends before all
 * three args were seen is invalid (InvalidMessageError).
 */
export class MessageAssembler {
  private argIndex = 0;
  private prior = 0;
  private checksumType: ChecksumType | undefined;
  private received = 0;
  private arg1Bytes = 0;
  private done = false;

  constructor(
    private readonly sink: ArgSink,
    private readonly options: MessageAssemblerOptions,
  ) {}

  get complete(): boolean {
    return this.done;
  }

  /** Bytes of args accepted so far. */
  get bytesReceived(): number {
    return this.received;
  }

  /**
   * Accepts the next frame of the message. Returns true when the message is complete.
   * @throws InvalidChecksumError on a checksum mismatch or a checksum type that changed
   * @throws InvalidMessageError on more than three args, or fewer than three when the message ends
   * @throws ArgTooLargeError when arg1 exceeds 16 KiB or the message exceeds `maxMessageBytes`
   */
  accept(frame: CallFrame): boolean {
    if (this.done) throw new InvalidMessageError(`frame for message ${frame.id} after its last fragment`);
    if (this.checksumType === undefined) this.checksumType = frame.checksumType;
    else if (frame.checksumType !== this.checksumType) {
      throw new InvalidChecksumError(`checksum type changed from ${this.checksumType} to ${frame.checksumType} within message ${frame.id}`);
    }
    const { args } = frame;
    let frameBytes = 0;
    for (const arg of args) frameBytes += arg.length;
    if (this.received + frameBytes > this.options.maxMessageBytes) {
      throw new ArgTooLargeError(`message ${frame.id} exceeds the ${this.options.maxMessageBytes}-byte limit`);
    }
    if (this.checksumType !== ChecksumType.None) {
      const expected = computeChecksum(this.checksumType, args, this.prior);
      if (expected !== frame.checksum) {
        throw new InvalidChecksumError(
          `checksum mismatch in message ${frame.id}: frame says 0x${frame.checksum.toString(16)}, args give 0x${expected.toString(16)}`,
        );
      }
      this.prior = expected;
    }
    if (this.argIndex + args.length > 3) {
      throw new InvalidMessageError(`message ${frame.id} carries more than 3 args`);
    }
    const more = (frame.flags & CallFlags.MoreFragments) !== 0;
    for (let i = 0; i < args.length; i++) {
      const data = args[i] as Buffer;
      if (this.argIndex === 0) {
        this.arg1Bytes += data.length;
        if (this.arg1Bytes > MAX_ARG1_BYTES) throw new ArgTooLargeError(`arg1 of message ${frame.id} exceeds 16 KiB`);
      }
      this.received += data.length;
      this.sink.chunk(this.argIndex, data);
      const isLast = i === args.length - 1;
      if (!isLast || !more) {
        this.sink.argEnd(this.argIndex);
        this.argIndex++;
      }
    }
    if (!more) {
      // Call req/res carry exactly three args (`arg1~2 arg2~2 arg3~2`); an arg that is empty is
      // still sent as a zero-length chunk. A message ending with fewer has lost an arg (tchannel-node
      // 4.0.1 drops arg3 when arg2 fills its frame to within 2 bytes): reading the missing ones as
      // empty would hand the application silently truncated data. tchannel-node and tchannel-go
      // reject such a message too.
      if (this.argIndex < 3) {
        throw new InvalidMessageError(`message ${frame.id} ended after ${this.argIndex} of its 3 args`);
      }
      this.done = true;
    }
    return this.done;
  }
}

/** Collects a message's args whole, for non-streaming calls. */
export class BufferedArgs implements ArgSink {
  private readonly parts: Buffer[][] = [[], [], []];
  readonly args: Buffer[] = [EMPTY, EMPTY, EMPTY];

  chunk(index: number, data: Buffer): void {
    if (data.length > 0) (this.parts[index] as Buffer[]).push(data);
  }

  argEnd(index: number): void {
    const parts = this.parts[index] as Buffer[];
    this.args[index] = parts.length === 0 ? EMPTY : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.parts[index] = [];
  }
}


import { StreamingError } from '../errors/local-errors';
import { MessageFragmenter } from '../message/message-fragmenter';
import type { MessageHead } from '../message/message-head';
import type { ChecksumType } from '../wire/checksum-type';
import type { CallFrame } from '../wire/frames';

/** Where an outgoing message's frames go: the connection's batched writer. */
export interface FrameOutlet {
  send(frame: CallFrame): void;
  /** Bytes queued for the socket and not yet written by the kernel. */
  readonly pendingBytes: number;
  /** Resolves when the queued bytes drop below the low-water mark (or the connection closes). */
  drained(): Promise<void>;
}

/** Queued bytes above which a streaming writer should wait for `drained()`. */
export const WRITE_HIGH_WATER_MARK = 1024 * 1024;

/**
 * A call req or res being sent as it is written (streaming). Writes made in the same turn of the
 * event loop share frames; whatever was written goes out at the end of the turn, so a streamed
 * body reaches the peer as it is produced.
 */
export class OutgoingMessage {
  private readonly fragmenter: MessageFragmenter;
  private flushScheduled = false;
  private ended = false;
  private closedReason: Error | undefined;

  constructor(
    private readonly outlet: FrameOutlet,
    id: number,
    head: MessageHead,
    checksumType: ChecksumType,
    private readonly onEnd?: () => void,
  ) {
    this.fragmenter = new MessageFragmenter(id, head, checksumType, (frame) => {
      if (this.closedReason === undefined) outlet.send(frame);
    });
  }

  /** Bytes queued on the connection and not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.outlet.pendingBytes;
  }

  /** Whether the writer should wait for `drained()` before writing more. */
  get overHighWater(): boolean {
    return this.outlet.pendingBytes > WRITE_HIGH_WATER_MARK;
  }

  get isEnded(): boolean {
    return this.ended || this.closedReason !== undefined;
  }

  /** Resolves when it is time to write more. */
  drained(): Promise<void> {
    return this.outlet.drained();
  }

  /**
   * Appends bytes to arg `index` (1 = arg2, 2 = arg3; arg1 is written first by whoever starts the
   * message). Moving to a later arg ends the earlier ones.
   * @throws StreamingError after end or close, or when writing an arg that already ended
   */
  write(index: number, data: Buffer): void {
    if (this.closedReason !== undefined) throw new StreamingError(`cannot write: ${this.closedReason.message}`, { cause: this.closedReason });
    if (this.ended) throw new StreamingError('cannot write after the message ended');
    this.fragmenter.write(index, data);
    this.scheduleFlush();
  }

  /** Sends the rest and ends the message. */
  end(): void {
    if (this.ended || this.closedReason !== undefined) return;
    this.ended = true;
    this.fragmenter.end();
    this.onEnd?.();
  }

  /** Stops sending: later writes throw, nothing more is sent (the call ended another way). */
  close(reason: Error): void {
    if (this.closedReason === undefined) this.closedReason = reason;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      if (!this.ended && this.closedReason === undefined) this.fragmenter.flush();
    });
  }
}

/** Writes a byte source into arg `index` of a message, waiting whenever the socket is behind. */
export async function pumpArg(
  message: OutgoingMessage,
  index: number,
  source: AsyncIterable<unknown>,
): Promise<void> {
  for await (const chunk of source) {
    if (message.isEnded) return;
    message.write(index, toChunk(chunk));
    if (message.overHighWater) await message.drained();
  }
}

function toChunk(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new StreamingError(`arg streams must yield Buffers, Uint8Arrays or strings, got ${typeof chunk}`);
}

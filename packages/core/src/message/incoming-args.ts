import { Readable } from 'node:stream';
import { StreamingError } from '../errors/local-errors';
import { TChannelError } from '../errors/tchannel-error';
import type { ArgSink } from './message-assembler';

/** Bytes a streamed arg may hold unread before the connection stops reading its socket. */
export const ARG_STREAM_HIGH_WATER_MARK = 1024 * 1024;

/** Reports when a streamed arg's unread bytes cross the high-water mark, so reading can pause. */
export interface FlowControl {
  /** The reader fell behind: stop feeding this message. */
  pressure(): void;
  /** The reader caught up. */
  relief(): void;
}

interface Waiter {
  readonly resolve: (value: Buffer) => void;
  readonly reject: (error: Error) => void;
}

const EMPTY = Buffer.alloc(0);

/**
 * A message's three args as they arrive, readable either whole (`arg(i)`, a Promise) or as a stream
 * (`stream(i)`, a Node Readable that is also an async iterable), but not both.
 *
 * Whole args are buffered up to the message cap enforced by MessageAssembler. A streamed arg holds
 * at most about `ARG_STREAM_HIGH_WATER_MARK` unread bytes: past that it asks its FlowControl to
 * pause, and asks to resume once the reader drains it.
 */
export class IncomingArgs implements ArgSink {
  private readonly parts: Buffer[][] = [[], [], []];
  private readonly ended = [false, false, false];
  private readonly whole: Array<Buffer | undefined> = [undefined, undefined, undefined];
  private readonly streams: Array<Readable | undefined> = [undefined, undefined, undefined];
  private readonly pressured = [false, false, false];
  private readonly waiters: Waiter[][] = [[], [], []];
  private failure: Error | undefined;

  /**
   * @param onArgEnd called after arg `index` completes (the connection dispatches once arg1 is in)
   * @param flow told when a streamed arg's reader falls behind and catches up
   */
  constructor(
    private readonly onArgEnd?: (index: number) => void,
    private readonly flow?: FlowControl,
  ) {}

  chunk(index: number, data: Buffer): void {
    if (this.failure !== undefined || data.length === 0) return;
    const stream = this.streams[index];
    if (stream === undefined) {
      (this.parts[index] as Buffer[]).push(data);
      return;
    }
    if (!stream.push(data)) this.setPressure(index, true);
  }

  argEnd(index: number): void {
    if (this.failure !== undefined) return;
    this.ended[index] = true;
    const stream = this.streams[index];
    if (stream !== undefined) {
      stream.push(null);
    } else if ((this.waiters[index] as Waiter[]).length > 0) {
      // Only collect for someone waiting: `whole[index]` marks the arg as read whole, and an arg
      // nobody has read yet may still be taken as a stream (a streaming handler or a streamed
      // call's reader that asks only after the arg fully arrived).
      const value = this.collect(index);
      for (const waiter of this.waiters[index] as Waiter[]) waiter.resolve(value);
      this.waiters[index] = [];
    }
    this.onArgEnd?.(index);
  }

  /** Whether arg `index` is complete. */
  isEnded(index: number): boolean {
    return this.ended[index] === true;
  }

  /** Arg `index` whole, if it is complete and was not taken as a stream. */
  completed(index: number): Buffer | undefined {
    return this.ended[index] === true && this.streams[index] === undefined ? this.collect(index) : undefined;
  }

  /**
   * Arg `index` whole, when it completes.
   * @throws StreamingError (rejects) if the arg is being read as a stream
   */
  arg(index: number): Promise<Buffer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.streams[index] !== undefined) {
      return Promise.reject(new StreamingError(`arg${index + 1} is being read as a stream`));
    }
    if (this.ended[index] === true) return Promise.resolve(this.collect(index));
    return new Promise<Buffer>((resolve, reject) => (this.waiters[index] as Waiter[]).push({ resolve, reject }));
  }

  /**
   * Arg `index` as a stream of chunks as they arrive. The same stream is returned on every call.
   * @throws StreamingError if the arg was already read whole
   */
  stream(index: number): Readable {
    const existing = this.streams[index];
    if (existing !== undefined) return existing;
    if (this.whole[index] !== undefined || (this.waiters[index] as Waiter[]).length > 0) {
      throw new StreamingError(`arg${index + 1} was already read whole`);
    }
    const stream = new Readable({
      highWaterMark: ARG_STREAM_HIGH_WATER_MARK,
      read: () => this.setPressure(index, false),
      destroy: (error, callback) => {
        this.setPressure(index, false);
        callback(error);
      },
    });
    this.streams[index] = stream;
    for (const part of this.parts[index] as Buffer[]) stream.push(part);
    this.parts[index] = [];
    if (this.failure !== undefined) stream.destroy(this.failure);
    else if (this.ended[index] === true) stream.push(null);
    return stream;
  }

  /** Ends every pending read with `error` (connection lost, call cancelled or timed out). */
  fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (let index = 0; index < 3; index++) {
      for (const waiter of this.waiters[index] as Waiter[]) waiter.reject(error);
      this.waiters[index] = [];
      // A complete arg stays readable whole (`completed`), as it was before the failure.
      if (this.ended[index] !== true) this.parts[index] = [];
      const stream = this.streams[index];
      if (stream !== undefined && !stream.readableEnded) stream.destroy(error instanceof TChannelError ? error : TChannelError.from(error));
      this.setPressure(index, false);
    }
  }

  private collect(index: number): Buffer {
    const cached = this.whole[index];
    if (cached !== undefined) return cached;
    const parts = this.parts[index] as Buffer[];
    const value = parts.length === 0 ? EMPTY : parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    this.parts[index] = [];
    this.whole[index] = value;
    return value;
  }

  private setPressure(index: number, on: boolean): void {
    if (this.pressured[index] === on) return;
    this.pressured[index] = on;
    if (on) this.flow?.pressure();
    else this.flow?.relief();
  }
}

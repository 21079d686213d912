import { Readable } from 'node:stream';
import { StreamingError } from '../errors/local-errors';
import { TChannelError } from '../errors/tchannel-error';
import type { ArgSink } from './message-assembler';
import { EMPTY } from './bytes';

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

/**
 * A message's three args as they arrive, readable either whole (`arg(i)`, a Promise) or as a stream
 * (`stream(i)`, a Node Readable that is also an async iterable), but not both.
 *
 * Whole args are buffered up to the message cap enforced by MessageAssembler. A streamed arg holds
 * at most about `ARG_STREAM_HIGH_WATER_MARK` unread bytes: past that it asks its FlowControl to
 * pause, and asks to resume once the reader drains it.
 */
export class IncomingArgs implements ArgSink {
  // Per-arg state is allocated on demand: a whole call's args are created for every message, and
  // most never need streams, waiters or more than one chunk.
  /** Received, unread chunks of each arg: none, one Buffer, or several. */
  private readonly parts: Array<Buffer | Buffer[] | undefined> = [undefined, undefined, undefined];
  /** Bit i: arg i is complete. */
  private endedMask = 0;
  /** Bit i: arg i was read whole (collected); it can no longer be streamed. */
  private wholeMask = 0;
  /** Bit i: arg i's stream is over its high-water mark. */
  private pressuredMask = 0;
  private streams: Array<Readable | undefined> | undefined;
  private waiters: Array<Waiter[] | undefined> | undefined;
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
    const stream = this.streams?.[index];
    if (stream === undefined) {
      const held = this.parts[index];
      if (held === undefined) this.parts[index] = data;
      else if (Array.isArray(held)) held.push(data);
      else this.parts[index] = [held, data];
      return;
    }
    if (!stream.push(data)) this.setPressure(index, true);
  }

  argEnd(index: number): void {
    if (this.failure !== undefined) return;
    this.endedMask |= 1 << index;
    const stream = this.streams?.[index];
    const waiting = this.waiters?.[index];
    if (stream !== undefined) {
      stream.push(null);
    } else if (waiting !== undefined && waiting.length > 0) {
      // Only collect for someone waiting: collecting marks the arg as read whole, and an arg
      // nobody has read yet may still be taken as a stream (a streaming handler or a streamed
      // call's reader that asks only after the arg fully arrived).
      const value = this.collect(index);
      (this.waiters as Array<Waiter[] | undefined>)[index] = undefined;
      for (const waiter of waiting) waiter.resolve(value);
    }
    this.onArgEnd?.(index);
  }

  /** Whether arg `index` is complete. */
  isEnded(index: number): boolean {
    return (this.endedMask & (1 << index)) !== 0;
  }

  /** Arg `index` whole, if it is complete and was not taken as a stream. */
  completed(index: number): Buffer | undefined {
    return this.isEnded(index) && this.streams?.[index] === undefined ? this.collect(index) : undefined;
  }

  /**
   * Arg `index` whole, when it completes.
   * @throws StreamingError (rejects) if the arg is being read as a stream
   */
  arg(index: number): Promise<Buffer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.streams?.[index] !== undefined) {
      return Promise.reject(new StreamingError(`arg${index + 1} is being read as a stream`));
    }
    if (this.isEnded(index)) return Promise.resolve(this.collect(index));
    const waiters = (this.waiters ??= [undefined, undefined, undefined]);
    return new Promise<Buffer>((resolve, reject) => (waiters[index] ??= []).push({ resolve, reject }));
  }

  /**
   * Arg `index` as a stream of chunks as they arrive. The same stream is returned on every call.
   * @throws StreamingError if the arg was already read whole
   */
  stream(index: number): Readable {
    const streams = (this.streams ??= [undefined, undefined, undefined]);
    const existing = streams[index];
    if (existing !== undefined) return existing;
    if ((this.wholeMask & (1 << index)) !== 0 || (this.waiters?.[index]?.length ?? 0) > 0) {
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
    streams[index] = stream;
    const held = this.parts[index];
    this.parts[index] = undefined;
    if (Array.isArray(held)) for (const part of held) stream.push(part);
    else if (held !== undefined) stream.push(held);
    if (this.failure !== undefined) stream.destroy(this.failure);
    else if (this.isEnded(index)) stream.push(null);
    return stream;
  }

  /** Ends every pending read with `error` (connection lost, call cancelled or timed out). */
  fail(error: Error): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    for (let index = 0; index < 3; index++) {
      const waiting = this.waiters?.[index];
      if (waiting !== undefined) {
        (this.waiters as Array<Waiter[] | undefined>)[index] = undefined;
        for (const waiter of waiting) waiter.reject(error);
      }
      // A complete arg stays readable whole (`completed`), as it was before the failure.
      if (!this.isEnded(index)) this.parts[index] = undefined;
      const stream = this.streams?.[index];
      if (stream !== undefined && !stream.readableEnded) stream.destroy(error instanceof TChannelError ? error : TChannelError.from(error));
      this.setPressure(index, false);
    }
  }

  private collect(index: number): Buffer {
    this.wholeMask |= 1 << index;
    const held = this.parts[index];
    if (held === undefined) return EMPTY;
    if (!Array.isArray(held)) return held;
    // Several chunks (a multi-frame arg): join them once and keep the result.
    const value = Buffer.concat(held);
    this.parts[index] = value;
    return value;
  }

  private setPressure(index: number, on: boolean): void {
    const bit = 1 << index;
    if (((this.pressuredMask & bit) !== 0) === on) return;
    this.pressuredMask ^= bit;
    if (on) this.flow?.pressure();
    else this.flow?.relief();
  }
}

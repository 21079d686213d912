import { InvalidMessageError } from '../errors/local-errors';
import { FRAME_HEADER_SIZE } from './frames';

/**
 * Cuts a byte stream (socket chunks of any size) into whole frames, each returned as one Buffer.
 * A frame inside one chunk is a view into it; only frames that straddle chunks are copied.
 * Bytes held never exceed one frame (at most 65535), whatever the peer sends.
 */
export interface FrameSplitter {
  /**
   * Feeds bytes; returns the frames they complete, in order. A size below 16 corrupts the stream:
   * push throws InvalidMessageError, unless whole frames came before it in this chunk; then those
   * are returned first and the error waits in `takeError()` (and is thrown by any later push).
   */
  push(chunk: Buffer): Buffer[];
  /** The corruption found after the frames the last push returned, if any. */
  takeError(): InvalidMessageError | undefined;
  /** Bytes received but not yet part of a whole frame. */
  readonly buffered: number;
}

export function createFrameSplitter(): FrameSplitter {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let corruption: InvalidMessageError | undefined;

  function take(n: number): Buffer {
    // Called only when pendingBytes >= n.
    const first = pending[0] as Buffer;
    if (first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) pending.shift();
      else pending[0] = first.subarray(n);
      pendingBytes -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = pending[0] as Buffer;
      const want = n - filled;
      if (head.length <= want) {
        head.copy(out, filled);
        filled += head.length;
        pending.shift();
      } else {
        head.copy(out, filled, 0, want);
        pending[0] = head.subarray(want);
        filled += want;
      }
    }
    pendingBytes -= n;
    return out;
  }

  function peekSize(): number {
    const first = pending[0] as Buffer;
    if (first.length >= 2) return first.readUInt16BE(0);
    const second = pending[1] as Buffer;
    return ((first[0] as number) << 8) | (second[0] as number);
  }

  return {
    push(chunk: Buffer): Buffer[] {
      if (corruption !== undefined) throw corruption;
      const frames: Buffer[] = [];
      if (chunk.length === 0) return frames;
      pending.push(chunk);
      pendingBytes += chunk.length;
      while (pendingBytes >= 2) {
        const size = peekSize();
        if (size < FRAME_HEADER_SIZE) {
          pending = [];
          pendingBytes = 0;
          corruption = new InvalidMessageError(`frame size ${size} is below the 16-byte header`);
          if (frames.length === 0) throw corruption;
          break;
        }
        if (pendingBytes < size) break;
        frames.push(take(size));
      }
      return frames;
    },
    takeError() {
      return corruption;
    },
    get buffered() {
      return pendingBytes;
    },
  };
}

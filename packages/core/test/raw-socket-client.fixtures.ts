/**
 * A raw TChannel test client: a plain `net.Socket` that sends whatever bytes a test gives it and
 * decodes what comes back. For bad-input tests, where a real TChannel client would refuse to send
 * the bytes we need. Every wait has a timeout, so a server that stays silent fails the test
 * instead of hanging it.
 */
import { connect, type Socket } from 'node:net';
import { computeChecksum } from '../src/checksum/frame-checksum';
import { ChecksumType } from '../src/wire/checksum-type';
import { decodeFrame, encodeFrame } from '../src/wire/frame-codec';
import { createFrameSplitter } from '../src/wire/frame-splitter';
import { FrameType } from '../src/wire/frame-type';
import {
  FRAME_HEADER_SIZE,
  PROTOCOL_VERSION,
  type CallContinueFrame,
  type CallRequestFrame,
  type ErrorFrame,
  type Frame,
  type InitFrame,
} from '../src/wire/frames';
import type { Headers } from '../src/wire/headers';
import { EMPTY_TRACING, TRACING_SIZE } from '../src/wire/tracing';

/** Default wait before a `waitFor…` gives up. */
export const DEFAULT_WAIT_MS = 2000;

/** The five init headers, for a client that does not listen. */
export function initHeaders(overrides: Record<string, string> = {}): Headers {
  return {
    host_port: '0.0.0.0:0',
    process_name: 'raw-socket-client',
    tchannel_language: 'node',
    tchannel_language_version: process.versions.node,
    tchannel_version: '0.0.0-test',
    ...overrides,
  };
}

export function initRequest(id = 1, headers: Headers = initHeaders(), version = PROTOCOL_VERSION): InitFrame {
  return { type: FrameType.InitRequest, id, version, headers };
}

export interface CallRequestOptions {
  readonly id: number;
  /** Arg chunks in this frame (default: echo, h, b). */
  readonly args?: readonly (Buffer | string)[];
  readonly service?: string;
  /** Transport headers; `as: raw` and `cn` by default. */
  readonly headers?: Headers;
  readonly ttl?: number;
  readonly flags?: number;
  readonly checksumType?: ChecksumType;
  /** Overrides the computed checksum (to send a wrong one). */
  readonly checksum?: number;
  /** Seed for the checksum: the previous frame's value (0 for a message's first frame). */
  readonly prior?: number;
}

const toBuffers = (args: readonly (Buffer | string)[]): Buffer[] => args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a));

/** A call req frame with a correct checksum unless `checksum` says otherwise. */
export function callRequest(options: CallRequestOptions): CallRequestFrame {
  const args = toBuffers(options.args ?? ['echo', 'h', 'b']);
  const checksumType = options.checksumType ?? ChecksumType.Crc32c;
  return {
    type: FrameType.CallRequest,
    id: options.id,
    flags: options.flags ?? 0,
    ttl: options.ttl ?? 5000,
    tracing: EMPTY_TRACING,
    service: options.service ?? 'svc',
    headers: options.headers ?? { as: 'raw', cn: 'raw-socket-client' },
    checksumType,
    checksum: options.checksum ?? computeChecksum(checksumType, args, options.prior ?? 0),
    args,
  };
}

/** A call req continue frame with a correct (chained) checksum. */
export function callRequestContinue(options: Omit<CallRequestOptions, 'service' | 'headers' | 'ttl'>): CallContinueFrame {
  const args = toBuffers(options.args ?? []);
  const checksumType = options.checksumType ?? ChecksumType.Crc32c;
  return {
    type: FrameType.CallRequestContinue,
    id: options.id,
    flags: options.flags ?? 0,
    checksumType,
    checksum: options.checksum ?? computeChecksum(checksumType, args, options.prior ?? 0),
    args,
  };
}

/**
 * A call req encoded by hand from a list of header pairs, so it can carry what `encodeFrame`
 * cannot express (duplicate keys). Checksum type none.
 */
export function callRequestBytesWithHeaderPairs(
  id: number,
  pairs: readonly (readonly [string, string])[],
  args: readonly (Buffer | string)[] = ['echo', 'h', 'b'],
  service = 'svc',
): Buffer {
  const parts: Buffer[] = [];
  const u8 = (n: number): Buffer => Buffer.from([n]);
  const str1 = (s: string): Buffer => Buffer.concat([u8(Buffer.byteLength(s)), Buffer.from(s)]);
  const ttl = Buffer.alloc(4);
  ttl.writeUInt32BE(5000);
  parts.push(u8(0), ttl, Buffer.alloc(TRACING_SIZE), str1(service), u8(pairs.length));
  for (const [key, value] of pairs) parts.push(str1(key), str1(value));
  parts.push(u8(ChecksumType.None));
  for (const arg of toBuffers(args)) {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(arg.length);
    parts.push(len, arg);
  }
  return frameBytes(FrameType.CallRequest, id, Buffer.concat(parts));
}

/** A frame from its header fields and payload; `size` defaults to the true size. */
export function frameBytes(type: number, id: number, payload: Buffer = Buffer.alloc(0), size = FRAME_HEADER_SIZE + payload.length): Buffer {
  const header = Buffer.alloc(FRAME_HEADER_SIZE);
  header.writeUInt16BE(size, 0);
  header[2] = type;
  header.writeUInt32BE(id >>> 0, 4);
  return Buffer.concat([header, payload]);
}

export function isErrorFrame(frame: Frame, id?: number, code?: number): frame is ErrorFrame {
  return frame.type === FrameType.Error && (id === undefined || frame.id === id) && (code === undefined || frame.code === code);
}

export class RawSocketClient {
  /** Every frame received, in order. */
  readonly frames: Frame[] = [];
  /** Bytes the server sent that do not decode as frames (should stay empty). */
  readonly decodeErrors: Error[] = [];
  closed = false;
  /** When the socket closed (`performance.now()`). */
  closedAt: number | undefined;

  private readonly splitter = createFrameSplitter();
  private readonly listeners = new Set<() => void>();
  private readonly closedPromise: Promise<void>;

  private constructor(readonly socket: Socket) {
    // Each send leaves at once (no Nagle delay between a bad frame and the next one).
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const bytes of this.splitter.push(chunk)) this.frames.push(decodeFrame(bytes));
      } catch (err) {
        this.decodeErrors.push(err as Error);
      }
      this.notify();
    });
    // Resets from the server are expected in some cases; 'close' follows either way.
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) => {
      socket.once('close', () => {
        this.closed = true;
        this.closedAt = performance.now();
        resolve();
        this.notify();
      });
    });
  }

  /** Opens a TCP connection to `host:port`. */
  static async connect(hostport: string, timeoutMs = DEFAULT_WAIT_MS): Promise<RawSocketClient> {
    const colon = hostport.lastIndexOf(':');
    const socket = connect({ host: hostport.slice(0, colon), port: Number(hostport.slice(colon + 1)) });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${hostport} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    return new RawSocketClient(socket);
  }

  /** Connects and completes a valid init handshake. */
  static async connectReady(hostport: string): Promise<RawSocketClient> {
    const client = await RawSocketClient.connect(hostport);
    await client.handshake();
    return client;
  }

  /** Writes raw bytes, or a frame encoded with `encodeFrame`. */
  send(data: Buffer | Frame): void {
    this.socket.write(Buffer.isBuffer(data) ? data : encodeFrame(data));
  }

  /** Sends a valid init req and waits for the init res; throws unless it is a version 2 init res. */
  async handshake(id = 1): Promise<InitFrame> {
    this.send(initRequest(id));
    const frame = await this.waitForFrame((f) => f.type === FrameType.InitResponse || f.type === FrameType.Error);
    if (frame.type !== FrameType.InitResponse || frame.id !== id || frame.version !== PROTOCOL_VERSION) {
      throw new Error(`handshake failed: ${JSON.stringify(frame, bigintSafe)}`);
    }
    return frame;
  }

  /** Frames received after the init res (the answers to what a test sent). */
  get framesAfterInit(): Frame[] {
    return this.frames.filter((f) => f.type !== FrameType.InitResponse);
  }

  /** Waits for a received frame matching `predicate` (frames already received count). */
  waitForFrame<F extends Frame = Frame>(predicate: (frame: Frame) => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<F> {
    return this.waitUntil(
      () => this.frames.find(predicate) as F | undefined,
      timeoutMs,
      () => (this.closed ? 'the socket closed' : 'timed out'),
    );
  }

  /** Waits for the socket to close. */
  async waitForClose(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    await this.waitUntil(() => (this.closed ? true : undefined), timeoutMs, () => 'timed out');
  }

  /** Half-closes our side (FIN). */
  end(): void {
    this.socket.end();
  }

  /** Closes the socket at once and waits for 'close'. */
  async destroy(): Promise<void> {
    this.socket.destroy();
    await this.closedPromise;
  }

  private waitUntil<T>(check: () => T | undefined, timeoutMs: number, why: () => string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = (): boolean => {
        const value = check();
        if (value === undefined) return false;
        finish();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`raw client: ${why()} while waiting; received ${JSON.stringify(this.frames, bigintSafe)}`));
      }, timeoutMs);
      const listener = (): void => {
        if (attempt()) return;
        // No more frames can arrive after close.
        if (this.closed && check() === undefined) {
          finish();
          reject(new Error(`raw client: the socket closed while waiting; received ${JSON.stringify(this.frames, bigintSafe)}`));
        }
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
      listener();
    });
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function bigintSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('latin1');
  }
  return value;
}

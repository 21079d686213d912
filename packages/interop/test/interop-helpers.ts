// Small helpers shared by the raw interop tests (not a test file itself).

import * as net from 'node:net';
import { createFrameSplitter, readFrameHeader } from '@tchannel/core';
import type { NodeCallOutcome, NodeCallResult } from '../src/node-peer/node-peer';

/** Deterministic, position- and seed-dependent bytes, so a mixed-up fragment shows as a mismatch. */
export function pattern(length: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    // xorshift32
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    buf[i] = x & 0xff;
  }
  return buf;
}

/** Every byte value 0..255 once, in order. */
export const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** The result of a tchannel-node call that must have succeeded at the transport level. */
export function okResult(outcome: NodeCallOutcome): NodeCallResult {
  if (outcome.error) throw new Error(`expected a call response, got error ${JSON.stringify(outcome.error)}`);
  if (!outcome.result) throw new Error('expected a call response');
  return outcome.result;
}

/** Compares buffers without printing megabytes on failure. */
export function expectSameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  let at = 0;
  while (at < Math.min(actual.length, expected.length) && actual[at] === expected[at]) at++;
  throw new Error(`${what}: got ${actual.length} bytes, expected ${expected.length}; first difference at byte ${at}`);
}

/** What a promise rejected with (fails if it resolved). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

export const isNonZeroHex64 = (value: string | undefined): boolean =>
  typeof value === 'string' && /^[0-9a-f]{16}$/.test(value) && !/^0+$/.test(value);

// ---- an interleaving relay ---------------------------------------------------------------------

export interface InterleavingRelay {
  /** Connect here instead of to the target. */
  readonly hostPort: string;
  /**
   * Frames forwarded towards the target (`toTarget`) and back (`toCaller`) that went out after a
   * frame of another message that had started later: how much interleaving the relay produced.
   */
  readonly interleaved: { toTarget: number; toCaller: number };
  close(): Promise<void>;
}

/**
 * A TCP relay that reorders whole TChannel frames across messages: frames arriving within a few ms
 * are sent round-robin by message id (each message's own frames stay in order, as the spec
 * requires). Neither tchannel-node nor tchannel-ts interleaves the fragments of concurrent large
 * messages on its own, so this is what makes a receiver reassemble interleaved fragments.
 */
export async function startInterleavingRelay(target: string): Promise<InterleavingRelay> {
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon);
  const port = Number(target.slice(colon + 1));
  const interleaved = { toTarget: 0, toCaller: 0 };
  const sockets = new Set<net.Socket>();

  function pipeFrames(from: net.Socket, to: net.Socket, counter: 'toTarget' | 'toCaller'): void {
    const splitter = createFrameSplitter();
    let queue: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = (): void => {
      timer = undefined;
      const byId = new Map<number, Buffer[]>();
      for (const frame of queue) {
        const { id } = readFrameHeader(frame);
        const list = byId.get(id);
        if (list) list.push(frame);
        else byId.set(id, [frame]);
      }
      queue = [];
      const lists = [...byId.values()];
      const out: Buffer[] = [];
      let lastId = -1;
      const started = new Set<number>();
      for (let round = 0; lists.some((l) => round < l.length); round++) {
        for (const list of lists) {
          const frame = list[round];
          if (frame === undefined) continue;
          const { id } = readFrameHeader(frame);
          if (lastId !== -1 && lastId !== id && started.has(id)) interleaved[counter]++;
          started.add(id);
          lastId = id;
          out.push(frame);
        }
      }
      if (!to.destroyed) to.write(Buffer.concat(out));
    };
    from.on('data', (chunk: Buffer) => {
      for (const frame of splitter.push(chunk)) queue.push(Buffer.from(frame));
      if (timer === undefined && queue.length > 0) timer = setTimeout(flush, 3);
    });
    from.on('close', () => {
      if (timer !== undefined) {
        clearTimeout(timer);
        flush();
      }
      to.end();
    });
  }

  const server = net.createServer((caller) => {
    const upstream = net.connect(port, host);
    sockets.add(caller);
    sockets.add(upstream);
    caller.on('error', () => upstream.destroy());
    upstream.on('error', () => caller.destroy());
    caller.on('close', () => sockets.delete(caller));
    upstream.on('close', () => sockets.delete(upstream));
    pipeFrames(caller, upstream, 'toTarget');
    pipeFrames(upstream, caller, 'toCaller');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    hostPort: `127.0.0.1:${address.port}`,
    interleaved,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- frame layout arithmetic (docs/protocol.md) ------------------------------------------------

const MAX_FRAME = 0xffff;
const HEADER = 16;
const TRACING = 25;

/** `nh:1 (hk~1 hv~1){nh}` */
function transportHeadersSize(headers: Record<string, string>): number {
  let size = 1;
  for (const [k, v] of Object.entries(headers)) size += 2 + Buffer.byteLength(k) + Buffer.byteLength(v);
  return size;
}

const csumSize = (checksumType: number): number => 1 + (checksumType === 0 ? 0 : 4);

export interface ArgLayout {
  /** arg2 bytes that exactly fill the first frame (after arg1 and arg2's length prefix). */
  readonly arg2FirstFrame: number;
  /** arg2 bytes each continuation frame holds (after the 2-byte chunk prefix). */
  readonly arg2PerContinuation: number;
}

/** Where arg2 hits frame ends for a message whose first frame is `fixed` bytes before the args. */
function layout(fixed: number, arg1Length: number, checksumType: number): ArgLayout {
  return {
    arg2FirstFrame: MAX_FRAME - fixed - (2 + arg1Length) - 2,
    arg2PerContinuation: MAX_FRAME - (HEADER + 1 + csumSize(checksumType)) - 2,
  };
}

/** `flags:1 ttl:4 tracing:25 service~1 headers csumtype:1 (csum:4)?` then the args. */
export function callRequestLayout(service: string, headers: Record<string, string>, arg1: string, checksumType: number): ArgLayout {
  const fixed = HEADER + 1 + 4 + TRACING + 1 + Buffer.byteLength(service) + transportHeadersSize(headers) + csumSize(checksumType);
  return layout(fixed, Buffer.byteLength(arg1), checksumType);
}

/** `flags:1 code:1 tracing:25 headers csumtype:1 (csum:4)?` then the args (arg1 empty on a response). */
export function callResponseLayout(headers: Record<string, string>, checksumType: number): ArgLayout {
  const fixed = HEADER + 1 + 1 + TRACING + transportHeadersSize(headers) + csumSize(checksumType);
  return layout(fixed, 0, checksumType);
}

/** arg2 lengths that end 0..5 bytes before / 1..2 bytes after the end of the first and second frame. */
export function arg2LengthsAround(l: ArgLayout): number[] {
  const ends = [l.arg2FirstFrame, l.arg2FirstFrame + l.arg2PerContinuation];
  return ends.flatMap((end) => [end - 5, end - 4, end - 3, end - 2, end - 1, end, end + 1, end + 2]);
}

/**
 * tchannel-node 4.0.1 bug (v2/args.js writeFragmentInto): when arg2 ends with fewer than 2 bytes
 * left in a frame, it ends the message there and never sends arg3. These arg2 lengths trigger it
 * for a message with this layout.
 */
export function nodeDropsArg3At(l: ArgLayout): number[] {
  const ends = [l.arg2FirstFrame, l.arg2FirstFrame + l.arg2PerContinuation];
  return ends.flatMap((end) => [end - 1, end]);
}

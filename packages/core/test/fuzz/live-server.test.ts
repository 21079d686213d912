/**
 * Fuzzing a listening channel over real sockets. Each run opens a raw socket, usually completes a
 * valid init handshake, then writes a random byte stream built from valid frames (calls with any
 * flags, ttl and checksum, continues, pings, cancels, claims, error and init frames), the same
 * frames damaged (see frame-mutations.fixtures.ts), oversized header sets and noise, cut into
 * random chunks. The server runs in this process, so it must:
 * - never throw an uncaught exception or leave a rejection unhandled (watched on the real process);
 * - answer with well-formed frames only, and end each run by answering a ping or closing the socket;
 * - keep serving a well-behaved client calling it all along on its own connection;
 * - free everything once the fuzzing sockets are gone: connections, calls, peers.
 */
import fc from 'fast-check';
import { TChannel } from '../../src/channel/channel';
import type { Connection } from '../../src/connection/connection';
import type { Request } from '../../src/dispatch/request';
import type { Response } from '../../src/dispatch/response';
import { ChecksumType } from '../../src/wire/checksum-type';
import { ErrorCode } from '../../src/wire/error-code';
import { CallFlags } from '../../src/wire/flags';
import { encodeFrame } from '../../src/wire/frame-codec';
import { createFrameSplitter } from '../../src/wire/frame-splitter';
import { FrameType } from '../../src/wire/frame-type';
import { NO_MESSAGE_ID } from '../../src/wire/frames';
import { EMPTY_TRACING } from '../../src/wire/tracing';
import { watchProcessErrors, type ProcessErrorWatch } from '../process-errors.fixtures';
import {
  callRequest,
  callRequestBytesWithHeaderPairs,
  callRequestContinue,
  initHeaders,
  initRequest,
  RawSocketClient,
} from '../raw-socket-client.fixtures';
import { frameFields, mutatedFrameArb, mutate, mutationArb } from './frame-mutations.fixtures';
import { FuzzCounter, fuzzParameters, LONG_FUZZ } from './fuzz-budget.fixtures';

jest.setTimeout(LONG_FUZZ ? 24 * 60 * 60 * 1000 : 30_000);

const PING_ID = 0xfffffff0;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

let watch: ProcessErrorWatch;
let server: TChannel;
let hostport: string;
const serverConnections = new Set<Connection>();

beforeAll(async () => {
  watch = watchProcessErrors();
  server = new TChannel({ name: 'svc', initTimeout: 1000, maxMessageBytes: 256 * 1024 });
  server.on('connection', (c) => serverConnections.add(c));
  server.on('connectionClose', (c) => serverConnections.delete(c));
  server.register('echo', (req) => ({ arg2: req.arg2, arg3: req.arg3 }));
  server.register('stream', async (req: Request, res: Response) => {
    res.writeHeader(await req.getHeaderBytes());
    for await (const chunk of req.getBodyStream()) await res.writeBody(chunk as Buffer);
  });
  server.register('slow', async (req) => {
    await sleep(req.arg3.length % 20);
    return { arg3: 'slow' };
  });
  server.register('throws', () => {
    throw new Error('handler failure');
  });
  hostport = await server.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server.close({ gracePeriod: 0 });
  watch.stop();
});

// ---- what a fuzzing peer sends ----

const id = fc.integer({ min: 1, max: 6 });
const bytes = (max: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const arg = fc.oneof({ arbitrary: bytes(40), weight: 5 }, { arbitrary: bytes(20_000), weight: 1 });
const endpoint = fc.oneof(fc.constantFrom('echo', 'stream', 'slow', 'throws', 'nope', ''), fc.string({ maxLength: 8 }));
const checksumType = fc.constantFrom(ChecksumType.None, ChecksumType.Crc32, ChecksumType.Farmhash32, ChecksumType.Crc32c);
const flags = fc.oneof(fc.constantFrom(0, CallFlags.MoreFragments, CallFlags.Streaming), fc.integer({ min: 0, max: 0xff }));
const ttl = fc.constantFrom(0, 1, 30, 5000, 0xffffffff);

const callReq = fc
  .record({ id, flags, ttl, checksumType, endpoint, rest: fc.array(arg, { maxLength: 2 }), scheme: fc.constantFrom('raw', 'json', 'x') })
  .map((c) =>
    callRequest({ id: c.id, flags: c.flags, ttl: c.ttl, checksumType: c.checksumType, args: [c.endpoint, ...c.rest], headers: { as: c.scheme, cn: 'fuzz' } }),
  );

const callContinue = fc
  .record({ id, flags, checksumType, args: fc.array(arg, { maxLength: 3 }), checksum: fc.option(fc.integer({ min: 0, max: 0xffffffff })) })
  .map((c) =>
    callRequestContinue({ id: c.id, flags: c.flags, checksumType: c.checksumType, args: c.args, ...(c.checksum === null ? {} : { checksum: c.checksum }) }),
  );

const control = fc.oneof(
  id.map((i) => encodeFrame({ type: FrameType.PingRequest, id: i })),
  fc.record({ id, why: fc.string({ maxLength: 20 }) }).map(({ id: i, why }) => encodeFrame({ type: FrameType.Cancel, id: i, ttl: 100, tracing: EMPTY_TRACING, why })),
  id.map((i) => encodeFrame({ type: FrameType.Claim, id: i, ttl: 100, tracing: EMPTY_TRACING })),
  fc
    .record({ id: fc.oneof(id, fc.constant(NO_MESSAGE_ID)), code: fc.oneof(fc.constantFrom(ErrorCode.Busy, ErrorCode.FatalProtocolError), fc.integer({ min: 0, max: 0xff })) })
    .map(({ id: i, code }) => encodeFrame({ type: FrameType.Error, id: i, code, tracing: EMPTY_TRACING, message: 'fuzz' })),
  id.map((i) => encodeFrame(initRequest(i))),
  // Responses to calls the server never made.
  id.map((i) => encodeFrame({ ...callRequestContinue({ id: i, args: ['x'] }), type: FrameType.CallResponseContinue })),
);

/** Header sets around the spec's limits: 128 headers, 16-byte keys, duplicates. */
const headerLimits = fc
  .record({ id, count: fc.constantFrom(127, 128, 129, 255), keyBytes: fc.constantFrom(16, 17, 255), duplicate: fc.boolean() })
  .map(({ id: i, count, keyBytes, duplicate }) => {
    const pairs: Array<[string, string]> = [['as', 'raw']];
    for (let n = 1; n < Math.min(count, 255); n++) pairs.push([`h${n}`, 'v']);
    pairs.push(['k'.repeat(keyBytes), 'long key']);
    if (duplicate) pairs.push(['as', 'raw']);
    return callRequestBytesWithHeaderPairs(i, pairs.slice(0, 255));
  });

/** One of the frames above with one to four mutations. */
const damaged = fc
  .tuple(fc.oneof(callReq, callContinue), fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([frame, mutations]) => mutate(encodeFrame(frame), frameFields(frame), mutations));

const piece = fc.oneof(
  { arbitrary: callReq.map((f) => encodeFrame(f)), weight: 6 },
  { arbitrary: callContinue.map((f) => encodeFrame(f)), weight: 4 },
  { arbitrary: control, weight: 3 },
  { arbitrary: headerLimits, weight: 1 },
  { arbitrary: damaged, weight: 3 },
  { arbitrary: mutatedFrameArb.map((m) => m.bytes), weight: 1 },
  { arbitrary: bytes(64), weight: 1 },
);

/** An init req a peer might open with instead of ours: odd host_port values, headers missing or extra. */
const hostileInit = fc
  .record({
    id: fc.integer({ min: 0, max: 0xffffffff }),
    version: fc.constantFrom(2, 2, 2, 1, 3),
    hostPort: fc.option(fc.oneof(fc.constantFrom('0.0.0.0:0', '127.0.0.1:1', '', 'garbage', ':1', 'a:99999', '[::1]:5', 'a:b:c'), fc.string({ maxLength: 30 }))),
    processName: fc.option(fc.string({ maxLength: 30 })),
    extra: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 12 }), { maxKeys: 3 }),
  })
  .map(({ id: i, version, hostPort, processName, extra }) => {
    const headers: Record<string, string> = { ...extra, ...initHeaders() };
    if (hostPort === null) delete headers['host_port'];
    else headers['host_port'] = hostPort;
    if (processName === null) delete headers['process_name'];
    else headers['process_name'] = processName;
    return encodeFrame(initRequest(i, headers, version));
  });

const session = fc.record({
  /** false: the stream opens with a hostile init req instead of our valid handshake. */
  handshake: fc.oneof({ arbitrary: fc.constant(true), weight: 5 }, { arbitrary: fc.constant(false), weight: 1 }),
  init: hostileInit,
  pieces: fc.array(piece, { minLength: 1, maxLength: 12 }),
  cuts: fc.array(fc.nat(), { maxLength: 8 }),
  /** Chunks written in separate event-loop turns, so they arrive as separate reads. */
  spread: fc.boolean(),
});

type Session = typeof session extends fc.Arbitrary<infer T> ? T : never;

/** Whether the server will read `stream` as whole frames, a partial frame, or a corrupt size. */
function shapeOf(stream: Buffer): 'aligned' | 'partial' | 'corrupt' {
  const splitter = createFrameSplitter();
  try {
    splitter.push(stream);
  } catch {
    return 'corrupt';
  }
  if (splitter.takeError() !== undefined) return 'corrupt';
  return splitter.buffered === 0 ? 'aligned' : 'partial';
}

async function runSession(s: Session): Promise<void> {
  const raw = await RawSocketClient.connect(hostport);
  try {
    if (s.handshake) await raw.handshake();
    const stream = Buffer.concat(s.handshake ? s.pieces : [s.init, ...s.pieces]);
    const cuts = [...new Set(s.cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
    let from = 0;
    for (const to of [...cuts, stream.length]) {
      if (to > from) raw.socket.write(stream.subarray(from, to));
      from = to;
      if (s.spread) await new Promise((resolve) => setImmediate(resolve));
    }
    // Make every run end in an answer or a close: a ping after whole frames; zeros after a partial
    // frame complete it and then give a size below 16, which the server must refuse.
    const shape = shapeOf(stream);
    if (shape === 'aligned') raw.send({ type: FrameType.PingRequest, id: PING_ID });
    else if (shape === 'partial') raw.send(Buffer.alloc(0x10010));
    await raw.waitForFrame((f) => f.type === FrameType.PingResponse && f.id === PING_ID, 3000).catch((err: unknown) => {
      if (!raw.closed) throw err;
    });
    expect(raw.decodeErrors).toEqual([]);
  } finally {
    await raw.destroy();
  }
  expect(watch.errors).toEqual([]);
}

/** A client that keeps calling the server on its own connection for the whole run. */
function wellBehavedClient(): { stop: () => Promise<{ ok: number; failures: unknown[] }> } {
  const client = new TChannel({ name: 'good-client' });
  let running = true;
  let ok = 0;
  const failures: unknown[] = [];
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const body = Buffer.alloc(i % 3000, i & 0xff);
      try {
        const res = await client.call({ scheme: 'raw', service: 'svc', arg1: 'echo', arg2: `h${i}`, arg3: body, hostport, timeout: 5000 });
        if (res.arg2.toString() !== `h${i}` || !res.arg3.equals(body)) failures.push(new Error(`call ${i}: wrong echo`));
        else ok++;
      } catch (err) {
        failures.push(err);
        if (failures.length >= 20) break;
      }
      if (i % 4 === 0) await sleep(1);
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.close({ gracePeriod: 0 });
      return { ok, failures };
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

test('random and mutated byte streams after init: the server stays up, answers sanely, serves a good client and frees everything', async () => {
  const good = wellBehavedClient();
  const counter = new FuzzCounter('live server: byte streams after init');
  let outcome: { ok: number; failures: unknown[] };
  try {
    await fc.assert(
      fc.asyncProperty(session, async (s) => {
        counter.tick();
        await runSession(s);
      }),
      fuzzParameters('live server: byte streams after init', 150, 6000, { shrink: false }),
    );
  } finally {
    counter.report();
    outcome = await good.stop();
  }
  const { ok, failures } = outcome;
  expect(failures).toEqual([]);
  expect(ok).toBeGreaterThan(0);
  expect(counter.runs).toBeGreaterThan(0);

  // Nothing is left behind: connections, calls in progress, handlers, peers announced in init.
  await until(() => serverConnections.size === 0 && server.activeRequests === 0);
  expect(server.peerStats()).toEqual([]);
  expect(server.isListening).toBe(true);
  expect(watch.errors).toEqual([]);
});

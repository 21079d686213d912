// Interop for streaming, both directions: tchannel-ts (`callStreaming`, `(request, response)`
// handlers) against tchannel-node 4.0.1's streamed requests and responses (NodePeer, in a child
// process: its streamed endpoints stream-read / stream-write and its callStreamed command; see
// "Streaming" in peer-process.js).
//
// Incrementality is proven with timestamps: both processes stamp chunks with
// performance.timeOrigin + performance.now() (ms since the epoch, same machine clock), the writer
// just before each write and the reader as each chunk arrives. A body that is delivered as it is
// written has its first chunk read within a few ms of the first write, long before the last write.

import { TChannel, TimeoutError, crc32c, type Request, type Response } from '@tchannel/core';
import {
  NodePeer,
  parseStreamReadSummary,
  type NodeChunkTime,
  type NodeStreamBody,
  type NodeStreamRecord,
} from '../src/node-peer/node-peer';
import { KiB, MiB, expectSameBytes, okResult, pattern } from './interop-helpers';

const TS_SERVICE = 'ts-stream-server';
const NODE_SERVICE = 'node-server';
const CALL_TIMEOUT = 10_000;

let node: NodePeer;
let nodeHostPort: string;
let ours: TChannel;
let ourHostPort: string;

const wallNow = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The bytes of a NodeStreamBody: chunk i is pattern(size, seed + i). */
function bodyChunks(spec: NodeStreamBody): Buffer[] {
  return Array.from({ length: spec.chunks }, (_, i) => pattern(spec.size, spec.seed + i));
}

function crcOf(chunks: Buffer[]): number {
  let crc = 0;
  for (const chunk of chunks) crc = crc32c(chunk, crc);
  return crc >>> 0;
}

/** What our ts-stream-read handler saw of a request body, chunk by chunk. */
interface OurRead {
  startedAt: number;
  header: string;
  total: number;
  crc32c: number;
  chunks: NodeChunkTime[];
}

/** How our ts-stream-write handler wrote a response body, by the tag the caller sent. */
const ourWrites = new Map<string, NodeChunkTime[]>();

/**
 * Checks that a body went out and arrived incrementally: the first chunk arrived within `fraction`
 * of the writer's total duration after the first write, and before the last write.
 */
function expectIncremental(writes: NodeChunkTime[], arrivals: NodeChunkTime[], fraction = 0.25): void {
  const firstWrite = (writes[0] as NodeChunkTime).at;
  const lastWrite = (writes[writes.length - 1] as NodeChunkTime).at;
  const firstArrival = (arrivals[0] as NodeChunkTime).at;
  const duration = lastWrite - firstWrite;
  const latency = firstArrival - firstWrite;
  const detail = `first write ${firstWrite.toFixed(1)}, last write +${duration.toFixed(1)} ms, first arrival +${latency.toFixed(1)} ms`;
  expect({ detail, early: latency < duration * fraction }).toEqual({ detail, early: true });
  expect(firstArrival).toBeLessThan(lastWrite);
  // Most chunks arrived while the writer was still writing, not in one lump at the end.
  const beforeLastWrite = arrivals.filter((a) => a.at < lastWrite).length;
  expect(beforeLastWrite).toBeGreaterThan(arrivals.length / 2);
}

beforeAll(async () => {
  node = await NodePeer.start();
  nodeHostPort = await node.listen();

  ours = new TChannel({ name: TS_SERVICE });
  // Reads arg2 whole and the body as it arrives, then answers arg2 back and, in arg3, an OurRead.
  ours.register(
    'ts-stream-read',
    async (req: Request, res: Response) => {
      const startedAt = wallNow();
      const header = (await req.getHeaderBytes()).toString('utf8');
      const read: OurRead = { startedAt, header, total: 0, crc32c: 0, chunks: [] };
      for await (const chunk of req.getBodyStream()) {
        const buf = chunk as Buffer;
        read.chunks.push({ at: wallNow(), size: buf.length });
        read.total += buf.length;
        read.crc32c = crc32c(buf, read.crc32c) >>> 0;
      }
      res.writeHeader(header);
      await res.writeBody(JSON.stringify(read));
    },
    { scheme: 'raw' },
  );
  // arg2 is JSON NodeStreamBody & { tag }: answers arg2 'ts-head' and the body written chunk by
  // chunk, `gapMs` apart; the write times are kept in ourWrites under `tag`.
  ours.register(
    'ts-stream-write',
    async (req: Request, res: Response) => {
      const params = JSON.parse((await req.getHeaderBytes()).toString('utf8')) as NodeStreamBody & { tag: string };
      await req.getBodyBytes();
      const chunks = bodyChunks(params);
      const writes: NodeChunkTime[] = [];
      res.writeHeader('ts-head');
      for (let i = 0; i < chunks.length; i++) {
        if (i > 0 && params.gapMs > 0) await sleep(params.gapMs);
        const chunk = chunks[i] as Buffer;
        writes.push({ at: wallNow(), size: chunk.length });
        await res.writeBody(chunk);
      }
      ourWrites.set(params.tag, writes);
    },
    { scheme: 'raw' },
  );
  ourHostPort = await ours.listen();
});

afterAll(async () => {
  await ours?.close();
  await node?.close();
});

afterEach(async () => {
  // Nothing in the child may have blown up behind our back, and tchannel-node must have logged
  // nothing above debug (it resets connections at info).
  expect(node.problems).toEqual([]);
  const complaints = (await node.logs(true)).filter((entry) => entry.level !== 'debug');
  expect(complaints).toEqual([]);
});

async function lastNodeRecord(endpoint: string): Promise<NodeStreamRecord> {
  const records = (await node.streamRecords()).filter((r) => r.endpoint === endpoint);
  const last = records[records.length - 1];
  if (last === undefined) throw new Error(`tchannel-node's ${endpoint} recorded nothing`);
  expect(last.error).toBeNull();
  return last;
}

/** An async iterable of a body's chunks, `gapMs` apart, stamping each just before it is handed over. */
async function* timedChunks(chunks: Buffer[], gapMs: number, sent: NodeChunkTime[]): AsyncGenerator<Buffer> {
  for (let i = 0; i < chunks.length; i++) {
    if (i > 0 && gapMs > 0) await sleep(gapMs);
    const chunk = chunks[i] as Buffer;
    sent.push({ at: wallNow(), size: chunk.length });
    yield chunk;
  }
}

describe('streaming interop: tchannel-ts server, tchannel-node streamed client', () => {
  test('our response written in 100 chunks 5 ms apart reaches tchannel-node as it is written', async () => {
    const spec: NodeStreamBody = { chunks: 100, size: 200, gapMs: 5, seed: 11 };
    const outcome = await node.callStreamed({
      hostPort: ourHostPort,
      service: TS_SERVICE,
      endpoint: 'ts-stream-write',
      arg2: JSON.stringify({ ...spec, tag: 'ticks' }),
      arg3: '',
      keepBody: true,
      timeout: CALL_TIMEOUT,
    });
    expect(outcome.error).toBeUndefined();
    const result = outcome.result!;
    expect(result.ok).toBe(true);
    expect(result.streamed).toBe(true);
    expect(result.headers['as']).toBe('raw');
    expect(result.arg2.toString()).toBe('ts-head');
    // All bytes, in order.
    const expected = Buffer.concat(bodyChunks(spec));
    expectSameBytes(result.arg3.body!, expected, 'arg3');
    expect(result.arg3.crc32c).toBe(crcOf([expected]));
    // Each write went out in its own frame and arrived on its own.
    expect(result.arg3.chunks.length).toBeGreaterThan(50);
    expectIncremental(ourWrites.get('ticks')!, result.arg3.chunks);
    // tchannel-node's response arrived (first frame) right after the first write too.
    expect(result.responseAt).toBeLessThan(ourWrites.get('ticks')![50]!.at);
  });

  test('a request body tchannel-node streams in 50 chunks 10 ms apart is read by our handler as it arrives', async () => {
    const spec: NodeStreamBody = { chunks: 50, size: 1000, gapMs: 10, seed: 21 };
    const outcome = await node.callStreamed({
      hostPort: ourHostPort,
      service: TS_SERVICE,
      endpoint: 'ts-stream-read',
      arg2: 'streamed-head',
      body: spec,
      keepBody: true,
      timeout: CALL_TIMEOUT,
    });
    expect(outcome.error).toBeUndefined();
    const result = outcome.result!;
    // The response reached tchannel-node.
    expect(result.ok).toBe(true);
    expect(result.arg2.toString()).toBe('streamed-head');
    const read = JSON.parse(result.arg3.body!.toString('utf8')) as OurRead;
    expect(read.header).toBe('streamed-head');
    expect(read.total).toBe(spec.chunks * spec.size);
    expect(read.crc32c).toBe(crcOf(bodyChunks(spec)));
    expect(read.crc32c).toBe(result.sent!.crc32c);
    // Our handler ran at the first frame and saw the chunks as tchannel-node wrote them.
    expect(read.startedAt).toBeLessThan(result.sent!.writes[10]!.at);
    expect(read.chunks.length).toBeGreaterThan(25);
    expectIncremental(result.sent!.writes, read.chunks);
  });

  test('8 MiB in 64 KiB chunks, both ways, byte-exact', async () => {
    const spec: NodeStreamBody = { chunks: 128, size: 64 * KiB, gapMs: 0, seed: 41 };
    const expectedCrc = crcOf(bodyChunks(spec));

    // tchannel-node -> our handler (a streamed request).
    const up = await node.callStreamed({
      hostPort: ourHostPort,
      service: TS_SERVICE,
      endpoint: 'ts-stream-read',
      arg2: 'big-up',
      body: spec,
      keepBody: true,
      timeout: CALL_TIMEOUT,
    });
    expect(up.error).toBeUndefined();
    const read = JSON.parse(up.result!.arg3.body!.toString('utf8')) as OurRead;
    expect(read.total).toBe(8 * MiB);
    expect(read.crc32c).toBe(expectedCrc);
    expect(up.result!.sent!.crc32c).toBe(expectedCrc);

    // Our handler -> tchannel-node (a streamed response).
    const down = await node.callStreamed({
      hostPort: ourHostPort,
      service: TS_SERVICE,
      endpoint: 'ts-stream-write',
      arg2: JSON.stringify({ ...spec, tag: 'big-down' }),
      timeout: CALL_TIMEOUT,
    });
    expect(down.error).toBeUndefined();
    expect(down.result!.streamed).toBe(true);
    expect(down.result!.arg3.total).toBe(8 * MiB);
    expect(down.result!.arg3.crc32c).toBe(expectedCrc);
  });
});

describe('streaming interop: tchannel-ts callStreaming, tchannel-node streamed handlers', () => {
  test('our request body streamed in 50 chunks 10 ms apart is read by tchannel-node as it arrives', async () => {
    const spec: NodeStreamBody = { chunks: 50, size: 1000, gapMs: 10, seed: 51 };
    const chunks = bodyChunks(spec);
    const sent: NodeChunkTime[] = [];
    const response = await ours.callStreaming({
      scheme: 'raw',
      service: NODE_SERVICE,
      arg1: 'stream-read',
      arg2: 'ts-head',
      arg3: timedChunks(chunks, spec.gapMs, sent),
      hostport: nodeHostPort,
      timeout: CALL_TIMEOUT,
    });
    expect(response.code).toBe(0);
    expect((await response.getHeaderBytes()).toString()).toBe('ts-head');
    const summary = parseStreamReadSummary(await response.getBodyBytes());
    expect(summary.requestStreamed).toBe(true);
    expect(summary.arg2Length).toBe(7);
    expect(summary.arg3.streamed).toBe(true);
    expectSameBytes(summary.arg3.body!, Buffer.concat(chunks), 'arg3 as tchannel-node read it');
    expect(summary.arg3.crc32c).toBe(crcOf(chunks));
    expect(summary.arg3.chunks.length).toBeGreaterThan(25);
    expect(summary.startedAt).toBeLessThan(sent[10]!.at);
    expectIncremental(sent, summary.arg3.chunks);
  });

  test('a response tchannel-node streams in 50 chunks 10 ms apart is read by callStreaming as it arrives', async () => {
    const spec: NodeStreamBody = { chunks: 50, size: 1000, gapMs: 10, seed: 61 };
    const response = await ours.callStreaming({
      scheme: 'raw',
      service: NODE_SERVICE,
      arg1: 'stream-write',
      arg2: JSON.stringify({ ...spec, head: 'node-head' }),
      arg3: '',
      hostport: nodeHostPort,
      timeout: CALL_TIMEOUT,
    });
    expect(response.code).toBe(0);
    expect(response.headers['as']).toBe('raw');
    expect((await response.getHeaderBytes()).toString()).toBe('node-head');
    const arrivals: NodeChunkTime[] = [];
    const parts: Buffer[] = [];
    for await (const chunk of response.getBodyStream()) {
      const buf = chunk as Buffer;
      arrivals.push({ at: wallNow(), size: buf.length });
      parts.push(buf);
    }
    expectSameBytes(Buffer.concat(parts), Buffer.concat(bodyChunks(spec)), 'arg3');
    const record = await lastNodeRecord('stream-write');
    expect(record.writes!.total).toBe(spec.chunks * spec.size);
    expect(arrivals.length).toBeGreaterThan(25);
    expectIncremental(record.writes!.writes, arrivals);
  });

  test('8 MiB in 64 KiB chunks, both ways, byte-exact', async () => {
    const spec: NodeStreamBody = { chunks: 128, size: 64 * KiB, gapMs: 0, seed: 71 };
    const chunks = bodyChunks(spec);
    const expected = Buffer.concat(chunks);
    const expectedCrc = crcOf(chunks);

    // Our streamed request -> tchannel-node's stream-read.
    const up = await ours.callStreaming({
      scheme: 'raw',
      service: NODE_SERVICE,
      arg1: 'stream-read',
      arg2: 'big-up',
      arg3: timedChunks(chunks, 0, []),
      hostport: nodeHostPort,
      timeout: CALL_TIMEOUT,
    });
    const summary = parseStreamReadSummary(await up.getBodyBytes());
    expect(summary.requestStreamed).toBe(true);
    expect(summary.arg3.total).toBe(8 * MiB);
    expect(summary.arg3.crc32c).toBe(expectedCrc);

    // tchannel-node's stream-write -> our callStreaming, read as a stream.
    const down = await ours.callStreaming({
      scheme: 'raw',
      service: NODE_SERVICE,
      arg1: 'stream-write',
      arg2: JSON.stringify(spec),
      arg3: '',
      hostport: nodeHostPort,
      timeout: CALL_TIMEOUT,
    });
    const parts: Buffer[] = [];
    for await (const chunk of down.getBodyStream()) parts.push(chunk as Buffer);
    const body = Buffer.concat(parts);
    expectSameBytes(body, expected, 'arg3');
    expect(crc32c(body) >>> 0).toBe(expectedCrc);
    expect((await lastNodeRecord('stream-write')).writes!.crc32c).toBe(expectedCrc);
  });
});

// Until IncomingArgs.argEnd stopped collecting every complete arg eagerly, an arg that had fully
// arrived before its reader asked for a stream counted as "already read whole": getBodyStream()
// threw StreamingError. Whether it had arrived depended on timing: a request that fits in one frame
// (any unstreamed caller), a streamed body that ends before the handler gets to it, a response sent
// whole to callStreaming.
describe('streaming interop: args complete before they are read as streams', () => {
  test('an unstreamed tchannel-node call to our streaming handler', async () => {
    const result = okResult(
      await node.call({ hostPort: ourHostPort, service: TS_SERVICE, arg1: 'ts-stream-read', arg2: 'plain', arg3: 'whole body', timeout: CALL_TIMEOUT }),
    );
    expect(result.ok).toBe(true);
    const read = JSON.parse(result.arg3.toString('utf8')) as OurRead;
    expect(read).toMatchObject({ header: 'plain', total: 10, crc32c: crc32c(Buffer.from('whole body')) >>> 0 });
  });

  test('an empty body streamed by tchannel-node', async () => {
    const outcome = await node.callStreamed({
      hostPort: ourHostPort,
      service: TS_SERVICE,
      endpoint: 'ts-stream-read',
      arg2: 'empty',
      body: { chunks: 0, size: 1, gapMs: 0, seed: 1 },
      keepBody: true,
      timeout: CALL_TIMEOUT,
    });
    expect(outcome.error).toBeUndefined();
    const read = JSON.parse(outcome.result!.arg3.body!.toString('utf8')) as OurRead;
    expect(read).toMatchObject({ header: 'empty', total: 0, chunks: [] });
  });

  test('callStreaming reads as a stream a response tchannel-node sent whole', async () => {
    const body = pattern(3000, 81);
    const response = await ours.callStreaming({
      scheme: 'raw',
      service: NODE_SERVICE,
      arg1: 'echo',
      arg2: 'whole',
      arg3: body,
      hostport: nodeHostPort,
      timeout: CALL_TIMEOUT,
    });
    const parts: Buffer[] = [];
    for await (const chunk of response.getBodyStream()) parts.push(chunk as Buffer);
    expectSameBytes(Buffer.concat(parts), body, 'arg3');
    expect((await response.getHeaderBytes()).toString()).toBe('whole');
  });
});

describe('streaming interop: deadlines that expire mid-stream', () => {
  test('callStreaming times out while tchannel-node is still streaming the response', async () => {
    const spec: NodeStreamBody = { chunks: 40, size: 100, gapMs: 10, seed: 91 };
    const response = await ours.callStreaming({
      scheme: 'raw',
      service: NODE_SERVICE,
      arg1: 'stream-write',
      arg2: JSON.stringify(spec),
      arg3: '',
      hostport: nodeHostPort,
      timeout: 150,
    });
    let received = 0;
    const read = (async () => {
      for await (const chunk of response.getBodyStream()) received += (chunk as Buffer).length;
    })();
    await expect(read).rejects.toBeInstanceOf(TimeoutError);
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(spec.chunks * spec.size);
    // tchannel-node finishes writing into a call its own ttl sweep already dropped, and then warns
    // that the finished response belongs to no request; nothing else.
    await sleep(spec.chunks * spec.gapMs);
    const logs = (await node.logs(true)).filter((entry) => entry.level !== 'debug');
    for (const entry of logs) expect(entry.msg).toBe('orphaned conn.onReqDone');
    // The connection is fine.
    const after = await ours.call({ scheme: 'raw', service: NODE_SERVICE, arg1: 'echo', arg2: 'a', arg3: 'b', hostport: nodeHostPort });
    expect(after.arg3.toString()).toBe('b');
  });

  test('a tchannel-node streamed call times out while our handler is still streaming the response', async () => {
    const spec: NodeStreamBody = { chunks: 40, size: 100, gapMs: 10, seed: 93 };
    const outcome = await node.callStreamed({
      hostPort: ourHostPort,
      service: TS_SERVICE,
      endpoint: 'ts-stream-write',
      arg2: JSON.stringify({ ...spec, tag: 'too-slow' }),
      timeout: 150,
    });
    expect(outcome.result).toBeUndefined();
    // Whichever comes first: tchannel-node's own request timeout, or our ttl expiring mid-stream,
    // which answers with a Timeout error frame.
    expect(outcome.error?.codeName).toBe('Timeout');
    const after = okResult(await node.call({ hostPort: ourHostPort, service: TS_SERVICE, arg1: 'ts-stream-read', arg2: 'x', arg3: 'y' }));
    expect(after.ok).toBe(true);
  });
});

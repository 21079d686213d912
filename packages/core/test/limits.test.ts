/**
 * The resource limits a listening channel enforces against one peer, each checked through a raw
 * socket: what the peer gets back, that the state the limit guards is freed, and that the
 * connection (or the server) keeps working. Each limit is a TChannelOptions field with a default
 * (see SECURITY.md).
 */
import { TChannel, type TChannelOptions } from '../src/channel/channel';
import type { Connection } from '../src/connection/connection';
import type { Request } from '../src/dispatch/request';
import type { Response } from '../src/dispatch/response';
import { ErrorCode } from '../src/wire/error-code';
import { CallFlags } from '../src/wire/flags';
import { encodeFrame } from '../src/wire/frame-codec';
import { FrameType } from '../src/wire/frame-type';
import type { Frame } from '../src/wire/frames';
import { watchProcessErrors, type ProcessErrorWatch } from './process-errors.fixtures';
import {
  callRequest,
  callRequestBytesWithHeaderPairs,
  callRequestContinue,
  initHeaders,
  initRequest,
  RawSocketClient,
} from './raw-socket-client.fixtures';
import { sleep, until } from './channels.fixtures';

interface Served {
  readonly server: TChannel;
  readonly hostport: string;
  /** The server's open connections. */
  readonly connections: Set<Connection>;
}

const cleanups: Array<() => Promise<void>> = [];
let watch: ProcessErrorWatch;

beforeEach(() => {
  watch = watchProcessErrors();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  watch.stop();
  expect(watch.errors).toEqual([]);
});

async function serve(options: Partial<TChannelOptions>, register?: (server: TChannel) => void): Promise<Served> {
  const server = new TChannel({ name: 'svc', ...options });
  const connections = new Set<Connection>();
  server.on('connection', (c) => connections.add(c));
  server.on('connectionClose', (c) => connections.delete(c));
  server.register('echo', (req) => ({ arg2: req.arg2, arg3: req.arg3 }));
  register?.(server);
  const hostport = await server.listen({ host: '127.0.0.1', port: 0 });
  cleanups.push(() => server.close({ gracePeriod: 0 }));
  return { server, hostport, connections };
}

async function raw(hostport: string, handshake = true): Promise<RawSocketClient> {
  const client = await RawSocketClient.connect(hostport);
  cleanups.push(() => client.destroy());
  if (handshake) await client.handshake();
  return client;
}

/** The one server connection (the test opened exactly one). */
function only(connections: Set<Connection>): Connection {
  expect(connections.size).toBe(1);
  return [...connections][0] as Connection;
}

async function expectEcho(client: RawSocketClient, id: number): Promise<void> {
  client.send(callRequest({ id, args: ['echo', `h${id}`, `b${id}`] }));
  const frame = await answerTo(client, id);
  expect(frame).toMatchObject({ type: FrameType.CallResponse, id, code: 0 });
  if (frame.type === FrameType.CallResponse) expect(frame.args.map(String)).toEqual(['', `h${id}`, `b${id}`]);
}

/** Frames answering message `id` (the init res, id 1 too, aside). */
const answersTo = (client: RawSocketClient, id: number): Frame[] => client.frames.filter((f) => f.id === id && f.type !== FrameType.InitResponse);
const answerTo = (client: RawSocketClient, id: number): Promise<Frame> => client.waitForFrame((f) => f.id === id && f.type !== FrameType.InitResponse);

describe('maxMessageBytes (buffered args of one call)', () => {
  test('a call growing past the cap is answered bad request, its state and buffers are dropped, later fragments ignored', async () => {
    let handlerOutcome: unknown;
    const { hostport, connections, server } = await serve({ maxMessageBytes: 100_000 }, (s) =>
      s.register('sink', async (req: Request, res: Response) => {
        handlerOutcome = await req.getBodyBytes().then(
          () => 'completed',
          (err: unknown) => err,
        );
        res.code = 0;
      }),
    );
    const client = await raw(hostport);
    const connection = only(connections);
    const first = callRequest({ id: 2, flags: CallFlags.MoreFragments, args: ['sink', 'h', Buffer.alloc(60_000, 1)] });
    client.send(first);
    await until(() => connection.pendingInbound === 1 && server.activeRequests === 1);
    // 60 000 + 60 000 bytes: over the 100 000 cap.
    const second = callRequestContinue({ id: 2, flags: CallFlags.MoreFragments, args: [Buffer.alloc(60_000, 2)], prior: first.checksum });
    client.send(second);
    const answer = await answerTo(client, 2);
    expect(answer).toMatchObject({ type: FrameType.Error, code: ErrorCode.BadRequest });
    expect((answer as { message: string }).message).toMatch(/exceeds the 100000-byte limit/);
    // The call is gone from the connection, and the handler saw its request fail.
    expect(connection.pendingInbound).toBe(0);
    await until(() => server.activeRequests === 0);
    expect(handlerOutcome).toBeInstanceOf(Error);
    // The rest of the refused message is dropped without another answer; the connection still works.
    client.send(callRequestContinue({ id: 2, args: [Buffer.alloc(10, 3)] }));
    await expectEcho(client, 3);
    expect(answersTo(client, 2)).toHaveLength(1);
    expect(connection.pendingInbound).toBe(0);
  });
});

describe('maxCallsPerConnection', () => {
  test('call reqs beyond the cap on one connection are answered busy; other connections and later calls are served', async () => {
    const releases: Array<() => void> = [];
    const { hostport, connections } = await serve({ maxCallsPerConnection: 3 }, (s) =>
      s.register('hold', () => new Promise((resolve) => releases.push(() => resolve({ arg3: 'released' })))),
    );
    const client = await raw(hostport);
    const connection = only(connections);
    for (const id of [1, 2, 3]) client.send(callRequest({ id, args: ['hold', '', ''] }));
    await until(() => releases.length === 3);
    client.send(callRequest({ id: 4, args: ['hold', '', ''] }));
    client.send(callRequest({ id: 5, args: ['echo', '', ''] }));
    expect(await answerTo(client, 4)).toMatchObject({ type: FrameType.Error, code: ErrorCode.Busy });
    expect(await answerTo(client, 5)).toMatchObject({ type: FrameType.Error, code: ErrorCode.Busy });
    expect(connection.pendingInbound).toBe(3);

    // The cap is per connection: another peer is served meanwhile.
    const other = await raw(hostport);
    await expectEcho(other, 1);

    for (const release of releases) release();
    for (const id of [1, 2, 3]) expect(await answerTo(client, id)).toMatchObject({ type: FrameType.CallResponse, code: 0 });
    await until(() => connection.pendingInbound === 0);
    await expectEcho(client, 6);
  });

  test('a refused call’s continue frames are dropped', async () => {
    const { hostport } = await serve({ maxCallsPerConnection: 1 }, (s) => s.register('hold', () => new Promise(() => undefined)));
    const client = await raw(hostport);
    client.send(callRequest({ id: 1, args: ['hold', '', ''], ttl: 60_000 }));
    const refused = callRequest({ id: 2, flags: CallFlags.MoreFragments, args: ['echo', 'h'] });
    client.send(refused);
    expect(await answerTo(client, 2)).toMatchObject({ type: FrameType.Error, code: ErrorCode.Busy });
    client.send(callRequestContinue({ id: 2, args: ['', 'b'], prior: refused.checksum }));
    client.send({ type: FrameType.PingRequest, id: 9 });
    await answerTo(client, 9);
    expect(answersTo(client, 2)).toHaveLength(1);
  });
});

describe('maxConnections', () => {
  test('accepted sockets beyond the cap are closed at once; a slot freed is reused', async () => {
    const { hostport, connections } = await serve({ maxConnections: 2, initTimeout: 10_000 });
    const a = await raw(hostport);
    await raw(hostport);
    await until(() => connections.size === 2);

    const startedAt = performance.now();
    const refused = await raw(hostport, false);
    await refused.waitForClose(1000);
    expect(performance.now() - startedAt).toBeLessThan(500);
    expect(refused.frames).toEqual([]);
    expect(connections.size).toBe(2);

    await a.destroy();
    await until(() => connections.size === 1);
    const again = await raw(hostport);
    await expectEcho(again, 1);
  });
});

describe('initTimeout', () => {
  test('a slowloris sending its init req one byte per 100 ms is closed at the init timeout', async () => {
    const INIT_TIMEOUT = 400;
    const { hostport, connections } = await serve({ initTimeout: INIT_TIMEOUT });
    const client = await raw(hostport, false);
    const startedAt = performance.now();
    const init = encodeFrame(initRequest());
    let sent = 0;
    while (!client.closed && sent < init.length) {
      client.send(init.subarray(sent, sent + 1));
      sent++;
      await sleep(100);
    }
    await client.waitForClose();
    const elapsed = (client.closedAt as number) - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(INIT_TIMEOUT - 20);
    expect(elapsed).toBeLessThan(INIT_TIMEOUT + 300);
    expect(sent).toBeLessThan(init.length);
    // The acceptor says nothing before an init req; the connection is gone.
    expect(client.frames).toEqual([]);
    await until(() => connections.size === 0);
  });
});

describe('transport header limits, through a live socket', () => {
  const pairs = (count: number, keyOf = (i: number): string => `k${i}`): Array<[string, string]> => {
    const out: Array<[string, string]> = [['as', 'raw']];
    for (let i = 1; i < count; i++) out.push([keyOf(i), 'v']);
    return out;
  };

  test.each<[string, Buffer, RegExp]>([
    ['nh = 129 (129 valid headers)', callRequestBytesWithHeaderPairs(1, pairs(129)), /too many transport headers/],
    ['nh = 255', callRequestBytesWithHeaderPairs(1, pairs(255)), /too many transport headers/],
    ['a 17-byte key', callRequestBytesWithHeaderPairs(1, [['as', 'raw'], ['k'.repeat(17), 'v']]), /longer than 16 bytes/],
    ['an empty key', callRequestBytesWithHeaderPairs(1, [['as', 'raw'], ['', 'v']]), /empty header key/],
  ])('%s: bad request for that call, the connection still works', async (_name, bytes, reason) => {
    const { hostport } = await serve({});
    const client = await raw(hostport);
    client.send(bytes);
    const answer = await answerTo(client, 1);
    expect(answer).toMatchObject({ type: FrameType.Error, code: ErrorCode.BadRequest });
    expect((answer as { message: string }).message).toMatch(reason);
    await expectEcho(client, 2);
  });

  test('the limits themselves are accepted: 128 headers, 16-byte keys, 255-byte values', async () => {
    const { hostport } = await serve({});
    const client = await raw(hostport);
    const headers = pairs(127, (i) => `k${String(i).padStart(15, '0')}`);
    headers.push(['v', 'x'.repeat(255)]);
    client.send(callRequestBytesWithHeaderPairs(1, headers, ['echo', 'h', 'b']));
    expect(await answerTo(client, 1)).toMatchObject({ type: FrameType.CallResponse, code: 0 });
  });
});

describe('calls that never complete', () => {
  test.each([
    ['arg1 complete, arg2 still coming (the call was dispatched)', ['echo', 'partial']],
    ['arg1 itself incomplete (the call was never dispatched)', ['ec']],
  ])('%s: freed when the ttl expires', async (_name, args) => {
    const { hostport, connections, server } = await serve({});
    const client = await raw(hostport);
    const connection = only(connections);
    const first = callRequest({ id: 1, flags: CallFlags.MoreFragments, ttl: 200, args });
    client.send(first);
    await until(() => connection.pendingInbound === 1);
    const answer = await answerTo(client, 1);
    expect(answer).toMatchObject({ type: FrameType.Error, code: ErrorCode.Timeout });
    expect(connection.pendingInbound).toBe(0);
    await until(() => server.activeRequests === 0);
    // A continuation arriving after the expiry is dropped.
    client.send(callRequestContinue({ id: 1, args: ['', 'b'], prior: first.checksum }));
    await expectEcho(client, 2);
    expect(answersTo(client, 1)).toHaveLength(1);
    expect(connection.pendingInbound).toBe(0);
  });
});

describe('init host_port, as claimed by an inbound peer', () => {
  test.each(['garbage', 'a:99999', ':1', ''])('"%s" (not an address) neither crashes the server nor registers a peer', async (hostPort) => {
    // Regression: the peer pool's parse error escaped a promise callback as an unhandled
    // rejection, which ends a Node process.
    const { server, hostport } = await serve({});
    const client = await raw(hostport, false);
    client.send(initRequest(1, initHeaders({ host_port: hostPort })));
    await client.waitForFrame((f) => f.type === FrameType.InitResponse);
    await sleep(20);
    await expectEcho(client, 2);
    expect(server.peerStats()).toEqual([]);
    expect(watch.errors).toEqual([]);
  });

  test('peers known only from closed inbound connections are forgotten: ever new host_ports do not grow the pool', async () => {
    const { server, hostport, connections } = await serve({});
    for (let i = 1; i <= 20; i++) {
      const client = await raw(hostport, false);
      client.send(initRequest(1, initHeaders({ host_port: `10.0.0.${i}:4040` })));
      await client.waitForFrame((f) => f.type === FrameType.InitResponse);
      await until(() => server.peerStats().some((p) => p.hostPort === `10.0.0.${i}:4040`));
      await client.destroy();
    }
    await until(() => connections.size === 0);
    expect(server.peerStats()).toEqual([]);
  });
});

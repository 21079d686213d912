// Connection health: pings find connections whose peer stopped answering (their calls fail with a
// network error and are retried elsewhere), and idle connections are reaped and reopened on demand.

import { createServer, type Server, type Socket } from 'node:net';
import {
  FrameType,
  NetworkError,
  PROTOCOL_VERSION,
  createFrameSplitter,
  decodeFrame,
  encodeFrame,
  type TChannelError,
} from '../src';
import { channel, sleep } from './channels.fixtures';

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A peer that completes the init handshake and then never answers anything: no ping res, no call
 * res. Its process is alive and its socket open, as with a hung peer or a black-holed network.
 */
async function unresponsivePeer(): Promise<{ hostPort: string; framesReceived: () => number }> {
  const sockets = new Set<Socket>();
  let received = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const splitter = createFrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const bytes of splitter.push(chunk)) {
        received++;
        const frame = decodeFrame(bytes);
        if (frame.type !== FrameType.InitRequest) continue;
        socket.write(
          encodeFrame({
            type: FrameType.InitResponse,
            id: frame.id,
            version: PROTOCOL_VERSION,
            headers: { host_port: hostPort, process_name: 'unresponsive[0]', tchannel_language: 'node', tchannel_language_version: '20', tchannel_version: '0' },
          }),
        );
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const hostPort = `127.0.0.1:${address.port}`;
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { hostPort, framesReceived: () => received };
}

/** A real server with `echo` and `slow` (waits arg2 ms, or until released) endpoints. */
async function goodServer(): Promise<{ hostPort: string; release: () => void }> {
  const server = channel('good');
  const waiting: Array<() => void> = [];
  server.register('echo', (req) => ({ arg3: req.arg3 }));
  server.register('slow', async (req) => {
    const ms = Number(req.arg2.toString());
    await new Promise<void>((resolve) => {
      waiting.push(resolve);
      if (ms > 0) setTimeout(resolve, ms);
    });
    return { arg3: 'slow done' };
  });
  const hostPort = await server.listen();
  return { hostPort, release: () => waiting.splice(0).forEach((resolve) => resolve()) };
}

const PING_INTERVAL = 100;
const PING_TIMEOUT = 100;
/** The monitor checks every min(period)/2 ms; allow that plus scheduling slack. */
const SLACK = PING_INTERVAL / 2 + 120;

describe('health pings', () => {
  test('a connection whose peer stops answering is closed within pingInterval + pingTimeout; its call fails with NetworkError', async () => {
    const peer = await unresponsivePeer();
    const client = channel('client', { health: { pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT } });
    const closes: Array<TChannelError | undefined> = [];
    client.on('connectionClose', (_connection, error) => closes.push(error));
    const start = performance.now();
    const err = await client.call({ scheme: 'raw', service: 'svc', arg1: 'echo', hostport: peer.hostPort, timeout: 5000 }).catch((e: unknown) => e);
    const elapsed = performance.now() - start;
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toMatch(/ping/);
    expect(elapsed).toBeGreaterThanOrEqual(PING_INTERVAL + PING_TIMEOUT - 20);
    expect(elapsed).toBeLessThan(PING_INTERVAL + PING_TIMEOUT + SLACK);
    expect(closes).toHaveLength(1);
    expect(closes[0]).toBeInstanceOf(NetworkError);
    // init req, the call, at least one ping.
    expect(peer.framesReceived()).toBeGreaterThanOrEqual(3);
  });

  test('a call to known peers on the unresponsive one is retried on a good peer', async () => {
    const bad = await unresponsivePeer();
    const good = await goodServer();
    const client = channel('client', {
      knownPeers: [bad.hostPort, good.hostPort],
      health: { pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT },
    });
    // A call in flight on the good peer makes it the busier one, so the next call picks the bad one.
    const blocker = client.call({ scheme: 'raw', service: 'svc', arg1: 'slow', arg2: '0', hostport: good.hostPort, timeout: 5000 });
    while ((client.peerStats().find((p) => p.hostPort === good.hostPort)?.pending ?? 0) === 0) await sleep(5);

    const start = performance.now();
    const res = await client.call({ scheme: 'raw', service: 'svc', arg1: 'echo', arg3: 'hello', timeout: 5000 });
    const elapsed = performance.now() - start;
    expect(res.arg3.toString()).toBe('hello');
    expect(res.hostPort).toBe(good.hostPort);
    // It got there through the failed first attempt on the unresponsive peer.
    expect(elapsed).toBeGreaterThanOrEqual(PING_INTERVAL + PING_TIMEOUT - 20);
    expect(elapsed).toBeLessThan(PING_INTERVAL + PING_TIMEOUT + SLACK);
    expect(client.peerStats().find((p) => p.hostPort === bad.hostPort)?.connections).toBe(0);

    good.release();
    expect((await blocker).arg3.toString()).toBe('slow done');
  });

  test('a quiet connection to a healthy peer is pinged and stays open through a long call', async () => {
    const good = await goodServer();
    const client = channel('client', { health: { pingInterval: 40, pingTimeout: 100 } });
    let closes = 0;
    client.on('connectionClose', () => closes++);
    const res = await client.call({ scheme: 'raw', service: 'svc', arg1: 'slow', arg2: '400', hostport: good.hostPort, timeout: 5000 });
    expect(res.arg3.toString()).toBe('slow done');
    expect(closes).toBe(0);
    expect(client.peerStats()[0]).toMatchObject({ connected: true, connections: 1 });
  });
});

describe('idle reaping', () => {
  test('an idle connection is closed after idleTimeout (connectionClose fires) and the next call reconnects', async () => {
    const good = await goodServer();
    const client = channel('client', { health: { idleTimeout: 100 } });
    let opened = 0;
    client.on('connection', () => opened++);
    const closed = new Promise<{ at: number; error: TChannelError | undefined }>((resolve) =>
      client.once('connectionClose', (_connection, error) => resolve({ at: performance.now(), error })),
    );

    await client.call({ scheme: 'raw', service: 'svc', arg1: 'echo', hostport: good.hostPort });
    const idleSince = performance.now();
    const { at, error } = await closed;
    expect(error).toBeUndefined();
    expect(at - idleSince).toBeGreaterThanOrEqual(90);
    expect(at - idleSince).toBeLessThan(100 + 50 + 150);
    expect(client.peerStats()[0]?.connections ?? 0).toBe(0);

    const res = await client.call({ scheme: 'raw', service: 'svc', arg1: 'echo', arg3: 'again', hostport: good.hostPort });
    expect(res.arg3.toString()).toBe('again');
    expect(opened).toBe(2);
  });

  test('a connection with a call in flight is not reaped, however quiet', async () => {
    const good = await goodServer();
    const client = channel('client', { health: { idleTimeout: 60 } });
    let closes = 0;
    client.on('connectionClose', () => closes++);
    const res = await client.call({ scheme: 'raw', service: 'svc', arg1: 'slow', arg2: '300', hostport: good.hostPort, timeout: 5000 });
    expect(res.arg3.toString()).toBe('slow done');
    expect(closes).toBe(0);
  });
});

// Deadlines and cancellation across hops: a handler's outgoing call inherits its request's time
// left and cancellation; servers drop work whose ttl expired; aborted and timed-out calls fail at
// once and their late answers are dropped without harming other calls on the connection.

import { createServer, type Server, type Socket } from 'node:net';
import {
  CancelledError,
  Connection,
  TimeoutError,
  ErrorCode,
  FrameType,
  type Request,
} from '../src';
import { RawSocketClient, callRequest, isErrorFrame } from './raw-socket-client.fixtures';
import { channel, sleep } from './channels.fixtures';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const hang = (): Promise<never> => new Promise<never>(() => undefined);

/** Resolves once `check` holds, polling; rejects after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('deadlines', () => {
  test('a call made with parent gets at most the parent’s time left as ttl, even when asking for more', async () => {
    const leaf = channel('leaf');
    const ttls: Record<string, number> = {};
    leaf.register('record', (req) => {
      ttls[req.arg3.toString()] = req.timeout;
      return {};
    });
    const leafHostPort = await leaf.listen();

    const middle = channel('middle');
    const left: Record<string, number> = {};
    middle.register('fan-out', async (req) => {
      await sleep(100);
      const call = async (label: string, timeout?: number): Promise<void> => {
        left[label] = req.timeLeft;
        await middle.call({
          scheme: 'raw',
          service: 'leaf',
          arg1: 'record',
          arg3: label,
          hostport: leafHostPort,
          parent: req,
          ...(timeout === undefined ? {} : { timeout }),
        });
      };
      await call('inherited');
      await call('asked-for-more', 10_000);
      await call('asked-for-less', 50);
      return {};
    });
    const middleHostPort = await middle.listen();

    const client = channel('client');
    await client.call({ scheme: 'raw', service: 'middle', arg1: 'fan-out', hostport: middleHostPort, timeout: 500 });
    for (const label of ['inherited', 'asked-for-more']) {
      // At most the parent's time left (rounded up to whole ms), and well below its own 500 ms.
      expect(ttls[label]).toBeLessThanOrEqual(Math.ceil(left[label]!));
      expect(ttls[label]).toBeLessThanOrEqual(410);
      expect(ttls[label]).toBeGreaterThan(left[label]! - 50);
    }
    expect(ttls['asked-for-less']).toBeLessThanOrEqual(50);
  });

  test('the server answers timeout when the ttl expires, aborts the handler and drops its late answer', async () => {
    const server = channel('server');
    let handlerSignal: AbortSignal | undefined;
    server.register('slow', async (req) => {
      handlerSignal = req.signal;
      await sleep(200);
      return { arg3: 'too late' };
    });
    server.register('echo', (req) => ({ arg3: req.arg3 }));
    const hostport = await server.listen();

    const raw = await RawSocketClient.connectReady(hostport);
    cleanups.push(() => raw.destroy());
    const sentAt = performance.now();
    // The client itself sets no deadline: only the server's ttl can end this call.
    raw.send(callRequest({ id: 2, ttl: 50, args: ['slow', '', ''] }));
    const error = await raw.waitForFrame((f) => isErrorFrame(f, 2));
    const elapsed = performance.now() - sentAt;
    expect(isErrorFrame(error, 2, ErrorCode.Timeout)).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(45);
    expect(elapsed).toBeLessThan(1_000);
    expect(handlerSignal?.aborted).toBe(true);
    expect(handlerSignal?.reason).toBeInstanceOf(TimeoutError);

    // The connection still serves calls, and the handler's late result never goes out.
    raw.send(callRequest({ id: 3, args: ['echo', '', 'still here'] }));
    await raw.waitForFrame((f) => f.type === FrameType.CallResponse && f.id === 3);
    await sleep(250);
    expect(raw.framesAfterInit.filter((f) => f.id === 2)).toHaveLength(1);
    expect(raw.closed).toBe(false);
  });

  test('a handler whose request already expired cannot call out: the child call times out without being sent', async () => {
    const leaf = channel('leaf');
    let leafCalls = 0;
    leaf.register('work', () => {
      leafCalls++;
      return {};
    });
    const leafHostPort = await leaf.listen();
    const middle = channel('middle');
    let childOutcome: Promise<unknown> | undefined;
    middle.register('late', async (req) => {
      await sleep(80);
      childOutcome = middle
        .call({ scheme: 'raw', service: 'leaf', arg1: 'work', hostport: leafHostPort, parent: req, timeout: 5000, retryOn: 'ct' })
        .catch((e: unknown) => e);
      await childOutcome;
      return {};
    });
    const middleHostPort = await middle.listen();
    const client = channel('client');
    await expect(client.call({ scheme: 'raw', service: 'middle', arg1: 'late', hostport: middleHostPort, timeout: 40 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
    await until(() => childOutcome !== undefined);
    expect(await childOutcome).toBeInstanceOf(TimeoutError);
    await sleep(20);
    expect(leafCalls).toBe(0);
  });

  test('timeout errors name the service, endpoint, peer and duration', async () => {
    const server = channel('server');
    server.register('hang', hang);
    const hostport = await server.listen();
    const client = channel('client');
    const err = await client.call({ scheme: 'raw', service: 'server', arg1: 'hang', hostport, timeout: 60 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    const timeout = err as TimeoutError;
    expect(timeout.service).toBe('server');
    expect(timeout.endpoint).toBe('hang');
    expect(timeout.peer).toBe(hostport);
    expect(timeout.message).toContain('service "server"');
    expect(timeout.message).toContain('endpoint "hang"');
    expect(timeout.message).toContain(hostport);
    const took = Number(/timed out after (\d+) ms/.exec(timeout.message)?.[1]);
    expect(took).toBeGreaterThanOrEqual(55);
    expect(timeout.message).toContain('timeout 60 ms');
  });
});

describe('cancellation', () => {
  test('aborting rejects at once with CancelledError and the serving handler’s signal aborts', async () => {
    const server = channel('server');
    let serverSignal: AbortSignal | undefined;
    server.register('hang', (req) => {
      serverSignal = req.signal;
      return hang();
    });
    const hostport = await server.listen();
    const client = channel('client');
    const controller = new AbortController();
    const outcome = client
      .call({ scheme: 'raw', service: 'server', arg1: 'hang', hostport, signal: controller.signal, timeout: 5000 })
      .catch((e: unknown) => e);
    await until(() => serverSignal !== undefined);
    const abortedAt = performance.now();
    controller.abort();
    const err = await outcome;
    expect(performance.now() - abortedAt).toBeLessThan(300);
    expect(err).toBeInstanceOf(CancelledError);
    expect((err as CancelledError).service).toBe('server');
    expect((err as CancelledError).endpoint).toBe('hang');
    await until(() => serverSignal!.aborted, 500);
    expect(serverSignal!.reason).toBeInstanceOf(CancelledError);
  });

  test('aborting a call still waiting for its connection (handshake unanswered) rejects at once', async () => {
    // Accepts TCP connections and never answers the init req.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    });
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    const client = channel('client', { initTimeout: 3000 });
    const controller = new AbortController();
    const outcome = client
      .call({ scheme: 'raw', service: 'svc', arg1: 'echo', hostport: `127.0.0.1:${address.port}`, signal: controller.signal, timeout: 3000 })
      .catch((e: unknown) => e);
    await until(() => sockets.length === 1);
    await sleep(20);
    const abortedAt = performance.now();
    controller.abort();
    const err = await outcome;
    expect(performance.now() - abortedAt).toBeLessThan(300);
    expect(err).toBeInstanceOf(CancelledError);
  });

  test('a signal aborted before the call starts rejects without sending anything', async () => {
    const server = channel('server');
    let calls = 0;
    server.register('echo', () => {
      calls++;
      return {};
    });
    const hostport = await server.listen();
    const client = channel('client');
    await expect(client.call({ scheme: 'raw', service: 'server', arg1: 'echo', hostport, signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      CancelledError,
    );
    await sleep(20);
    expect(calls).toBe(0);
  });

  test('cancelling a call cancels the handler’s outgoing calls made with parent, down to the leaf', async () => {
    const leaf = channel('leaf');
    let leafSignal: AbortSignal | undefined;
    leaf.register('hang', (req) => {
      leafSignal = req.signal;
      return hang();
    });
    const leafHostPort = await leaf.listen();

    const middle = channel('middle');
    let middleSignal: AbortSignal | undefined;
    let middleOutcome: unknown;
    middle.register('forward', async (req: Request) => {
      middleSignal = req.signal;
      try {
        return await middle.call({ scheme: 'raw', service: 'leaf', arg1: 'hang', hostport: leafHostPort, parent: req });
      } catch (err) {
        middleOutcome = err;
        throw err;
      }
    });
    const middleHostPort = await middle.listen();

    const client = channel('client');
    const controller = new AbortController();
    const outcome = client
      .call({ scheme: 'raw', service: 'middle', arg1: 'forward', hostport: middleHostPort, signal: controller.signal, timeout: 5000 })
      .catch((e: unknown) => e);
    await until(() => leafSignal !== undefined);
    const abortedAt = performance.now();
    controller.abort();
    expect(await outcome).toBeInstanceOf(CancelledError);
    await until(() => leafSignal!.aborted, 1000);
    // Well before any deadline: it was the cancel that travelled, not a timeout.
    expect(performance.now() - abortedAt).toBeLessThan(500);
    expect(middleSignal!.aborted).toBe(true);
    expect(middleOutcome).toBeInstanceOf(CancelledError);
    expect(leafSignal!.reason).toBeInstanceOf(CancelledError);
  });

  describe('late answers', () => {
    /**
     * A server that answers every call after arg2 ms, whatever happened meanwhile (ttl expiry,
     * cancel): it writes the call res straight on its connection, as a misbehaving or slow peer would.
     */
    async function stubbornServer(): Promise<string> {
      const connections: Connection[] = [];
      const server: Server = createServer((socket) => {
        const connection: Connection = new Connection(socket, {
          direction: 'inbound',
          localHostPort: '127.0.0.1:0',
          processName: 'stubborn',
          maxMessageBytes: 1 << 20,
          initTimeoutMs: 2000,
          onInboundCall: (call) => {
            void (async () => {
              const arg2 = await call.args.arg(1);
              const arg3 = await call.args.arg(2);
              setTimeout(() => {
                connection.sendResponse(call.id, { kind: 'response', code: 0, tracing: call.tracing, headers: { as: 'raw' } }, [Buffer.alloc(0), arg2, arg3], call.checksumType);
              }, Number(arg2.toString()));
            })();
          },
        });
        connections.push(connection);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(async () => {
        for (const connection of connections) connection.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no address');
      return `127.0.0.1:${address.port}`;
    }

    test('late responses after a timeout or a cancel are dropped; other calls on the connection succeed', async () => {
      const hostport = await stubbornServer();
      const client = channel('client');
      let closed = 0;
      client.on('connectionClose', () => closed++);
      const call = (delay: number, body: string, extra: { timeout?: number; signal?: AbortSignal } = {}) =>
        client.call({ scheme: 'raw', service: 'stubborn', arg1: 'any', arg2: String(delay), arg3: body, hostport, timeout: 2000, ...extra });

      // Connect first, so every call below shares one connection.
      await call(0, 'warm-up');
      const timedOut = call(120, 'timed out', { timeout: 40 }).catch((e: unknown) => e);
      const controller = new AbortController();
      const cancelled = call(120, 'cancelled', { signal: controller.signal }).catch((e: unknown) => e);
      setTimeout(() => controller.abort(), 20);
      // While the late answers are due and after they arrive, other calls get their own responses.
      const others = Array.from({ length: 20 }, (_, i) => sleep(i * 10).then(() => call(5, `other ${i}`)));

      expect(await timedOut).toBeInstanceOf(TimeoutError);
      expect(await cancelled).toBeInstanceOf(CancelledError);
      const results = await Promise.all(others);
      results.forEach((res, i) => expect(res.arg3.toString()).toBe(`other ${i}`));
      await sleep(50);
      const after = await call(0, 'after');
      expect(after.arg3.toString()).toBe('after');
      expect(closed).toBe(0);
      expect(client.peerStats()).toEqual([{ hostPort: hostport, connected: true, pending: 0, connections: 1 }]);
    });
  });
});

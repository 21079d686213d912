import { createServer, type Server } from 'node:net';
import {
  AlreadyListeningError,
  ArgTooLargeError,
  BadRequestError,
  BusyError,
  ChannelClosedError,
  ChecksumType,
  DeclinedError,
  NetworkError,
  NoAvailablePeerError,
  RequestDispatcher,
  TChannel,
  TChannelError,
  TimeoutError,
  UnexpectedError,
  type Request,
} from '../src';

const channels: TChannel[] = [];

function channel(name: string, options: Partial<ConstructorParameters<typeof TChannel>[0]> = {}): TChannel {
  const ch = new TChannel({ name, ...options });
  channels.push(ch);
  return ch;
}

afterEach(async () => {
  await Promise.all(channels.splice(0).map((ch) => ch.close()));
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function serve(): Promise<{ server: TChannel; hostport: string; seen: Request[] }> {
  const server = channel('server');
  const seen: Request[] = [];
  server.register('echo', (req) => {
    seen.push(req);
    return { arg2: req.arg2, arg3: req.arg3 };
  });
  server.register('delay', async (req) => {
    seen.push(req);
    await sleep(Number(req.arg2.toString()));
    return { arg2: req.arg2, arg3: req.arg3 };
  });
  server.register('app-error', () => ({ code: 1, arg2: 'h', arg3: 'went wrong' }));
  server.register('busy', () => {
    throw new BusyError('too busy');
  });
  server.register('declined', () => {
    throw new DeclinedError('not today');
  });
  server.register('throws', () => {
    throw new Error('kaboom');
  });
  const hostport = await server.listen();
  return { server, hostport, seen };
}

describe('TChannel calls between two channels', () => {
  test('round trips args and reports code, headers and peer', async () => {
    const { hostport, seen } = await serve();
    const client = channel('client');
    const res = await client.call({ scheme: 'raw', service: 'server', arg1: 'echo', arg2: 'head', arg3: 'body', hostport });
    expect(res.code).toBe(0);
    expect(res.arg2.toString()).toBe('head');
    expect(res.arg3.toString()).toBe('body');
    expect(res.headers['as']).toBe('raw');
    expect(res.hostPort).toBe(hostport);
    const req = seen[0]!;
    expect(req.service).toBe('server');
    expect(req.callerName).toBe('client');
    expect(req.transportHeaders['re']).toBe('c');
    expect(req.checksumType).toBe(ChecksumType.Crc32c);
    expect(req.tracing.traceId).not.toBe(0n);
  });

  test('sends a ttl equal to the time left of the timeout', async () => {
    const { hostport, seen } = await serve();
    const client = channel('client');
    await client.call({ scheme: 'raw', service: 'server', arg1: 'echo', hostport, timeout: 1234 });
    expect(seen[0]!.timeout).toBeLessThanOrEqual(1234);
    expect(seen[0]!.timeout).toBeGreaterThan(1000);
  });

  test('many calls in flight on one connection complete out of order, each with its own response', async () => {
    const { server, hostport } = await serve();
    const client = channel('client');
    // The first call is far slower than the rest, so the order holds even on a loaded machine.
    const delays = Array.from({ length: 30 }, (_, i) => (i === 0 ? 400 : i % 5));
    const order: number[] = [];
    const results = await Promise.all(
      delays.map((delay, i) =>
        client
          .call({ scheme: 'raw', service: 'server', arg1: 'delay', arg2: String(delay), arg3: Buffer.alloc(1000 + i * 5000, i), hostport })
          .then((res) => {
            order.push(i);
            return res;
          }),
      ),
    );
    results.forEach((res, i) => {
      expect(res.arg3.length).toBe(1000 + i * 5000);
      expect(res.arg3.every((b) => b === i)).toBe(true);
    });
    // The slowest call was sent first and finished last: responses were not head-of-line blocked.
    expect(order[0]).not.toBe(0);
    expect(order[order.length - 1]).toBe(0);
    // All on one outbound connection.
    expect(client.peerStats()).toEqual([{ hostPort: hostport, connected: true, pending: 0, connections: 1 }]);
    expect(server.peerStats()).toEqual([]);
  });

  test.each([ChecksumType.None, ChecksumType.Crc32, ChecksumType.Farmhash32, ChecksumType.Crc32c])(
    'checksum type %i: request verified, response uses the same type',
    async (checksumType) => {
      const { hostport, seen } = await serve();
      const client = channel('client', { checksumType });
      const body = Buffer.alloc(200_000, 7);
      const res = await client.call({ scheme: 'raw', service: 'server', arg1: 'echo', arg3: body, hostport });
      expect(res.arg3.equals(body)).toBe(true);
      expect(seen[0]!.checksumType).toBe(checksumType);
    },
  );

  test('application errors resolve with code 1 at the channel level', async () => {
    const { hostport } = await serve();
    const client = channel('client');
    const res = await client.call({ scheme: 'raw', service: 'server', arg1: 'app-error', hostport });
    expect(res.code).toBe(1);
    expect(res.arg3.toString()).toBe('went wrong');
  });

  test('error frames map to their error classes', async () => {
    const { hostport } = await serve();
    const client = channel('client');
    const call = (arg1: string) => client.call({ scheme: 'raw', service: 'server', arg1, hostport });
    await expect(call('busy')).rejects.toBeInstanceOf(BusyError);
    await expect(call('declined')).rejects.toBeInstanceOf(DeclinedError);
    await expect(call('nope')).rejects.toThrow(BadRequestError);
    await expect(call('nope')).rejects.toThrow('no handler for service "server" and endpoint "nope"');
    const thrown = call('throws');
    await expect(thrown).rejects.toBeInstanceOf(UnexpectedError);
    await expect(thrown).rejects.toThrow('kaboom');
  });

  test('a local timeout rejects with TimeoutError naming the call, and the connection stays usable', async () => {
    const { hostport } = await serve();
    const client = channel('client');
    const slow = client.call({ scheme: 'raw', service: 'server', arg1: 'delay', arg2: '300', hostport, timeout: 50 });
    await expect(slow).rejects.toBeInstanceOf(TimeoutError);
    await expect(slow).rejects.toThrow(/service "server" endpoint "delay" at 127\.0\.0\.1:\d+ timed out/);
    const ok = await client.call({ scheme: 'raw', service: 'server', arg1: 'echo', arg3: 'after', hostport });
    expect(ok.arg3.toString()).toBe('after');
    expect(client.peerStats()[0]!.connections).toBe(1);
  });

  test('the server answers timeout when the ttl expires before the handler answers', async () => {
    const server = channel('server');
    server.register('hang', () => new Promise<never>(() => undefined));
    const hostport = await server.listen();
    const client = channel('client');
    // The client's own deadline and the server's ttl are equal; either way the call is a timeout.
    await expect(client.call({ scheme: 'raw', service: 'server', arg1: 'hang', hostport, timeout: 80 })).rejects.toBeInstanceOf(TimeoutError);
  });

  test('handlers see an aborted signal when their ttl expires', async () => {
    const server = channel('server');
    let aborted: Promise<unknown> | undefined;
    server.register('watch', (req) => {
      aborted = new Promise((resolve) => req.signal.addEventListener('abort', () => resolve(req.signal.reason)));
      return new Promise<never>(() => undefined);
    });
    const hostport = await server.listen();
    const client = channel('client');
    await expect(client.call({ scheme: 'raw', service: 'server', arg1: 'watch', hostport, timeout: 60 })).rejects.toThrow(TimeoutError);
    await expect(aborted).resolves.toBeInstanceOf(TimeoutError);
  });

  test('aborting a call rejects it at once and the server handler is cancelled', async () => {
    const server = channel('server');
    let serverSignal: AbortSignal | undefined;
    server.register('hang', (req) => {
      serverSignal = req.signal;
      return new Promise<never>(() => undefined);
    });
    const hostport = await server.listen();
    const client = channel('client');
    const controller = new AbortController();
    const call = client.call({ scheme: 'raw', service: 'server', arg1: 'hang', hostport, signal: controller.signal });
    await sleep(30);
    controller.abort();
    await expect(call).rejects.toThrow(/aborted/);
    await sleep(30);
    expect(serverSignal?.aborted).toBe(true);
  });

  test('the dispatcher FALLBACK handles unknown endpoints', async () => {
    const server = channel('server');
    server.register(RequestDispatcher.FALLBACK, (req) => ({ arg3: `fallback for ${req.endpoint}` }));
    const hostport = await server.listen();
    const client = channel('client');
    const res = await client.call({ scheme: 'raw', service: 'server', arg1: 'anything', hostport });
    expect(res.arg3.toString()).toBe('fallback for anything');
  });

  test('a handler registered for a scheme rejects calls in another scheme', async () => {
    const server = channel('server');
    server.register('json-only', () => ({}), { scheme: 'json' });
    const hostport = await server.listen();
    const client = channel('client');
    await expect(client.call({ scheme: 'raw', service: 'server', arg1: 'json-only', hostport })).rejects.toThrow(
      /expects arg scheme "json" but the call uses "raw"/,
    );
  });

  test('arg1 over 16 KiB is refused before sending', async () => {
    const client = channel('client');
    await expect(
      client.call({ scheme: 'raw', service: 'server', arg1: 'x'.repeat(16 * 1024 + 1), hostport: '127.0.0.1:1' }),
    ).rejects.toBeInstanceOf(ArgTooLargeError);
  });

  test('messages over maxMessageBytes get bad request and the connection keeps working', async () => {
    const server = channel('server', { maxMessageBytes: 100_000 });
    server.register('echo', (req) => ({ arg3: req.arg3 }));
    const hostport = await server.listen();
    const client = channel('client');
    await expect(client.call({ scheme: 'raw', service: 'server', arg1: 'echo', arg3: Buffer.alloc(200_000), hostport })).rejects.toThrow(
      BadRequestError,
    );
    const ok = await client.call({ scheme: 'raw', service: 'server', arg1: 'echo', arg3: 'small', hostport });
    expect(ok.arg3.toString()).toBe('small');
  });
});

describe('TChannel lifecycle and peers', () => {
  test('listen twice is an AlreadyListeningError; calls after close are ChannelClosedError', async () => {
    const server = channel('server');
    await server.listen();
    await expect(server.listen()).rejects.toBeInstanceOf(AlreadyListeningError);
    await server.close();
    await expect(server.call({ scheme: 'raw', service: 's', arg1: 'e', hostport: '127.0.0.1:1' })).rejects.toBeInstanceOf(ChannelClosedError);
  });

  test('a client-only channel identifies as 0.0.0.0:0; a listening one as its address', async () => {
    const client = channel('client');
    expect(client.hostPort).toBe('0.0.0.0:0');
    const server = channel('server');
    const hostport = await server.listen();
    expect(server.hostPort).toBe(hostport);
    expect(hostport).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  test('connection refused is a NetworkError; no retries for a pinned hostport', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    const client = channel('client');
    await expect(client.call({ scheme: 'raw', service: 's', arg1: 'e', hostport: `127.0.0.1:${address.port}` })).rejects.toBeInstanceOf(
      NetworkError,
    );
  });

  test('calls without hostport use known peers, skip unreachable ones and retry busy on another peer', async () => {
    const good = channel('good');
    good.register('work', () => ({ arg3: 'good' }));
    const goodHostPort = await good.listen();
    const busy = channel('busy');
    busy.register('work', () => {
      throw new BusyError('busy');
    });
    const busyHostPort = await busy.listen();
    const client = channel('client', { knownPeers: ['127.0.0.1:1', busyHostPort, goodHostPort] });
    for (let i = 0; i < 5; i++) {
      const res = await client.call({ scheme: 'raw', service: 'svc', arg1: 'work' });
      expect(res.arg3.toString()).toBe('good');
      expect(res.hostPort).toBe(goodHostPort);
    }
  });

  test('no known peers is a NoAvailablePeerError', async () => {
    const client = channel('client');
    const err = await client.call({ scheme: 'raw', service: 'svc', arg1: 'work' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoAvailablePeerError);
    expect(err).toBeInstanceOf(TChannelError);
  });

  test('closing a server fails in-flight calls with a network error', async () => {
    const server = channel('server');
    server.register('hang', () => new Promise<never>(() => undefined));
    const hostport = await server.listen();
    const client = channel('client');
    const outcome = client.call({ scheme: 'raw', service: 'server', arg1: 'hang', hostport }).catch((e: unknown) => e);
    await sleep(30);
    await server.close();
    expect(await outcome).toBeInstanceOf(NetworkError);
  });
});

describe('plain handlers answering { headers, body }', () => {
  test('bytes and strings are sent as arg2/arg3; transportHeaders go on the call res', async () => {
    const server = channel('server');
    server.register('greet', async (req) => ({ headers: 'h:' + req.arg2.toString(), body: Buffer.from(`hello ${req.arg3.toString()}`), transportHeaders: { fd: 'greeting' } }), { scheme: 'raw' });
    const hostport = await server.listen();
    const client = channel('client');
    const res = await client.call({ scheme: 'raw', service: 'server', arg1: 'greet', arg2: 'x', arg3: 'ada', hostport });
    expect(res.arg2.toString()).toBe('h:x');
    expect(res.arg3.toString()).toBe('hello ada');
    expect(res.headers['fd']).toBe('greeting');
  });

  test('a registered scheme encodes them; a value no encoder can take answers unexpected', async () => {
    const server = channel('server');
    server.schemes.register({ name: 'upper', encodeBody: (body) => Buffer.from(String(body).toUpperCase()) });
    server.register('shout', () => ({ body: 'quiet' }), { scheme: 'upper' });
    server.register('object', () => ({ body: { not: 'bytes' } }), { scheme: 'raw' });
    const hostport = await server.listen();
    const client = channel('client');
    const res = await client.call({ scheme: 'upper', service: 'server', arg1: 'shout', hostport });
    expect(res.arg3.toString()).toBe('QUIET');
    await expect(client.call({ scheme: 'raw', service: 'server', arg1: 'object', hostport })).rejects.toThrow(/must be a Buffer or string/);
  });
});

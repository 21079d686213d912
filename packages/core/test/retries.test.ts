// Retries of calls without `hostport`: which errors are retried under which `retryOn` flags, on
// which peer, with what transport headers, trace and ttl; retryLimit; pinned calls.

import {
  BusyError,
  DeclinedError,
  NetworkError,
  NoAvailablePeerError,
  TChannel,
  TimeoutError,
  UnexpectedError,
  type Connection,
  type HandlerResult,
  type Request,
  type RetryOn,
} from '../src';
import { channel, sleep } from './channels.fixtures';

/** One attempt as the server that received it saw it (recorded by an incoming interceptor). */
interface Attempt {
  readonly server: string;
  readonly hostPort: string;
  readonly re: string | undefined;
  readonly traceId: bigint;
  readonly spanId: bigint;
  readonly ttl: number;
}

interface Cluster {
  readonly hostPorts: string[];
  readonly attempts: Attempt[];
  readonly client: TChannel;
}

/**
 * `n` servers sharing one `work` handler, which gets the attempt number (0 for the first attempt
 * any server saw) and its server's inbound connections; a client with all of them as known peers.
 */
async function cluster(
  n: number,
  handler: (attempt: number, request: Request, connections: Connection[]) => HandlerResult | Promise<HandlerResult>,
): Promise<Cluster> {
  const attempts: Attempt[] = [];
  const hostPorts = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const name = `server${i}`;
      const server = channel(name);
      const connections: Connection[] = [];
      server.on('connection', (connection) => connections.push(connection));
      server.useIncoming((request, next) => {
        attempts.push({
          server: name,
          hostPort: server.hostPort,
          re: request.transportHeaders['re'],
          traceId: request.tracing.traceId,
          spanId: request.tracing.spanId,
          ttl: request.timeout,
        });
        return next(request);
      });
      server.register('work', (request) => handler(attempts.length - 1, request, connections));
      return server.listen();
    }),
  );
  return { hostPorts, attempts, client: channel('client', { knownPeers: hostPorts }) };
}

const work = (client: TChannel, extra: { retryOn?: RetryOn; retryLimit?: number; hostport?: string } = {}) =>
  client.call({ scheme: 'raw', service: 'svc', arg1: 'work', timeout: 2000, ...extra });

describe('retries', () => {
  test.each([
    ['busy', () => new BusyError('too busy')],
    ['declined', () => new DeclinedError('not today')],
  ])('%s is retried on another peer with the same trace, the re header and the time left as ttl', async (_kind, error) => {
    const { client, attempts } = await cluster(2, async (attempt) => {
      if (attempt > 0) return { arg3: 'ok' };
      await sleep(60);
      throw error();
    });
    const res = await work(client);
    expect(res.arg3.toString()).toBe('ok');
    expect(attempts).toHaveLength(2);
    const [first, retry] = attempts as [Attempt, Attempt];
    expect(retry.server).not.toBe(first.server);
    expect(res.hostPort).toBe(retry.hostPort);
    expect(first.re).toBe('c');
    expect(retry.re).toBe('c');
    expect(retry.traceId).toBe(first.traceId);
    expect(retry.traceId).toBe(res.tracing.traceId);
    // The retry's ttl is what was left of the deadline, not the whole timeout again.
    expect(first.ttl).toBeLessThanOrEqual(2000);
    expect(retry.ttl).toBeLessThanOrEqual(first.ttl - 50);
  });

  test("retryOn 'n' never retries, not even busy or declined", async () => {
    const { client, attempts } = await cluster(2, () => {
      throw new BusyError('too busy');
    });
    await expect(work(client, { retryOn: 'n' })).rejects.toBeInstanceOf(BusyError);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]!.re).toBe('n');
  });

  test.each([
    ['c', true],
    ['ct', true],
    ['t', false],
    ['n', false],
  ] as const)("a connection lost mid-call is retried under '%s': %s", async (retryOn, retried) => {
    const { client, attempts } = await cluster(2, (attempt, _request, connections) => {
      if (attempt > 0) return { arg3: 'ok' };
      // The server's connection dies while the call is in flight.
      for (const connection of connections) connection.fail(new NetworkError('pulled the plug'));
      throw new Error('too late to answer');
    });
    const outcome = work(client, { retryOn });
    if (retried) {
      expect((await outcome).arg3.toString()).toBe('ok');
      expect(attempts).toHaveLength(2);
      expect(attempts[1]!.server).not.toBe(attempts[0]!.server);
    } else {
      await expect(outcome).rejects.toBeInstanceOf(NetworkError);
      expect(attempts).toHaveLength(1);
    }
  });

  test.each([
    ['c', false],
    ['n', false],
    ['t', true],
    ['ct', true],
    ['tc', true],
  ] as const)("a timeout error frame is retried under '%s': %s", async (retryOn, retried) => {
    const { client, attempts } = await cluster(2, (attempt) => {
      if (attempt > 0) return { arg3: 'ok' };
      throw new TimeoutError('downstream timed out');
    });
    const outcome = work(client, { retryOn });
    if (retried) {
      expect((await outcome).arg3.toString()).toBe('ok');
      expect(attempts).toHaveLength(2);
      expect(attempts[1]!.server).not.toBe(attempts[0]!.server);
    } else {
      await expect(outcome).rejects.toBeInstanceOf(TimeoutError);
      expect(attempts).toHaveLength(1);
    }
  });

  test.each(['c', 'ct'] as const)(
    "unexpected errors (0x05) are never retried, even under '%s': the work may have happened",
    async (retryOn) => {
      const { client, attempts } = await cluster(2, (attempt) => {
        if (attempt > 0) return { arg3: 'ok' };
        throw new Error('side effect done, then failed');
      });
      await expect(work(client, { retryOn })).rejects.toBeInstanceOf(UnexpectedError);
      expect(attempts).toHaveLength(1);
    },
  );

  test('retryLimit bounds the attempts, each on a different peer', async () => {
    const { client, attempts } = await cluster(6, () => {
      throw new BusyError('too busy');
    });
    await expect(work(client, { retryLimit: 2 })).rejects.toBeInstanceOf(BusyError);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.server)).size).toBe(3);

    attempts.length = 0;
    await expect(work(client, { retryLimit: 0 })).rejects.toBeInstanceOf(BusyError);
    expect(attempts).toHaveLength(1);

    // Default: 4 extra attempts.
    attempts.length = 0;
    await expect(work(client)).rejects.toBeInstanceOf(BusyError);
    expect(attempts).toHaveLength(5);
    expect(new Set(attempts.map((a) => a.server)).size).toBe(5);
  });

  test.each([
    ['busy', () => new BusyError('too busy'), BusyError, 'c'],
    ['timeout', () => new TimeoutError('downstream timed out'), TimeoutError, 't'],
  ] as const)(
    'when every peer answered %s, the caller gets that answer, not NoAvailablePeerError',
    async (_kind, error, ErrorClass, retryOn) => {
      const { client, attempts } = await cluster(2, () => {
        throw error();
      });
      const err = await work(client, { retryOn }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ErrorClass);
      expect(err).not.toBeInstanceOf(NoAvailablePeerError);
      expect((err as Error).message).toContain('endpoint "work"');
      expect(attempts).toHaveLength(2);
    },
  );

  test('a call pinned to a hostport is not retried unless retryLimit says so', async () => {
    let busyLeft = 1;
    const { client, attempts, hostPorts } = await cluster(2, () => {
      if (busyLeft-- > 0) throw new BusyError('too busy');
      return { arg3: 'ok' };
    });
    const hostport = hostPorts[0]!;
    await expect(work(client, { hostport })).rejects.toBeInstanceOf(BusyError);
    expect(attempts).toHaveLength(1);

    busyLeft = 1;
    attempts.length = 0;
    const res = await work(client, { hostport, retryLimit: 1 });
    expect(res.arg3.toString()).toBe('ok');
    // Both attempts went to the pinned peer.
    expect(attempts.map((a) => a.server)).toEqual(['server0', 'server0']);
    expect(res.hostPort).toBe(hostport);
  });
});

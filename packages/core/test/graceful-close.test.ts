// Graceful close (in-flight calls finish, new ones are turned away, a grace period bounds the wait)
// and load shedding (maxConcurrentRequests answers busy, which callers retry elsewhere).

import { BusyError, ChannelClosedError, DeclinedError, NetworkError, TChannel, TChannelError, type TChannelOptions } from '../src';
import { channel, sleep } from './channels.fixtures';

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time');
    await sleep(5);
  }
}

interface Served {
  readonly server: TChannel;
  readonly hostPort: string;
  /** Signals of every `hang` request, to see them aborted. */
  readonly hangSignals: AbortSignal[];
}

/** `slow` answers its name after arg2 ms (100 by default); `hang` never answers; `echo`. */
async function serve(name: string, options: Partial<TChannelOptions> = {}): Promise<Served> {
  const ch = channel(name, options);
  const hangSignals: AbortSignal[] = [];
  ch.register('slow', async (req) => {
    await sleep(Number(req.arg2.toString() || '100'));
    return { arg3: name };
  });
  ch.register('hang', (req) => {
    hangSignals.push(req.signal);
    return new Promise<never>(() => undefined);
  });
  ch.register('echo', (req) => ({ arg3: req.arg3 }));
  return { server: ch, hostPort: await ch.listen(), hangSignals };
}

const call = (client: TChannel, arg1: string, extra: { hostport?: string; arg2?: string; timeout?: number } = {}) =>
  client.call({ scheme: 'raw', service: 'svc', arg1, timeout: 5000, ...extra });

describe('graceful close', () => {
  test('close() lets calls in flight finish successfully, then resolves', async () => {
    const { server, hostPort } = await serve('s');
    const client = channel('client');
    const calls = Array.from({ length: 5 }, () => call(client, 'slow', { hostport: hostPort, arg2: '150' }));
    await until(() => server.activeRequests === 5);
    const start = performance.now();
    const closing = server.close();
    expect(server.isClosed).toBe(true);
    const results = await Promise.all(calls);
    expect(results.map((r) => r.arg3.toString())).toEqual(['s', 's', 's', 's', 's']);
    await closing;
    // It waited for the calls, not for the whole (default 5 s) grace period.
    expect(performance.now() - start).toBeLessThan(1000);
  });

  test('while closing, new calls on an open connection are declined, new connections are turned away, and callers with other peers move on', async () => {
    const closingServer = await serve('closing');
    const other = await serve('other');
    const client = channel('client', { knownPeers: [closingServer.hostPort, other.hostPort] });
    // Keep the closing server busy so its close takes a while.
    const inFlight = call(client, 'slow', { hostport: closingServer.hostPort, arg2: '300' });
    await until(() => closingServer.server.activeRequests === 1);
    const closing = closingServer.server.close();

    await expect(call(client, 'echo', { hostport: closingServer.hostPort })).rejects.toBeInstanceOf(DeclinedError);
    const fresh = channel('fresh');
    const err = await call(fresh, 'echo', { hostport: closingServer.hostPort }).catch((e: unknown) => e);
    expect(err instanceof NetworkError || err instanceof DeclinedError).toBe(true);
    // Declined and refused are both retried on another peer.
    for (let i = 0; i < 5; i++) {
      const res = await call(client, 'slow', { arg2: '1' });
      expect(res.arg3.toString()).toBe('other');
    }
    expect((await inFlight).arg3.toString()).toBe('closing');
    await closing;
  });

  test('a closing channel rejects its own new calls with ChannelClosedError while its calls in flight finish', async () => {
    const { hostPort } = await serve('s');
    const client = channel('client');
    const inFlight = call(client, 'slow', { hostport: hostPort, arg2: '150' });
    await until(() => client.activeCalls === 1);
    const closing = client.close();
    await expect(call(client, 'echo', { hostport: hostPort })).rejects.toBeInstanceOf(ChannelClosedError);
    await expect(client.callStreaming({ scheme: 'raw', service: 'svc', arg1: 'echo', hostport: hostPort })).rejects.toBeInstanceOf(ChannelClosedError);
    expect((await inFlight).arg3.toString()).toBe('s');
    await closing;
  });

  test('with a short gracePeriod, a server’s calls still running fail with an error instead of hanging', async () => {
    const { server, hostPort, hangSignals } = await serve('s');
    const client = channel('client');
    const outcome = call(client, 'hang', { hostport: hostPort, timeout: 10_000 }).catch((e: unknown) => e);
    await until(() => hangSignals.length === 1);
    const start = performance.now();
    await server.close({ gracePeriod: 100 });
    const err = await outcome;
    const elapsed = performance.now() - start;
    expect(err).toBeInstanceOf(NetworkError);
    expect(elapsed).toBeGreaterThanOrEqual(90);
    expect(elapsed).toBeLessThan(2_000);
    expect(hangSignals[0]!.aborted).toBe(true);
  });

  test('with a short gracePeriod, a client’s own calls still running fail with an error instead of hanging', async () => {
    const { hostPort } = await serve('s');
    const client = channel('client');
    const outcome = call(client, 'hang', { hostport: hostPort, timeout: 10_000 }).catch((e: unknown) => e);
    await until(() => client.activeCalls === 1);
    await sleep(20);
    const start = performance.now();
    await client.close({ gracePeriod: 100 });
    const err = await outcome;
    expect(err).toBeInstanceOf(TChannelError);
    expect(performance.now() - start).toBeLessThan(2_000);
  });
});

describe('load shedding', () => {
  test('maxConcurrentRequests: 2 answers the third concurrent call busy; later calls are served', async () => {
    const { server, hostPort } = await serve('s', { maxConcurrentRequests: 2 });
    const client = channel('client');
    const outcomes = await Promise.all(
      [0, 1, 2].map((i) =>
        sleep(i * 10).then(() =>
          call(client, 'slow', { hostport: hostPort, arg2: '150' }).then(
            (res) => res.arg3.toString(),
            (err: unknown) => err,
          ),
        ),
      ),
    );
    expect(outcomes.slice(0, 2)).toEqual(['s', 's']);
    expect(outcomes[2]).toBeInstanceOf(BusyError);
    expect(server.activeRequests).toBe(0);
    expect((await call(client, 'echo', { hostport: hostPort })).code).toBe(0);
  });

  test('a call shed as busy is retried on another known peer', async () => {
    const full = await serve('full', { maxConcurrentRequests: 2 });
    const spare = await serve('spare');
    // Another caller fills the first server up.
    const other = channel('other');
    const filling = [0, 1].map(() => call(other, 'slow', { hostport: full.hostPort, arg2: '300' }));
    await until(() => full.server.activeRequests === 2);

    const client = channel('client', { knownPeers: [full.hostPort, spare.hostPort] });
    // A call of ours in flight on the spare makes it the busier peer, so the next call picks the full one first.
    const onSpare = call(client, 'slow', { hostport: spare.hostPort, arg2: '200' });
    await until(() => (client.peerStats().find((p) => p.hostPort === spare.hostPort)?.pending ?? 0) === 1);
    let attemptsOnFull = 0;
    client.on('connection', () => attemptsOnFull++);

    const res = await call(client, 'echo', { arg2: '', timeout: 2000 });
    expect(res.hostPort).toBe(spare.hostPort);
    // The first attempt opened a connection to the full server, which shed it.
    expect(attemptsOnFull).toBe(1);
    expect(client.peerStats().find((p) => p.hostPort === full.hostPort)?.connections).toBe(1);
    await Promise.all([...filling, onSpare]);
  });
});

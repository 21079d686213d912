// Peer choice for calls without `hostport`: load spreads over known peers (power of two choices),
// unreachable peers are skipped and come back after their backoff, per-service lists, and slow
// peers (many calls pending) get fewer new calls.

import { createServer } from 'node:net';
import { NetworkError, NoAvailablePeerError, TChannel } from '../src';
import { FAILED_PEER_BACKOFF_MS } from '../src/channel/peer-selector';
import { channel, sleep } from './channels.fixtures';

/** A port nobody listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

/** A server whose `work` endpoint answers with its name after `delayMs`. */
async function server(name: string, delayMs = 0, port?: number): Promise<string> {
  const ch = channel(name);
  ch.register('work', async () => {
    await sleep(delayMs);
    return { arg3: name };
  });
  return ch.listen(port === undefined ? {} : { port });
}

/** Runs `total` calls, `concurrency` at a time; counts which peer answered each. */
async function spread(client: TChannel, total: number, concurrency: number, service = 'svc'): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++;
      const res = await client.call({ scheme: 'raw', service, arg1: 'work', timeout: 2000 });
      counts.set(res.hostPort, (counts.get(res.hostPort) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return counts;
}

describe('peer choice', () => {
  test('300 calls at concurrency 10 are shared fairly by three known peers', async () => {
    const peers = await Promise.all([server('s0', 1), server('s1', 1), server('s2', 1)]);
    const client = channel('client', { knownPeers: peers });
    const counts = await spread(client, 300, 10);
    for (const hostPort of peers) {
      // A fair share is 100; power of two choices keeps every peer well above 15%.
      expect(counts.get(hostPort) ?? 0).toBeGreaterThanOrEqual(45);
    }
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(300);
  });

  test('calls made one at a time also reach every peer (none sits idle behind a connected one)', async () => {
    const peers = await Promise.all([server('s0'), server('s1'), server('s2')]);
    const client = channel('client', { knownPeers: peers });
    const counts = await spread(client, 150, 1);
    for (const hostPort of peers) expect(counts.get(hostPort) ?? 0).toBeGreaterThanOrEqual(15);
  });

  test('an unreachable peer is skipped; once it listens again, after the backoff, it gets calls again', async () => {
    const port = await closedPort();
    const dead = `127.0.0.1:${port}`;
    const live = await Promise.all([server('a'), server('b')]);
    const client = channel('client', { knownPeers: [dead, ...live] });
    const before = await spread(client, 40, 4);
    expect(before.get(dead)).toBeUndefined();
    expect((before.get(live[0]!) ?? 0) + (before.get(live[1]!) ?? 0)).toBe(40);

    const revived = await server('revived', 0, port);
    expect(revived).toBe(dead);
    // Within the backoff the failed peer is still avoided...
    const during = await spread(client, 20, 1);
    expect(during.get(dead)).toBeUndefined();
    // ...and afterwards it is chosen again, even by calls made one at a time.
    await sleep(FAILED_PEER_BACKOFF_MS + 50);
    const after = await spread(client, 60, 1);
    expect(after.get(dead) ?? 0).toBeGreaterThan(0);
  });

  test('NoAvailablePeerError when no known peer is usable, naming the peers tried', async () => {
    const dead = [`127.0.0.1:${await closedPort()}`, `127.0.0.1:${await closedPort()}`];
    const client = channel('client', { knownPeers: dead });
    const err = await client.call({ scheme: 'raw', service: 'svc', arg1: 'work', timeout: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NoAvailablePeerError);
    for (const hostPort of dead) expect((err as Error).message).toContain(hostPort);
    // Why they were not usable: the last connection failure.
    expect((err as Error).cause).toBeInstanceOf(NetworkError);
    // Both in backoff: the next call still tries them rather than hanging or failing differently.
    await expect(client.call({ scheme: 'raw', service: 'svc', arg1: 'work', timeout: 2000 })).rejects.toBeInstanceOf(NoAvailablePeerError);
  });

  test('per-service peers are used for that service only; other services use the known peers', async () => {
    const [forA, general] = await Promise.all([server('for-a'), server('general')]);
    const client = channel('client', { knownPeers: [general] });
    const added: Array<[string, string | undefined]> = [];
    client.on('peerAdded', (hostPort, service) => added.push([hostPort, service]));
    client.addPeer(forA, 'svcA');
    expect(added).toEqual([[forA, 'svcA']]);

    const a = await spread(client, 20, 4, 'svcA');
    expect([...a.keys()]).toEqual([forA]);
    const b = await spread(client, 20, 4, 'svcB');
    expect([...b.keys()]).toEqual([general]);
  });

  test('a slow peer (many calls pending) gets far fewer new calls than fast ones', async () => {
    const [slow, fast1, fast2] = await Promise.all([server('slow', 150), server('fast1', 1), server('fast2', 1)]);
    const client = channel('client', { knownPeers: [slow!, fast1!, fast2!] });
    const counts = await spread(client, 300, 10);
    const slowCount = counts.get(slow!) ?? 0;
    const fastest = Math.min(counts.get(fast1!) ?? 0, counts.get(fast2!) ?? 0);
    expect(fastest).toBeGreaterThan(60);
    expect(slowCount * 4).toBeLessThan(fastest);
  });
});

// Failover when a server process dies mid-call: tchannel-ts servers run in child processes
// (src/ts-peer/server-process.js, on the built @tchannel/core) and one is SIGKILLed while a client
// has many calls in flight on all of them. The calls that were on it fail with NetworkError or,
// under the default retryOn 'c', succeed on another peer; the client's other calls keep
// succeeding, and later calls avoid the dead peer.

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { NetworkError, TChannel, type CallResponseResult, type RetryOn } from '@tchannel/core';

const SCRIPT = path.join(__dirname, '../src/ts-peer/server-process.js');
const CORE_DIST = path.join(__dirname, '../../core/dist/index.js');
const START_TIMEOUT_MS = 10_000;
const SERVICE = 'failover';
const TIMEOUT_MS = 4000;

interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly hostPort: string;
  readonly exited: Promise<void>;
}

const started: ServerProcess[] = [];
const clients: TChannel[] = [];

beforeAll(() => {
  if (!existsSync(CORE_DIST)) throw new Error(`${CORE_DIST} is missing: build @tchannel/core first (cd packages/core && npx tsc -p tsconfig.build.json)`);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close({ gracePeriod: 0 })));
  await Promise.all(started.splice(0).map(stop));
});

function isObj(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

async function startServer(name: string): Promise<ServerProcess> {
  const child = fork(SCRIPT, [name], { execArgv: [], silent: true, serialization: 'json' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const hostPort = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${START_TIMEOUT_MS} ms: ${output}`));
    }, START_TIMEOUT_MS);
    child.on('message', (msg: unknown) => {
      if (!isObj(msg)) return;
      if (msg['event'] === 'ready' && typeof msg['hostPort'] === 'string') {
        clearTimeout(timer);
        resolve(msg['hostPort']);
      } else if (msg['event'] === 'failed') {
        clearTimeout(timer);
        reject(new Error(`${name} failed to start: ${String(msg['message'])}`));
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (code ${String(code)}, signal ${String(signal)}) before it was ready: ${output}`));
    });
  });
  const server = { name, child, hostPort, exited };
  started.push(server);
  return server;
}

/** Asks a live server to close and exit; kills it if it lingers. */
async function stop(server: ServerProcess): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    if (server.child.connected) server.child.send({ cmd: 'close' });
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 2000);
    await server.exited;
    clearTimeout(timer);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > timeoutMs) throw new Error('condition not met in time');
    await sleep(2);
  }
}

function client(hostPorts: string[]): { client: TChannel; dialled: string[] } {
  const ch = new TChannel({ name: 'failover-client', knownPeers: hostPorts, timeout: TIMEOUT_MS });
  clients.push(ch);
  const dialled: string[] = [];
  // Outbound connections are named by the host:port dialled: a log of connection attempts.
  ch.on('connection', (connection) => dialled.push(connection.remoteAddress));
  return { client: ch, dialled };
}

const pendingOn = (ch: TChannel, hostPort: string): number => ch.peerStats().find((p) => p.hostPort === hostPort)?.pending ?? 0;

function echo(ch: TChannel, body: string): Promise<CallResponseResult> {
  return ch.call({ scheme: 'raw', service: SERVICE, arg1: 'echo', arg3: body });
}

function slow(ch: TChannel, ms: number, body: string, retryOn?: RetryOn): Promise<CallResponseResult> {
  return ch.call({ scheme: 'raw', service: SERVICE, arg1: 'slow', arg2: String(ms), arg3: body, ...(retryOn === undefined ? {} : { retryOn }) });
}

describe('failover: a server process killed mid-call', () => {
  test('its calls are retried on the other peers, other calls keep succeeding, later calls avoid it', async () => {
    const servers = await Promise.all(['peer-a', 'peer-b', 'peer-c'].map(startServer));
    const hostPorts = servers.map((s) => s.hostPort);
    const { client: ch, dialled } = client(hostPorts);

    // Warm up until the client is connected to every server.
    for (let i = 0; i < 200 && ch.peerStats().filter((p) => p.connected).length < 3; i++) await echo(ch, `warm ${i}`);
    expect(ch.peerStats().filter((p) => p.connected)).toHaveLength(3);

    // 60 slow calls in flight, spread over the three servers by the peer selector.
    const startedAt = performance.now();
    const inFlight = Array.from({ length: 60 }, (_, i) => {
      const call = slow(ch, 800, `slow ${i}`);
      return call.then(
        (res) => ({ res, at: performance.now() }),
        (err: unknown) => ({ err, at: performance.now() }),
      );
    });
    const victim = servers[0]!;
    await until(() => pendingOn(ch, victim.hostPort) >= 5);
    await sleep(Math.max(0, startedAt + 200 - performance.now()));
    const onVictim = pendingOn(ch, victim.hostPort);
    const dialsBeforeKill = dialled.length;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = performance.now();

    // While the victim's calls are retried, new calls keep succeeding on the survivors.
    const during = await Promise.all(Array.from({ length: 40 }, (_, i) => echo(ch, `during ${i}`)));
    during.forEach((res, i) => {
      expect(res.arg3.toString()).toBe(`during ${i}`);
      expect(res.hostPort).not.toBe(victim.hostPort);
    });

    const outcomes = await Promise.all(inFlight);
    let retried = 0;
    let failed = 0;
    outcomes.forEach((outcome, i) => {
      if ('err' in outcome) {
        // Allowed: a call that was on the victim and could not be retried.
        expect(outcome.err).toBeInstanceOf(NetworkError);
        failed++;
        return;
      }
      expect(outcome.res.arg3.toString()).toBe(`slow ${i}`);
      expect(hostPorts).toContain(outcome.res.hostPort);
      expect(outcome.res.hostPort).not.toBe(victim.hostPort);
      // The server echoes the ttl it got: a retry is sent with the time left, a first attempt with ~all of it.
      if (Number(outcome.res.arg2.toString()) < TIMEOUT_MS - 150) {
        retried++;
        expect(outcome.at).toBeGreaterThanOrEqual(killedAt);
      }
    });
    // Exactly the calls that were on the victim were retried (or failed); none waited for its timeout.
    expect(retried + failed).toBe(onVictim);
    expect(retried).toBeGreaterThan(0);
    expect(Math.max(...outcomes.map((o) => o.at)) - killedAt).toBeLessThan(TIMEOUT_MS / 2);

    // Later calls avoid the dead peer: at most one connection attempt to it within its backoff.
    const after = await Promise.all(Array.from({ length: 100 }, (_, i) => echo(ch, `after ${i}`)));
    after.forEach((res) => expect(res.hostPort).not.toBe(victim.hostPort));
    for (let i = 0; i < 50; i++) expect((await echo(ch, `sequential ${i}`)).hostPort).not.toBe(victim.hostPort);
    expect(dialled.slice(dialsBeforeKill).filter((hostPort) => hostPort === victim.hostPort).length).toBeLessThanOrEqual(1);
    expect(ch.peerStats().find((p) => p.hostPort === victim.hostPort)).toMatchObject({ connected: false, pending: 0, connections: 0 });
  });

  test("without retries (retryOn 'n') the calls on the killed server fail at once with NetworkError; the others succeed", async () => {
    const servers = await Promise.all(['peer-x', 'peer-y'].map(startServer));
    const { client: ch } = client(servers.map((s) => s.hostPort));
    for (let i = 0; i < 200 && ch.peerStats().filter((p) => p.connected).length < 2; i++) await echo(ch, `warm ${i}`);

    const inFlight = Array.from({ length: 20 }, (_, i) =>
      slow(ch, 1000, `slow ${i}`, 'n').then(
        (res) => ({ res, at: performance.now() }),
        (err: unknown) => ({ err, at: performance.now() }),
      ),
    );
    const victim = servers[0]!;
    await until(() => pendingOn(ch, victim.hostPort) >= 3);
    const onVictim = pendingOn(ch, victim.hostPort);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const killedAt = performance.now();

    const outcomes = await Promise.all(inFlight);
    const failures = outcomes.filter((o): o is { err: unknown; at: number } => 'err' in o);
    expect(failures).toHaveLength(onVictim);
    for (const failure of failures) {
      expect(failure.err).toBeInstanceOf(NetworkError);
      // Failed when the process died, not at the call's timeout (nor the slow handler's 1 s).
      expect(failure.at - killedAt).toBeLessThan(500);
    }
    for (const outcome of outcomes) if ('res' in outcome) expect(outcome.res.hostPort).toBe(servers[1]!.hostPort);
  });
});

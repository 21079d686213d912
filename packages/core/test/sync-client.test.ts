// TChannelSyncClient blocks this thread in Atomics.wait, so a server on this thread's event loop
// could never answer: the server runs in a second worker thread, on core's TypeScript sources
// loaded through the same `.ts` require hook the sync worker uses (no build, no stale dist/).
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  BadRequestError,
  ChannelClosedError,
  ProtocolError,
  TChannelApplicationError,
  TChannelError,
  TChannelSyncClient,
  TimeoutError,
} from '../src';
import { TS_REQUIRE_HOOK_SOURCE } from '../src/sync/worker-loader';

const SERVER_SOURCE = `'use strict';
const { workerData, parentPort } = require('node:worker_threads');
(${TS_REQUIRE_HOOK_SOURCE})(workerData.dir);
const { TChannel } = require(workerData.core);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const server = new TChannel({ name: 'sync-server' });
server.register('echo', (req) => ({ arg2: req.arg2, arg3: req.arg3 }));
server.register('delay', async (req) => {
  await sleep(Number(req.arg3.toString()));
  return { arg2: req.arg2, arg3: req.arg3 };
});
server.register('app-error', () => ({ code: 1, arg2: 'h', arg3: 'went wrong' }));
server.listen().then((hostPort) => parentPort.postMessage(hostPort));
parentPort.on('message', () => server.close({ gracePeriod: 0 }).then(() => parentPort.close()));
`;

let server: Worker;
let hostport: string;
let client: TChannelSyncClient;

beforeAll(async () => {
  server = new Worker(SERVER_SOURCE, { eval: true, workerData: { core: join(__dirname, '../src/index.ts'), dir: __dirname } });
  // Both workers transpile core on start; start the client's meanwhile.
  client = new TChannelSyncClient({ name: 'sync-caller', timeout: 5_000 });
  const [address] = (await once(server, 'message')) as [string];
  hostport = address;
});

afterAll(async () => {
  client.close();
  server.postMessage('close');
  await Promise.all([client.exited, once(server, 'exit')]);
});

const request = (options: { timeout?: number } = {}) => client.request({ hostport, service: 'sync-server', ...options });

describe('TChannelSyncClient', () => {
  test('result() blocks the thread until the response and returns header and body', () => {
    const res = request().send('echo', 'head', Buffer.from('body')).result();
    expect(res.header).toEqual(Buffer.from('head'));
    expect(res.body).toEqual(Buffer.from('body'));
    expect(Buffer.isBuffer(res.body)).toBe(true);
    expect(res.code).toBe(0);
    expect(res.hostPort).toBe(hostport);
    expect(res.transportHeaders['as']).toBe('raw');

    // No await anywhere: the 150 ms pass inside result(), with this thread blocked.
    const started = performance.now();
    let timerFired = false;
    setTimeout(() => (timerFired = true), 0);
    expect(request().send('delay', null, '150').result().body.toString()).toBe('150');
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    expect(timerFired).toBe(false);
  });

  test('null and undefined args are sent empty', () => {
    const res = request().send('echo', null).result();
    expect(res.header.length).toBe(0);
    expect(res.body.length).toBe(0);
  });

  test('several futures are outstanding at once and complete independently', () => {
    const started = performance.now();
    const slow = [300, 200, 250].map((ms) => request().send('delay', `h${ms}`, String(ms)));
    const fast = request().send('echo', 'x', 'fast');
    expect(fast.result().body.toString()).toBe('fast');
    // Collected out of order; they ran in parallel in the worker.
    expect(slow.map((f) => f.result()).map((r) => [r.header.toString(), r.body.toString()])).toEqual([
      ['h300', '300'],
      ['h200', '200'],
      ['h250', '250'],
    ]);
    // Run in parallel: well under the 750 ms the three would take one after another.
    expect(performance.now() - started).toBeLessThan(700);
    expect(slow.every((f) => f.done)).toBe(true);
  });

  test('an error frame for an unknown endpoint throws BadRequestError', () => {
    const future = request().send('no-such-endpoint', '', '');
    let thrown: unknown;
    try {
      future.result();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(BadRequestError);
    expect(thrown).toBeInstanceOf(ProtocolError);
    expect(thrown).toBeInstanceOf(TChannelError);
    const error = thrown as BadRequestError;
    expect(error.name).toBe('BadRequestError');
    expect(error.code).toBe(0x06);
    expect(error.message).toContain('no-such-endpoint');
    expect(future.exception()).toBe(error);
  });

  test('a call past its timeout throws TimeoutError', () => {
    const future = request({ timeout: 100 }).send('delay', '', '1000');
    const started = performance.now();
    expect(() => future.result()).toThrow(TimeoutError);
    expect(performance.now() - started).toBeLessThan(900);
  });

  test('a non-zero response code throws TChannelApplicationError with the raw args', () => {
    const future = request().send('app-error');
    expect(() => future.result()).toThrow(TChannelApplicationError);
    const error = future.exception() as TChannelApplicationError;
    expect(error.responseCode).toBe(1);
    expect(error.headers).toEqual(Buffer.from('h'));
    expect(error.body).toEqual(Buffer.from('went wrong'));
    expect(error.message).toContain('app-error');
  });

  test('result() called twice returns the same response, or throws the same error', () => {
    const ok = request().send('echo', 'a', 'b');
    const first = ok.result();
    expect(ok.result()).toBe(first);
    const failed = request().send('missing');
    const errors = [0, 1].map(() => {
      try {
        failed.result();
      } catch (err) {
        return err;
      }
      return undefined;
    });
    expect(errors[0]).toBeInstanceOf(BadRequestError);
    expect(errors[1]).toBe(errors[0]);
  });

  test('result(timeoutMs) gives up waiting without ending the call', () => {
    const future = request().send('delay', '', '200');
    expect(() => future.result(20)).toThrow(TimeoutError);
    expect(future.done).toBe(false);
    expect(future.result().body.toString()).toBe('200');
  });

  test('send() rejects args that are not strings or bytes', () => {
    expect(() => request().send('echo', 42 as unknown as string)).toThrow(TChannelError);
  });

  test('close() fails calls in flight, rejects later sends and ends the worker', async () => {
    const other = new TChannelSyncClient({ name: 'sync-closer', knownPeers: [hostport] });
    // No hostport: the known peer is chosen.
    expect(other.request({ service: 'sync-server' }).send('echo', 'k', 'v').result().body.toString()).toBe('v');
    const inFlight = other.request({ service: 'sync-server' }).send('delay', '', '2000');
    const started = performance.now();
    other.close();
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(inFlight.exception()).toBeInstanceOf(TChannelError);
    expect(() => other.request({ service: 'sync-server' }).send('echo').result()).toThrow(ChannelClosedError);
    other.close(); // idempotent
    await expect(other.exited).resolves.toEqual(expect.any(Number));
  });

  test('a bad known peer throws from the constructor', () => {
    expect(() => new TChannelSyncClient({ name: 'bad', knownPeers: ['nowhere'] })).toThrow(TChannelError);
  });
});

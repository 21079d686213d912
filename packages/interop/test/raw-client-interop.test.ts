// Interop, our client -> its server: tchannel-ts's RawArgScheme calls a tchannel-node 4.0.1 server
// (NodePeer, in a child process) that serves the harness's raw endpoints under 'node-server'.

import {
  BadRequestError,
  BusyError,
  ChecksumType,
  DeclinedError,
  InvalidMessageError,
  TChannel,
  TChannelApplicationError,
  TimeoutError,
} from '@tchannel/core';
import { RawArgScheme } from '@tchannel/raw';
import { NodePeer, type NodeServedCall } from '../src/node-peer/node-peer';
import {
  ALL_BYTES,
  KiB,
  MiB,
  arg2LengthsAround,
  callRequestLayout,
  callResponseLayout,
  expectSameBytes,
  isNonZeroHex64,
  nodeDropsArg3At,
  pattern,
  rejectionOf,
  startInterleavingRelay,
} from './interop-helpers';

const SERVICE = 'node-server';
const CALLER = 'ts-client';

let server: NodePeer;
let hostPort: string;
let channel: TChannel;
let raw: RawArgScheme;

beforeAll(async () => {
  server = await NodePeer.start();
  hostPort = await server.listen();
  channel = new TChannel({ name: CALLER });
  raw = new RawArgScheme(channel);
});

afterAll(async () => {
  await channel?.close();
  await server?.close();
});

afterEach(async () => {
  // Nothing in the child may have blown up behind our back (uncaught errors, channel errors), and
  // tchannel-node must have logged nothing above debug (it resets connections at info).
  expect(server.problems).toEqual([]);
  const complaints = (await server.logs(true)).filter((entry) => entry.level !== 'debug');
  expect(complaints).toEqual([]);
});

type RawCall = Parameters<RawArgScheme['call']>[0];

function call(endpoint: string, extra: Omit<RawCall, 'service' | 'endpoint' | 'hostport'> = {}): ReturnType<RawArgScheme['call']> {
  return raw.call({ service: SERVICE, endpoint, hostport: hostPort, timeout: 5000, ...extra });
}

async function lastServed(endpoint: string): Promise<NodeServedCall> {
  const served = (await server.served()).filter((rec) => rec.endpoint === endpoint);
  const last = served[served.length - 1];
  if (last === undefined) throw new Error(`tchannel-node served no call to ${endpoint}`);
  return last;
}

/** The body the harness's 'headers' endpoint answers with. */
interface SeenByNode {
  headers: Record<string, string>;
  checksumType: number | null;
  ttl: number;
  service: string;
  callerName: string;
  tracing: { spanid: string; parentid: string; traceid: string; flags: number } | null;
}

describe('raw interop: tchannel-ts client -> tchannel-node server', () => {
  test('small args', async () => {
    const res = await call('echo', { headers: 'head', body: 'body' });
    expect(res.headers.toString()).toBe('head');
    expect(res.body.toString()).toBe('body');
    expect(res.transportHeaders['as']).toBe('raw');
    expect(res.hostPort).toBe(hostPort);
    const served = await lastServed('echo');
    expect(served.service).toBe(SERVICE);
    expect(served.callerName).toBe(CALLER);
    expect(served.arg2Length).toBe(4);
    expect(served.arg3Length).toBe(4);
  });

  test('empty args', async () => {
    const res = await call('echo', { headers: Buffer.alloc(0), body: '' });
    expect(res.headers.length).toBe(0);
    expect(res.body.length).toBe(0);
    const absent = await call('echo');
    expect(absent.headers.length).toBe(0);
    expect(absent.body.length).toBe(0);
    const served = await lastServed('echo');
    expect(served.arg2Length).toBe(0);
    expect(served.arg3Length).toBe(0);
  });

  test('all 256 byte values in arg2 and arg3', async () => {
    const body = Buffer.concat([ALL_BYTES, Buffer.from(ALL_BYTES).reverse()]);
    const res = await call('echo', { headers: ALL_BYTES, body });
    expectSameBytes(res.headers, ALL_BYTES, 'arg2');
    expectSameBytes(res.body, body, 'arg3');
  });

  test('a 1 MiB arg3', async () => {
    const big = pattern(MiB, 1);
    const res = await call('echo', { headers: 'big', body: big });
    expect(res.headers.toString()).toBe('big');
    expectSameBytes(res.body, big, 'arg3');
    expect((await lastServed('echo')).arg3Length).toBe(MiB);
  });

  test('a 100 KiB arg2 and a 100 KiB arg3', async () => {
    const arg2 = pattern(100 * KiB, 2);
    const arg3 = pattern(100 * KiB, 3);
    const res = await call('echo', { headers: arg2, body: arg3 });
    expectSameBytes(res.headers, arg2, 'arg2');
    expectSameBytes(res.body, arg3, 'arg3');
    const served = await lastServed('echo');
    expect(served.arg2Length).toBe(100 * KiB);
    expect(served.arg3Length).toBe(100 * KiB);
  });

  test('40 concurrent calls with large distinct args on one connection each get their own response', async () => {
    const calls = Array.from({ length: 40 }, (_, i) => {
      const arg2 = pattern(10 * KiB + i * 517, 1000 + i);
      const arg3 = pattern(50 * KiB + i * 3800, 2000 + i); // 50 KiB .. ~198 KiB
      return { arg2, arg3, promise: call('echo', { headers: arg2, body: arg3, timeout: 15000 }) };
    });
    const responses = await Promise.all(calls.map((c) => c.promise));
    responses.forEach((res, i) => {
      const sent = calls[i];
      if (sent === undefined) throw new Error('unreachable');
      expectSameBytes(res.headers, sent.arg2, `call ${i} arg2`);
      expectSameBytes(res.body, sent.arg3, `call ${i} arg3`);
    });
    // One connection carried all of them.
    const stats = channel.peerStats().find((p) => p.hostPort === hostPort);
    expect(stats?.connections).toBe(1);
  });

  test('40 concurrent calls whose fragments a relay interleaves, both ways, each get their own response', async () => {
    // Neither side interleaves fragments of concurrent messages by itself; the relay does.
    const relay = await startInterleavingRelay(hostPort);
    try {
      const calls = Array.from({ length: 40 }, (_, i) => {
        const arg2 = pattern(10 * KiB + i * 517, 5000 + i);
        const arg3 = pattern(50 * KiB + i * 3800, 6000 + i);
        return { arg2, arg3, promise: raw.call({ service: SERVICE, endpoint: 'echo', hostport: relay.hostPort, headers: arg2, body: arg3, timeout: 15000 }) };
      });
      const responses = await Promise.all(calls.map((c) => c.promise));
      responses.forEach((res, i) => {
        const sent = calls[i];
        if (sent === undefined) throw new Error('unreachable');
        expectSameBytes(res.headers, sent.arg2, `call ${i} arg2`);
        expectSameBytes(res.body, sent.arg3, `call ${i} arg3`);
      });
      expect(relay.interleaved.toTarget).toBeGreaterThan(0);
      expect(relay.interleaved.toCaller).toBeGreaterThan(0);
    } finally {
      await relay.close();
    }
  });

  describe.each([
    ['None', ChecksumType.None],
    ['Crc32c', ChecksumType.Crc32c],
  ])('args ending at frame boundaries, checksum %s', (_name, checksumType) => {
    const ours = callRequestLayout(SERVICE, { as: 'raw', cn: CALLER, re: 'c' }, 'echo', checksumType);
    const theirs = callResponseLayout({ as: 'raw' }, checksumType);

    test('arg2 ending 0-5 bytes before or 1-2 bytes after a frame end, with a non-empty arg3', async () => {
      const lengths = [...new Set([...arg2LengthsAround(ours), ...arg2LengthsAround(theirs)])];
      const truncatedByNode = new Set(nodeDropsArg3At(theirs));
      const arg3 = Buffer.from('arg3!');
      const results = await Promise.all(
        lengths.map(async (length) => {
          const arg2 = pattern(length, length);
          try {
            const res = await call('echo', { headers: arg2, body: arg3, checksumType, timeout: 10000 });
            return { length, ok: res.headers.equals(arg2) && res.body.equals(arg3), error: undefined };
          } catch (err) {
            return { length, ok: false, error: err };
          }
        }),
      );
      for (const { length, ok, error } of results) {
        if (truncatedByNode.has(length)) {
          // tchannel-node's response ends after arg2 (its fragmenter drops arg3): we must reject
          // it, not hand back an empty arg3.
          expect({ length, error }).toEqual({ length, error: expect.any(InvalidMessageError) });
          expect((error as Error).message).toMatch(/ended after 2 of its 3 args/);
        } else {
          expect({ length, ok, error }).toEqual({ length, ok: true, error: undefined });
        }
      }
      // tchannel-node itself received every request whole.
      const served = (await server.served()).slice(-lengths.length);
      expect(served.map((r) => r.arg3Length)).toEqual(lengths.map(() => arg3.length));
      expect(served.map((r) => r.arg2Length).sort((a, b) => a - b)).toEqual([...lengths].sort((a, b) => a - b));
    });

    test('arg3 ending 0-5 bytes before or 1-2 bytes after a frame end, with an empty arg2', async () => {
      // With arg2 empty (2 bytes of length prefix), arg3 ends where an arg2 2 bytes longer would.
      const lengths = [...new Set([...arg2LengthsAround(ours), ...arg2LengthsAround(theirs)].map((n) => n - 2))];
      await Promise.all(
        lengths.map(async (length) => {
          const arg3 = pattern(length, length + 1);
          const res = await call('echo', { body: arg3, checksumType, timeout: 10000 });
          expect(res.headers.length).toBe(0);
          expectSameBytes(res.body, arg3, `arg3 of ${length} bytes`);
        }),
      );
    });
  });

  describe.each([
    ['None', ChecksumType.None],
    ['Crc32', ChecksumType.Crc32],
    ['Farmhash32', ChecksumType.Farmhash32],
    ['Crc32c', ChecksumType.Crc32c],
  ])('checksum type %s', (_name, checksumType) => {
    test('small call: tchannel-node sees the type and the call succeeds', async () => {
      const res = await call('headers', { headers: 'h', body: 'b', checksumType });
      const seen = JSON.parse(res.body.toString('utf8')) as SeenByNode;
      expect(seen.checksumType).toBe(checksumType);
      expect((await lastServed('headers')).checksumType).toBe(checksumType);
    });

    test('multi-frame (200 KiB) call: verified frame by frame both ways', async () => {
      const arg2 = pattern(3 * KiB, 40 + checksumType);
      const arg3 = pattern(200 * KiB, 50 + checksumType);
      const res = await call('echo', { headers: arg2, body: arg3, checksumType });
      expectSameBytes(res.headers, arg2, 'arg2');
      expectSameBytes(res.body, arg3, 'arg3');
      const served = await lastServed('echo');
      expect(served.checksumType).toBe(checksumType);
      expect(served.arg3Length).toBe(200 * KiB);
    });
  });

  test('the default checksum type is CRC32C', async () => {
    await call('headers');
    expect((await lastServed('headers')).checksumType).toBe(ChecksumType.Crc32c);
  });

  test('transport headers as, cn, re; ttl within the timeout; non-zero tracing ids', async () => {
    const res = await call('headers', { timeout: 1234, transportHeaders: { sk: 'shard-7' } });
    const seen = JSON.parse(res.body.toString('utf8')) as SeenByNode;
    expect(seen.headers).toEqual({ as: 'raw', cn: CALLER, re: 'c', sk: 'shard-7' });
    expect(seen.callerName).toBe(CALLER);
    expect(seen.service).toBe(SERVICE);

    const served = await lastServed('headers');
    expect(served.headers['as']).toBe('raw');
    expect(served.headers['cn']).toBe(CALLER);
    expect(served.headers['re']).toBe('c');
    expect(served.ttl).toBeGreaterThan(0);
    expect(served.ttl).toBeLessThanOrEqual(1234);
    expect(served.ttl).toBeGreaterThan(1000);
    expect(isNonZeroHex64(served.tracing?.traceid)).toBe(true);
    expect(isNonZeroHex64(served.tracing?.spanid)).toBe(true);
    expect(seen.tracing).toEqual(served.tracing);

    await call('headers', { retryOn: 'n' });
    expect((await lastServed('headers')).headers['re']).toBe('n');
  });

  test('an application error (code 1) carries its arg2 and arg3', async () => {
    const err = await rejectionOf(call('app-error', { headers: 'ignored', body: 'why it failed' }));
    expect(err).toBeInstanceOf(TChannelApplicationError);
    const appErr = err as TChannelApplicationError;
    expect(appErr.responseCode).toBe(1);
    expect(appErr.headers.toString()).toBe('error-head');
    expect(appErr.body.toString()).toBe('why it failed');
  });

  test('busy error frame -> BusyError', async () => {
    const err = await rejectionOf(call('busy', { retryOn: 'n' }));
    expect(err).toBeInstanceOf(BusyError);
    expect((err as BusyError).message).toContain('server busy');
    expect((await server.served()).filter((r) => r.endpoint === 'busy')).toHaveLength(1);
  });

  test('declined error frame -> DeclinedError', async () => {
    const err = await rejectionOf(call('declined', { retryOn: 'n' }));
    expect(err).toBeInstanceOf(DeclinedError);
    expect((err as DeclinedError).message).toContain('server declined');
  });

  test('an unknown endpoint -> BadRequestError', async () => {
    const err = await rejectionOf(call('no-such-endpoint'));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).message).toContain('no-such-endpoint');
  });

  test('a timeout on a slow handler, then a successful call on the same connection', async () => {
    const started = performance.now();
    const err = await rejectionOf(call('slow', { headers: '1000', body: 'late', timeout: 150 }));
    expect(performance.now() - started).toBeLessThan(900);
    expect(err).toBeInstanceOf(TimeoutError);
    const message = (err as TimeoutError).message;
    expect(message).toContain(SERVICE);
    expect(message).toContain('slow');
    expect(message).toContain(hostPort);
    const served = await lastServed('slow');
    expect(served.ttl).toBeGreaterThan(0);
    expect(served.ttl).toBeLessThanOrEqual(150);

    const res = await call('slow', { headers: '10', body: 'on time', timeout: 2000 });
    expect(res.body.toString()).toBe('on time');
    const stats = channel.peerStats().find((p) => p.hostPort === hostPort);
    expect(stats?.connections).toBe(1);
    expect(stats?.connected).toBe(true);
  });
});

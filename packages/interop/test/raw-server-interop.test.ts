// Interop, its client -> our server: a tchannel-node 4.0.1 client (NodePeer, in a child process)
// calls a tchannel-ts channel serving raw endpoints that mirror the harness's (echo, slow,
// app-error, busy, declined), plus 'headers', which answers with what our server saw.

import {
  BusyError,
  ChecksumType,
  DeclinedError,
  TChannel,
  TChannelApplicationError,
  type Request,
} from '@tchannel/core';
import { RawArgScheme } from '@tchannel/raw';
import { NodePeer, type ChecksumType as NodeChecksumType, type NodeCallRequest } from '../src/node-peer/node-peer';
import {
  ALL_BYTES,
  KiB,
  MiB,
  arg2LengthsAround,
  callRequestLayout,
  callResponseLayout,
  expectSameBytes,
  nodeDropsArg3At,
  okResult,
  pattern,
  startInterleavingRelay,
} from './interop-helpers';

const SERVICE = 'ts-server';

/** What our server saw of one call. */
interface Seen {
  endpoint: string;
  service: string;
  callerName: string | undefined;
  transportHeaders: Record<string, string>;
  checksumType: ChecksumType;
  ttl: number;
  arg2Length: number;
  arg3Length: number;
}

let server: TChannel;
let hostPort: string;
let client: NodePeer;
const seen: Seen[] = [];
/** Settles when the slow handler's request ends: 'aborted' if the ttl expired first. */
const slowOutcomes: Array<Promise<'answered' | 'aborted'>> = [];

function record(request: Request): void {
  seen.push({
    endpoint: request.endpoint,
    service: request.service,
    callerName: request.callerName,
    transportHeaders: { ...request.transportHeaders },
    checksumType: request.checksumType,
    ttl: request.timeout,
    arg2Length: request.arg2.length,
    arg3Length: request.arg3.length,
  });
}

function lastSeen(endpoint: string): Seen {
  const matching = seen.filter((s) => s.endpoint === endpoint);
  const last = matching[matching.length - 1];
  if (last === undefined) throw new Error(`our server saw no call to ${endpoint}`);
  return last;
}

beforeAll(async () => {
  server = new TChannel({ name: SERVICE });
  const raw = new RawArgScheme(server);
  raw
    .register('echo', ({ headers, body, request }) => {
      record(request);
      return { headers, body };
    })
    .register('slow', ({ headers, body, request }) => {
      record(request);
      const ms = Number.parseInt(headers.toString('utf8'), 10) || 0;
      let settle!: (outcome: 'answered' | 'aborted') => void;
      slowOutcomes.push(new Promise((resolve) => (settle = resolve)));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          settle('answered');
          resolve({ headers, body });
        }, ms);
        request.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          settle('aborted');
          reject(request.signal.reason);
        });
      });
    })
    .register('app-error', ({ body, request }) => {
      record(request);
      throw new TChannelApplicationError('app error', 1, Buffer.from('error-head'), body);
    })
    .register('busy', ({ request }) => {
      record(request);
      throw new BusyError('server busy');
    })
    .register('declined', ({ request }) => {
      record(request);
      throw new DeclinedError('server declined');
    })
    .register('headers', ({ headers, request }) => {
      record(request);
      return { headers, body: JSON.stringify(lastSeen('headers')) };
    });
  hostPort = await server.listen();
  client = await NodePeer.start();
});

afterAll(async () => {
  await client?.close();
  await server?.close();
});

afterEach(async () => {
  // Nothing in the child may have blown up behind our back, and tchannel-node must have logged
  // nothing above debug (it resets connections at info).
  expect(client.problems).toEqual([]);
  const complaints = (await client.logs(true)).filter((entry) => entry.level !== 'debug');
  expect(complaints).toEqual([]);
});

function call(arg1: string, extra: Omit<NodeCallRequest, 'hostPort' | 'service' | 'arg1'> = {}): ReturnType<NodePeer['call']> {
  return client.call({ hostPort, service: SERVICE, arg1, timeout: 5000, ...extra });
}

describe('raw interop: tchannel-node client -> tchannel-ts server', () => {
  test('small args', async () => {
    const res = okResult(await call('echo', { arg2: 'head', arg3: 'body' }));
    expect(res.ok).toBe(true);
    expect(res.code).toBe(0);
    expect(res.arg2.toString()).toBe('head');
    expect(res.arg3.toString()).toBe('body');
    expect(res.headers).toEqual({ as: 'raw' });
    const s = lastSeen('echo');
    expect(s.service).toBe(SERVICE);
    expect(s.callerName).toBe('node-client');
    expect(s.transportHeaders).toMatchObject({ as: 'raw', cn: 'node-client', re: 'c' });
    expect(s.ttl).toBeGreaterThan(0);
    expect(s.ttl).toBeLessThanOrEqual(5000);
  });

  test('empty args', async () => {
    const res = okResult(await call('echo', { arg2: '', arg3: Buffer.alloc(0) }));
    expect(res.ok).toBe(true);
    expect(res.arg2.length).toBe(0);
    expect(res.arg3.length).toBe(0);
    const absent = okResult(await call('echo'));
    expect(absent.arg2.length).toBe(0);
    expect(absent.arg3.length).toBe(0);
    expect(lastSeen('echo')).toMatchObject({ arg2Length: 0, arg3Length: 0 });
  });

  test('all 256 byte values in arg2 and arg3', async () => {
    const body = Buffer.concat([ALL_BYTES, Buffer.from(ALL_BYTES).reverse()]);
    const res = okResult(await call('echo', { arg2: ALL_BYTES, arg3: body }));
    expectSameBytes(res.arg2, ALL_BYTES, 'arg2');
    expectSameBytes(res.arg3, body, 'arg3');
  });

  test('a 1 MiB arg3', async () => {
    const big = pattern(MiB, 11);
    const res = okResult(await call('echo', { arg2: 'big', arg3: big }));
    expect(res.arg2.toString()).toBe('big');
    expectSameBytes(res.arg3, big, 'arg3');
    expect(lastSeen('echo').arg3Length).toBe(MiB);
  });

  test('a 100 KiB arg2 and a 100 KiB arg3', async () => {
    const arg2 = pattern(100 * KiB, 12);
    const arg3 = pattern(100 * KiB, 13);
    const res = okResult(await call('echo', { arg2, arg3 }));
    expectSameBytes(res.arg2, arg2, 'arg2');
    expectSameBytes(res.arg3, arg3, 'arg3');
    expect(lastSeen('echo')).toMatchObject({ arg2Length: 100 * KiB, arg3Length: 100 * KiB });
  });

  test('40 concurrent calls with large distinct args each get their own response', async () => {
    const calls = Array.from({ length: 40 }, (_, i) => {
      const arg2 = pattern(10 * KiB + i * 517, 3000 + i);
      const arg3 = pattern(50 * KiB + i * 3800, 4000 + i); // 50 KiB .. ~198 KiB
      return { arg2, arg3, promise: call('echo', { arg2, arg3, timeout: 15000 }) };
    });
    const outcomes = await Promise.all(calls.map((c) => c.promise));
    outcomes.forEach((outcome, i) => {
      const sent = calls[i];
      if (sent === undefined) throw new Error('unreachable');
      const res = okResult(outcome);
      expectSameBytes(res.arg2, sent.arg2, `call ${i} arg2`);
      expectSameBytes(res.arg3, sent.arg3, `call ${i} arg3`);
    });
  });

  test('40 concurrent calls whose fragments a relay interleaves, both ways, each get their own response', async () => {
    // Neither side interleaves fragments of concurrent messages by itself; the relay does.
    const relay = await startInterleavingRelay(hostPort);
    try {
      const calls = Array.from({ length: 40 }, (_, i) => {
        const arg2 = pattern(10 * KiB + i * 517, 7000 + i);
        const arg3 = pattern(50 * KiB + i * 3800, 8000 + i);
        return { arg2, arg3, promise: client.call({ hostPort: relay.hostPort, service: SERVICE, arg1: 'echo', arg2, arg3, timeout: 15000 }) };
      });
      const outcomes = await Promise.all(calls.map((c) => c.promise));
      outcomes.forEach((outcome, i) => {
        const sent = calls[i];
        if (sent === undefined) throw new Error('unreachable');
        const res = okResult(outcome);
        expectSameBytes(res.arg2, sent.arg2, `call ${i} arg2`);
        expectSameBytes(res.arg3, sent.arg3, `call ${i} arg3`);
      });
      expect(relay.interleaved.toTarget).toBeGreaterThan(0);
      expect(relay.interleaved.toCaller).toBeGreaterThan(0);
    } finally {
      await relay.close();
    }
  });

  describe.each([
    ['None', 0],
    ['Crc32c', 3],
  ] as Array<[string, NodeChecksumType]>)('args ending at frame boundaries, checksum %s', (_name, checksumType) => {
    const theirs = callRequestLayout(SERVICE, { as: 'raw', cn: 'node-client', re: 'c' }, 'echo', checksumType);
    const ours = callResponseLayout({ as: 'raw' }, checksumType);

    test('arg2 ending 0-5 bytes before or 1-2 bytes after a frame end, with a non-empty arg3', async () => {
      const lengths = [...new Set([...arg2LengthsAround(theirs), ...arg2LengthsAround(ours)])];
      const truncatedByNode = new Set(nodeDropsArg3At(theirs));
      const arg3 = Buffer.from('arg3!');
      const before = seen.length;
      const outcomes = await Promise.all(lengths.map((length) => call('echo', { arg2: pattern(length, length), arg3, checksumType, timeout: 10000 })));
      outcomes.forEach((outcome, i) => {
        const length = lengths[i] as number;
        if (truncatedByNode.has(length)) {
          // tchannel-node's request ends after arg2 (its fragmenter drops arg3): we must answer
          // bad request, not run the handler with an empty arg3.
          expect({ length, type: outcome.error?.type }).toEqual({ length, type: 'tchannel.bad-request' });
          expect(outcome.error?.message).toMatch(/ended after 2 of its 3 args/);
        } else {
          const res = okResult(outcome);
          expect({ length, ok: res.arg2.equals(pattern(length, length)) && res.arg3.equals(arg3) }).toEqual({ length, ok: true });
        }
      });
      // The handler ran exactly for the whole requests, and always saw arg3.
      const handled = seen.slice(before);
      expect(handled).toHaveLength(lengths.length - truncatedByNode.size);
      expect(handled.every((s) => s.arg3Length === arg3.length)).toBe(true);
    });

    test('arg3 ending 0-5 bytes before or 1-2 bytes after a frame end, with an empty arg2', async () => {
      const lengths = [...new Set([...arg2LengthsAround(theirs), ...arg2LengthsAround(ours)].map((n) => n - 2))];
      const outcomes = await Promise.all(lengths.map((length) => call('echo', { arg3: pattern(length, length + 1), checksumType, timeout: 10000 })));
      outcomes.forEach((outcome, i) => {
        const length = lengths[i] as number;
        const res = okResult(outcome);
        expect(res.arg2.length).toBe(0);
        expectSameBytes(res.arg3, pattern(length, length + 1), `arg3 of ${length} bytes`);
      });
    });
  });

  describe.each([
    ['None', 0],
    ['Crc32', 1],
    ['Farmhash32', 2],
    ['Crc32c', 3],
  ] as Array<[string, NodeChecksumType]>)('checksum type %s', (_name, checksumType) => {
    test('small call: our server sees the type and answers with it', async () => {
      const res = okResult(await call('headers', { arg2: 'h', arg3: 'b', checksumType }));
      expect(res.checksumType).toBe(checksumType);
      const body = JSON.parse(res.arg3.toString('utf8')) as Seen;
      expect(body.checksumType).toBe(checksumType);
    });

    test('multi-frame (200 KiB) call: verified frame by frame both ways', async () => {
      const arg2 = pattern(3 * KiB, 60 + checksumType);
      const arg3 = pattern(200 * KiB, 70 + checksumType);
      const res = okResult(await call('echo', { arg2, arg3, checksumType }));
      expect(res.checksumType).toBe(checksumType);
      expectSameBytes(res.arg2, arg2, 'arg2');
      expectSameBytes(res.arg3, arg3, 'arg3');
      expect(lastSeen('echo')).toMatchObject({ checksumType, arg3Length: 200 * KiB });
    });
  });

  test('an application error (code 1) carries its arg2 and arg3', async () => {
    const res = okResult(await call('app-error', { arg2: 'ignored', arg3: 'why it failed' }));
    expect(res.ok).toBe(false);
    expect(res.code).toBe(1);
    expect(res.arg2.toString()).toBe('error-head');
    expect(res.arg3.toString()).toBe('why it failed');
    expect(res.headers['as']).toBe('raw');
  });

  test('BusyError -> a busy error frame (tchannel.busy), not retried', async () => {
    const before = seen.filter((s) => s.endpoint === 'busy').length;
    const { result, error } = await call('busy', { retryLimit: 1, retryFlags: { never: true } });
    expect(result).toBeUndefined();
    expect(error).toEqual(
      expect.objectContaining({ type: 'tchannel.busy', codeName: 'Busy', isErrorFrame: true, errorCode: 0x03 }),
    );
    expect(error?.message).toContain('server busy');
    expect(seen.filter((s) => s.endpoint === 'busy').length).toBe(before + 1);
    expect(lastSeen('busy').transportHeaders['re']).toBe('n');
  });

  test('DeclinedError -> a declined error frame (tchannel.declined)', async () => {
    const { result, error } = await call('declined', { retryLimit: 1, retryFlags: { never: true } });
    expect(result).toBeUndefined();
    expect(error).toEqual(
      expect.objectContaining({ type: 'tchannel.declined', codeName: 'Declined', isErrorFrame: true, errorCode: 0x04 }),
    );
    expect(error?.message).toContain('server declined');
  });

  test('an unknown endpoint -> a bad request error frame', async () => {
    const { result, error } = await call('no-such-endpoint', { retryFlags: { never: true } });
    expect(result).toBeUndefined();
    expect(error).toEqual(
      expect.objectContaining({ type: 'tchannel.bad-request', codeName: 'BadRequest', isErrorFrame: true, errorCode: 0x06 }),
    );
    expect(error?.message).toContain('no-such-endpoint');
  });

  test('a timeout on our slow handler, then a successful call on the same connection', async () => {
    const started = performance.now();
    const slow = await call('slow', { arg2: '1000', arg3: 'late', timeout: 150 });
    expect(performance.now() - started).toBeLessThan(900);
    expect(slow.result).toBeUndefined();
    expect(slow.error?.codeName).toBe('Timeout');
    expect(slow.error).toEqual(
      expect.objectContaining(
        slow.error?.isErrorFrame
          ? { type: 'tchannel.timeout', errorCode: 0x01 }
          : { type: 'tchannel.request.timeout', name: 'TchannelRequestTimeoutError' },
      ),
    );
    const s = lastSeen('slow');
    expect(s.ttl).toBeGreaterThan(0);
    expect(s.ttl).toBeLessThanOrEqual(150);
    // Our server gave up on the handler when the ttl expired instead of answering late.
    await expect(slowOutcomes[slowOutcomes.length - 1]).resolves.toBe('aborted');

    const fast = okResult(await call('slow', { arg2: '10', arg3: 'on time', timeout: 2000 }));
    expect(fast.ok).toBe(true);
    expect(fast.arg3.toString()).toBe('on time');
    // Still the one inbound connection from tchannel-node.
    expect(server.peerStats().reduce((n, p) => n + p.connections, 0)).toBeLessThanOrEqual(1);
  });
});

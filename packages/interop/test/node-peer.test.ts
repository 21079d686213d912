// Proves the tchannel-node child-process harness by running tchannel-node against itself:
// one NodePeer listens, another calls it. Interop tests reuse NodePeer with tchannel-ts on the
// other side.

import { NodePeer, NodePeerError, type ChecksumType, type NodeCallOutcome, type NodeCallResult } from '../src/node-peer/node-peer';

const SERVICE = 'node-server';

let server: NodePeer;
let client: NodePeer;
let hostPort: string;

beforeAll(async () => {
  [server, client] = await Promise.all([NodePeer.start(), NodePeer.start()]);
  hostPort = await server.listen();
});

afterAll(async () => {
  await Promise.all([client?.close(), server?.close()]);
});

afterEach(() => {
  // Nothing in the children may have blown up behind our back.
  expect(server.problems).toEqual([]);
  expect(client.problems).toEqual([]);
});

function okResult(outcome: NodeCallOutcome): NodeCallResult {
  if (outcome.error) throw new Error(`expected a result, got ${JSON.stringify(outcome.error)}`);
  if (!outcome.result) throw new Error('expected a result');
  return outcome.result;
}

function call(arg1: string, arg2?: string | Buffer, arg3?: string | Buffer, extra: { timeout?: number; checksumType?: ChecksumType } = {}): Promise<NodeCallOutcome> {
  return client.call({
    hostPort,
    service: SERVICE,
    arg1,
    ...(arg2 !== undefined ? { arg2 } : {}),
    ...(arg3 !== undefined ? { arg3 } : {}),
    ...extra,
  });
}

describe('NodePeer: tchannel-node <-> tchannel-node', () => {
  test('echo with small args', async () => {
    const res = okResult(await call('echo', 'head', 'body'));
    expect(res.ok).toBe(true);
    expect(res.code).toBe(0);
    expect(res.arg2.toString()).toBe('head');
    expect(res.arg3.toString()).toBe('body');
    expect(res.headers).toEqual({ as: 'raw' });
  });

  test('echo with empty args', async () => {
    const res = okResult(await call('echo', '', Buffer.alloc(0)));
    expect(res.ok).toBe(true);
    expect(res.arg2.length).toBe(0);
    expect(res.arg3.length).toBe(0);
    const absent = okResult(await call('echo'));
    expect(absent.arg2.length).toBe(0);
    expect(absent.arg3.length).toBe(0);
  });

  test('echo with a 1 MiB arg3 (fragmented both ways)', async () => {
    const big = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
    const res = okResult(await call('echo', 'big', big, { timeout: 5000 }));
    expect(res.arg3.length).toBe(big.length);
    expect(res.arg3.equals(big)).toBe(true);
    const served = await server.served();
    expect(served[served.length - 1]?.arg3Length).toBe(big.length);
  });

  test('echo with all 256 byte values', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const res = okResult(await call('echo', bytes, Buffer.concat([bytes, bytes])));
    expect(res.arg2.equals(bytes)).toBe(true);
    expect(res.arg3.equals(Buffer.concat([bytes, bytes]))).toBe(true);
  });

  test('app-error is a not-ok call response', async () => {
    const res = okResult(await call('app-error', 'ignored', 'why'));
    expect(res.ok).toBe(false);
    expect(res.code).toBe(1);
    expect(res.arg2.toString()).toBe('error-head');
    expect(res.arg3.toString()).toBe('why');
  });

  test.each([
    ['busy', 'tchannel.busy', 'TchannelBusyError', 'Busy', 0x03, 'server busy'],
    ['declined', 'tchannel.declined', 'TchannelDeclinedError', 'Declined', 0x04, 'server declined'],
    ['unexpected', 'tchannel.unexpected', 'TchannelUnexpectedError', 'UnexpectedError', 0x05, 'server unexpected error'],
    ['bad-request', 'tchannel.bad-request', 'TchannelBadRequestError', 'BadRequest', 0x06, 'server bad request'],
  ])('%s is an error frame', async (endpoint, type, name, codeName, errorCode, message) => {
    const { result, error } = await call(endpoint, '', '');
    expect(result).toBeUndefined();
    expect(error).toEqual({ type, name, message, codeName, isErrorFrame: true, errorCode });
  });

  test('unknown endpoint and unknown service are BadRequest', async () => {
    const endpoint = await call('no-such-endpoint');
    expect(endpoint.error?.type).toBe('tchannel.bad-request');
    expect(endpoint.error?.message).toContain('no such endpoint');
    const service = await client.call({ hostPort, service: 'no-such-service', arg1: 'echo' });
    expect(service.error?.type).toBe('tchannel.bad-request');
  });

  test('slow past the timeout is a local timeout, and the next call succeeds', async () => {
    const started = Date.now();
    const slow = await call('slow', '1000', 'late', { timeout: 150 });
    expect(slow.result).toBeUndefined();
    // Both sides sweep timeouts every ~100 ms (±50 ms fuzz), so either the client's local timer
    // fires first ('tchannel.request.timeout') or the server's in-request ttl does and it sends a
    // Timeout error frame ('tchannel.timeout'). Both are Timeout.
    expect(slow.error?.codeName).toBe('Timeout');
    expect(slow.error).toEqual(
      expect.objectContaining(
        slow.error?.isErrorFrame
          ? { type: 'tchannel.timeout', name: 'TchannelTimeoutError', errorCode: 0x01 }
          : { type: 'tchannel.request.timeout', name: 'TchannelRequestTimeoutError' },
      ),
    );
    expect(Date.now() - started).toBeLessThan(900);

    const fast = okResult(await call('slow', '10', 'on time', { timeout: 1000 }));
    expect(fast.ok).toBe(true);
    expect(fast.arg3.toString()).toBe('on time');
  });

  test.each([0, 1, 2, 3] as const)('checksum type %d is sent, seen by the server and echoed back', async (checksumType) => {
    const payload = Buffer.from(`checksummed payload ${checksumType}`.repeat(50));
    const res = okResult(await call('echo', 'csum', payload, { checksumType }));
    expect(res.arg3.equals(payload)).toBe(true);
    expect(res.checksumType).toBe(checksumType);

    const seen = okResult(await call('headers', '', '', { checksumType }));
    const body: unknown = JSON.parse(seen.arg3.toString('utf8'));
    expect(body).toMatchObject({ checksumType });
    expect(seen.checksumType).toBe(checksumType);
  });

  test('the default checksum type is CRC32C and the transport headers are as, cn, re', async () => {
    const seen = okResult(await client.call({ hostPort, service: SERVICE, arg1: 'headers', timeout: 1234, headers: { x: 'y' } }));
    const body: unknown = JSON.parse(seen.arg3.toString('utf8'));
    expect(body).toMatchObject({
      headers: { as: 'raw', cn: 'node-client', re: 'c', x: 'y' },
      checksumType: 3,
      service: SERVICE,
      callerName: 'node-client',
    });
    const served = await server.served();
    const last = served[served.length - 1];
    expect(last?.endpoint).toBe('headers');
    // the ttl is the time left of the timeout when the frame is written
    expect(last?.ttl).toBeGreaterThan(1000);
    expect(last?.ttl).toBeLessThanOrEqual(1234);
    expect(last?.tracing?.traceid).toMatch(/^[0-9a-f]{16}$/);
  });

  test('a server can force its response checksum type', async () => {
    const forced = await NodePeer.start();
    try {
      const forcedHostPort = await forced.listen({ checksumType: 2 });
      const res = okResult(await client.call({ hostPort: forcedHostPort, service: SERVICE, arg1: 'echo', arg3: 'x', checksumType: 1 }));
      expect(res.arg3.toString()).toBe('x');
      expect(res.checksumType).toBe(2);
      const served = await forced.served();
      expect(served[0]?.checksumType).toBe(1);
    } finally {
      await forced.close();
    }
  });

  test('killing the server fails in-flight and later calls with network errors', async () => {
    const victim = await NodePeer.start();
    const victimHostPort = await victim.listen();
    okResult(await client.call({ hostPort: victimHostPort, service: SERVICE, arg1: 'echo' }));
    const inFlight = client.call({ hostPort: victimHostPort, service: SERVICE, arg1: 'slow', arg2: '5000', timeout: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    victim.kill();
    const { error } = await inFlight;
    expect(error?.codeName).toBe('NetworkError');
    await victim.waitForExit();
    expect(victim.exited).toBe(true);
    expect(victim.exit?.signal).toBe('SIGKILL');
    const later = await client.call({ hostPort: victimHostPort, service: SERVICE, arg1: 'echo', timeout: 500 });
    expect(later.error?.codeName).toBe('NetworkError');
  });

  test('killing the caller rejects its pending requests', async () => {
    const caller = await NodePeer.start();
    const pending = caller.call({ hostPort, service: SERVICE, arg1: 'slow', arg2: '2000', timeout: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    caller.kill();
    await expect(pending).rejects.toBeInstanceOf(NodePeerError);
    await expect(caller.call({ hostPort, service: SERVICE, arg1: 'echo' })).rejects.toThrow(/child is gone/);
    await caller.close(); // no-op once exited
  });
});

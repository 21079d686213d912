/**
 * Load through one connection (loopback): 10 000 calls started at once, with bodies of random size
 * from empty to 64 KiB (so some requests and responses span several frames), each answered by an
 * echo handler. Every response must carry exactly its own request's bytes: frames of different
 * messages interleave on the connection, and a mix-up would show as another call's bytes.
 */
import { randomBytes } from 'node:crypto';
import { TChannel } from '../../src/channel/channel';
import type { Connection } from '../../src/connection/connection';
import { watchProcessErrors } from '../process-errors.fixtures';

const CALLS = 10_000;
const MAX_BODY = 64 * 1024;
/** A message whose args exceed this cannot fit one 64 KiB frame. */
const ONE_FRAME = 65_535 - 200;

/** A small deterministic PRNG (mulberry32), so a failure can be rerun with the same sizes (LOAD_SEED). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sizes skewed small, as real traffic is, with a tail up to the 64 KiB maximum. */
function bodySize(random: () => number): number {
  const r = random();
  if (r < 0.7) return Math.floor(random() * 1024);
  if (r < 0.9) return Math.floor(random() * 16 * 1024);
  if (r < 0.98) return Math.floor(random() * MAX_BODY);
  return MAX_BODY - Math.floor(random() * 64);
}

/** Bytes unique to call `i`: its index up front, then noise. */
function bodyFor(i: number, size: number): Buffer {
  const body = randomBytes(size);
  if (size >= 4) body.writeUInt32BE(i, 0);
  return body;
}

test('10 000 concurrent calls of 0..64 KiB through one connection: every response is its own request’s echo', async () => {
  const watch = watchProcessErrors();
  const server = new TChannel({ name: 'load-server' });
  const client = new TChannel({ name: 'load-client', timeout: 60_000 });
  const serverConnections: Connection[] = [];
  const clientConnections: Connection[] = [];
  server.on('connection', (c) => serverConnections.push(c));
  client.on('connection', (c) => clientConnections.push(c));
  let maxInFlight = 0;
  const answered: number[] = [];
  server.register('echo', async (req) => {
    maxInFlight = Math.max(maxInFlight, server.activeRequests);
    // Answer after a random pause, so responses leave in a different order than requests came.
    await new Promise((resolve) => setTimeout(resolve, req.arg3.length % 4));
    answered.push(req.arg3.length >= 4 ? req.arg3.readUInt32BE(0) : -1);
    return { arg2: req.arg2, arg3: req.arg3 };
  });
  try {
    const hostport = await server.listen();
    const seed = Number(process.env['LOAD_SEED'] ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const requests = Array.from({ length: CALLS }, (_, i) => {
      const arg2 = Buffer.from(`call ${i} `.padEnd(Math.floor(random() * 64) + 8, '.'));
      return { arg2, arg3: bodyFor(i, bodySize(random)) };
    });
    const multiFrame = requests.filter((r) => r.arg2.length + r.arg3.length > ONE_FRAME).length;

    const started = performance.now();
    const results = await Promise.allSettled(
      requests.map((r) => client.call({ scheme: 'raw', service: 'load-server', arg1: 'echo', arg2: r.arg2, arg3: r.arg3, hostport })),
    );
    const elapsed = performance.now() - started;

    const failures: string[] = [];
    results.forEach((result, i) => {
      const request = requests[i] as (typeof requests)[number];
      if (result.status === 'rejected') failures.push(`call ${i}: ${String(result.reason)}`);
      else if (result.value.code !== 0 || !result.value.arg2.equals(request.arg2) || !result.value.arg3.equals(request.arg3)) {
        failures.push(`call ${i}: response is not its request's echo (arg2 "${result.value.arg2.subarray(0, 16).toString()}")`);
      }
    });
    expect({ seed, failures: failures.slice(0, 5), failed: failures.length }).toEqual({ seed, failures: [], failed: 0 });
    expect(multiFrame).toBeGreaterThan(50);
    // Many calls were in the server at once, and answered out of order.
    expect(maxInFlight).toBeGreaterThan(100);
    const ordered = answered.filter((i) => i >= 0);
    expect(ordered.some((i, k) => k > 0 && i < (ordered[k - 1] as number))).toBe(true);
    // One connection each way carried it all, and nothing is left in flight.
    expect(clientConnections).toHaveLength(1);
    expect(serverConnections).toHaveLength(1);
    expect(clientConnections[0]?.pendingOutbound).toBe(0);
    expect(serverConnections[0]?.pendingInbound).toBe(0);
    expect(server.activeRequests).toBe(0);
    expect(elapsed).toBeLessThan(30_000);
    expect(watch.errors).toEqual([]);
  } finally {
    watch.stop();
    await client.close({ gracePeriod: 0 });
    await server.close({ gracePeriod: 0 });
  }
}, 60_000);

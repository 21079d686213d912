/**
 * Faults under load, all on loopback and in this process: a server that dies while responses
 * stream out, a client that vanishes while its request streams in, and a server that reads a
 * streamed request slowly. What fails must be exactly the calls that were in flight on the broken
 * connection, and every byte of state they held must be let go.
 */
import { TChannel } from '../../src/channel/channel';
import type { Connection } from '../../src/connection/connection';
import { WRITE_HIGH_WATER_MARK } from '../../src/connection/outgoing-message';
import type { Request } from '../../src/dispatch/request';
import type { Response } from '../../src/dispatch/response';
import { NetworkError } from '../../src/errors/protocol-errors';
import { CallFlags } from '../../src/wire/flags';
import { watchProcessErrors, type ProcessErrorWatch } from '../process-errors.fixtures';
import { callRequest, callRequestContinue, RawSocketClient } from '../raw-socket-client.fixtures';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await sleep(2);
  }
}

interface Served {
  readonly channel: TChannel;
  readonly hostport: string;
  /** The channel's open connections. */
  readonly connections: Set<Connection>;
}

const cleanups: Array<() => Promise<void>> = [];
let watch: ProcessErrorWatch;

beforeEach(() => {
  watch = watchProcessErrors();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  watch.stop();
  expect(watch.errors).toEqual([]);
});

function channel(name: string): { channel: TChannel; connections: Set<Connection> } {
  const ch = new TChannel({ name });
  const connections = new Set<Connection>();
  ch.on('connection', (c) => connections.add(c));
  ch.on('connectionClose', (c) => connections.delete(c));
  cleanups.push(() => ch.close({ gracePeriod: 0 }));
  return { channel: ch, connections };
}

async function serve(name: string, register: (server: TChannel) => void): Promise<Served> {
  const { channel: server, connections } = channel(name);
  server.register('echo', (req) => ({ arg2: req.arg2, arg3: req.arg3 }));
  register(server);
  return { channel: server, hostport: await server.listen(), connections };
}

describe('a server killed mid-stream', () => {
  test.each<[string, (victim: Served) => Promise<void> | void]>([
    ['closed with gracePeriod 0', (victim) => victim.channel.close({ gracePeriod: 0 })],
    [
      'its sockets destroyed',
      (victim) => {
        for (const connection of victim.connections) connection.socket.destroy();
      },
    ],
  ])('%s: exactly its in-flight calls fail, with NetworkError; calls elsewhere are untouched', async (_name, kill) => {
    const STREAMS = 6;
    const HOLDS = 6;
    const handlerSignals: AbortSignal[] = [];
    const victim = await serve('victim', (s) => {
      s.register('stream', async (req: Request, res: Response) => {
        handlerSignals.push(req.signal);
        res.writeHeader('streaming');
        while (!req.signal.aborted) {
          await res.writeBody(Buffer.alloc(1024, 7));
          await sleep(3);
        }
      });
      s.register('hold', async (req) => {
        handlerSignals.push(req.signal);
        await new Promise((resolve) => req.signal.addEventListener('abort', resolve));
        return { arg3: 'never sent' };
      });
    });
    const bystander = await serve('bystander', () => undefined);
    const { channel: client } = channel('client');
    const call = (hostport: string, arg1: string, body: string) => client.call({ scheme: 'raw', service: 'svc', arg1, arg3: body, hostport, timeout: 10_000 });

    // Done before the kill: unaffected by it.
    const before = await Promise.all(Array.from({ length: 10 }, (_, i) => call(victim.hostport, 'echo', `before ${i}`)));
    expect(before.map((r) => r.arg3.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `before ${i}`));

    // Bystander traffic before, during and after the kill.
    let killed = false;
    const bystanderCalls: Array<Promise<unknown>> = [];
    const bystanderLoop = (async () => {
      let afterKill = 0;
      for (let i = 0; afterKill < 50; i++) {
        if (killed) afterKill++;
        bystanderCalls.push(call(bystander.hostport, 'echo', `by ${i}`).then((r) => expect(r.arg3.toString()).toBe(`by ${i}`)));
        if (i % 10 === 0) await sleep(1);
      }
    })();

    // In flight at the kill: streamed responses being read, and whole calls waiting for an answer.
    const received = new Array<number>(STREAMS).fill(0);
    const streams = Array.from({ length: STREAMS }, async (_, i) => {
      const response = await client.callStreaming({ scheme: 'raw', service: 'svc', arg1: 'stream', hostport: victim.hostport, timeout: 10_000 });
      for await (const chunk of response.getBodyStream()) received[i] = (received[i] as number) + (chunk as Buffer).length;
      return 'ended';
    });
    const holds = Array.from({ length: HOLDS }, (_, i) => call(victim.hostport, 'hold', `hold ${i}`));
    // Observed from now on: they reject while the kill is under way.
    const settled = Promise.allSettled([...streams, ...holds]);
    await until(() => received.every((n) => n >= 3 * 1024) && victim.channel.activeRequests === STREAMS + HOLDS);

    await kill(victim);
    killed = true;

    const outcomes = await settled;
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(NetworkError);
    }
    await bystanderLoop;
    const bystanderOutcomes = await Promise.allSettled(bystanderCalls);
    expect(bystanderOutcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    expect(bystanderOutcomes.length).toBeGreaterThan(100);

    // The victim's handlers were told, and let go of their calls.
    await until(() => victim.channel.activeRequests === 0 && victim.connections.size === 0);
    expect(handlerSignals).toHaveLength(STREAMS + HOLDS);
    for (const signal of handlerSignals) expect(signal.aborted).toBe(true);
    expect(client.activeCalls).toBe(0);
  });
});

describe('a client that disconnects mid-request', () => {
  /** A server whose handler reads a streamed request body; it records what happened to it. */
  async function uploadServer(): Promise<Served & { handler: { bytes: number; signal?: AbortSignal; outcome?: unknown } }> {
    const handler: { bytes: number; signal?: AbortSignal; outcome?: unknown } = { bytes: 0 };
    const served = await serve('upload-server', (s) =>
      s.register('upload', async (req: Request, res: Response) => {
        handler.signal = req.signal;
        try {
          for await (const chunk of req.getBodyStream()) handler.bytes += (chunk as Buffer).length;
          handler.outcome = 'completed';
        } catch (err) {
          handler.outcome = err;
        }
        res.code = 0;
      }),
    );
    return { ...served, handler };
  }

  async function expectServerStateFreed(server: Served & { handler: { signal?: AbortSignal; outcome?: unknown } }): Promise<void> {
    await until(() => server.connections.size === 0 && server.channel.activeRequests === 0 && server.handler.outcome !== undefined);
    expect(server.handler.signal?.aborted).toBe(true);
    expect(server.handler.signal?.reason).toBeInstanceOf(NetworkError);
    expect(server.handler.outcome).toBeInstanceOf(NetworkError);
  }

  test('a raw socket sends the first frames of a large request, then is destroyed: the server frees the call and the connection', async () => {
    const server = await uploadServer();
    const raw = await RawSocketClient.connectReady(server.hostport);
    let prior = 0;
    const first = callRequest({ id: 2, flags: CallFlags.MoreFragments, args: ['upload', 'h', Buffer.alloc(60_000, 1)] });
    raw.send(first);
    prior = first.checksum;
    for (let i = 0; i < 3; i++) {
      const next = callRequestContinue({ id: 2, flags: CallFlags.MoreFragments, args: [Buffer.alloc(60_000, i)], prior });
      raw.send(next);
      prior = next.checksum;
    }
    await until(() => server.handler.bytes === 240_000);
    const [connection] = [...server.connections];
    expect(connection?.pendingInbound).toBe(1);
    await raw.destroy();
    await expectServerStateFreed(server);
    expect(connection?.pendingInbound).toBe(0);
  });

  test('a TChannel client streaming a request loses its connection: both sides fail the call and free it', async () => {
    const server = await uploadServer();
    const { channel: client, connections: clientConnections } = channel('uploader');
    let releaseProducer!: () => void;
    const producerStopped = new Promise<void>((resolve) => {
      releaseProducer = resolve;
    });
    cleanups.push(async () => releaseProducer());
    async function* body(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 4; i++) yield Buffer.alloc(64 * 1024, i);
      await producerStopped;
    }
    const outcome = client
      .callStreaming({ scheme: 'raw', service: 'upload-server', arg1: 'upload', arg3: body(), hostport: server.hostport, timeout: 10_000 })
      .then(() => 'answered', (err: unknown) => err);
    await until(() => server.handler.bytes === 4 * 64 * 1024);
    for (const connection of clientConnections) connection.socket.destroy();
    expect(await outcome).toBeInstanceOf(NetworkError);
    await expectServerStateFreed(server);
    expect(client.activeCalls).toBe(0);
  });
});

describe('a slow reader of a streamed request', () => {
  test('a client streaming 32 MiB to a handler that reads slowly keeps its queued bytes bounded', async () => {
    const TOTAL = 32 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0x5a);
    let serverReceived = 0;
    const server = await serve('slow-reader', (s) =>
      s.register('sink', async (req: Request, res: Response) => {
        for await (const piece of req.getBodyStream()) {
          const before = serverReceived;
          serverReceived += (piece as Buffer).length;
          // A slow reader: a pause every MiB.
          if (Math.floor(before / (1024 * 1024)) !== Math.floor(serverReceived / (1024 * 1024))) await sleep(10);
        }
        await res.writeBody(String(serverReceived));
      }),
    );
    const { channel: client, connections: clientConnections } = channel('fast-writer');
    let produced = 0;
    let maxQueued = 0;
    let maxAhead = 0;
    const sample = (): void => {
      for (const connection of clientConnections) maxQueued = Math.max(maxQueued, connection.pendingWriteBytes);
      maxAhead = Math.max(maxAhead, produced - serverReceived);
    };
    const sampler = setInterval(sample, 1);
    async function* body(): AsyncGenerator<Buffer> {
      while (produced < TOTAL) {
        produced += chunk.length;
        yield chunk;
        // Resumed once the previous chunk is written (and, if over the high-water mark, drained).
        sample();
      }
    }
    try {
      const response = await client.callStreaming({ scheme: 'raw', service: 'slow-reader', arg1: 'sink', arg3: body(), hostport: server.hostport, timeout: 60_000 });
      expect((await response.getBodyBytes()).toString()).toBe(String(TOTAL));
    } finally {
      clearInterval(sampler);
    }
    expect(produced).toBe(TOTAL);
    // The writer waited for the socket: never much more than the high-water mark plus one chunk queued.
    expect(maxQueued).toBeLessThanOrEqual(WRITE_HIGH_WATER_MARK + chunk.length + 64 * 1024);
    // And the producer never ran far ahead of the reader: kernel buffers and the server's 1 MiB
    // stream buffer, nowhere near the 32 MiB it would reach unpaced.
    expect(maxAhead).toBeLessThan(16 * 1024 * 1024);
  }, 30_000);
});

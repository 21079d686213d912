import { Readable } from 'node:stream';
import {
  BadRequestError,
  StreamingError,
  TChannel,
  TimeoutError,
  UnexpectedError,
  WRITE_HIGH_WATER_MARK,
  type Request,
  type Response,
} from '../src';

const channels: TChannel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((ch) => ch.close()));
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function setup(register: (server: TChannel) => void): Promise<{ client: TChannel; hostport: string }> {
  const server = new TChannel({ name: 'stream-server' });
  const client = new TChannel({ name: 'stream-client' });
  channels.push(server, client);
  register(server);
  const hostport = await server.listen();
  return { client, hostport };
}

describe('streamed responses', () => {
  test('a body written in 100 chunks over time reaches the caller as it is written', async () => {
    const written: number[] = [];
    const { client, hostport } = await setup((server) =>
      server.register('ticks', async (_req: Request, res: Response) => {
        res.writeHeader('head');
        for (let i = 0; i < 100; i++) {
          written.push(i);
          await res.writeBody(`tick ${i};`);
          await sleep(2);
        }
      }),
    );
    const response = await client.callStreaming({ scheme: 'raw', service: 'stream-server', arg1: 'ticks', hostport });
    expect(response.code).toBe(0);
    expect((await response.getHeaderBytes()).toString()).toBe('head');
    let text = '';
    let chunks = 0;
    let writtenAtFirstChunk = -1;
    for await (const chunk of response.getBodyStream()) {
      if (chunks === 0) writtenAtFirstChunk = written.length;
      chunks++;
      text += (chunk as Buffer).toString();
    }
    expect(text).toBe(Array.from({ length: 100 }, (_, i) => `tick ${i};`).join(''));
    // Delivered incrementally: the first chunk arrived long before the handler finished writing.
    expect(writtenAtFirstChunk).toBeLessThan(90);
    expect(chunks).toBeGreaterThan(10);
  });

  test('setBodyStream sends a Readable; the plain call API still gets the whole body', async () => {
    const { client, hostport } = await setup((server) =>
      server.register('gen', (_req: Request, res: Response) => {
        res.setBodyStream(Readable.from((function* () {
          for (let i = 0; i < 50; i++) yield Buffer.alloc(10_000, i);
        })()));
      }),
    );
    const res = await client.call({ scheme: 'raw', service: 'stream-server', arg1: 'gen', hostport });
    expect(res.arg3.length).toBe(500_000);
    expect(res.arg3[499_999]).toBe(49);
  });

  test('a handler failing mid-stream errors the caller’s body stream', async () => {
    const { client, hostport } = await setup((server) =>
      server.register('breaks', async (_req: Request, res: Response) => {
        await res.writeBody('partial');
        await sleep(20);
        throw new Error('producer broke');
      }),
    );
    const response = await client.callStreaming({ scheme: 'raw', service: 'stream-server', arg1: 'breaks', hostport });
    const read = (async () => {
      for await (const chunk of response.getBodyStream()) void chunk;
    })();
    await expect(read).rejects.toBeInstanceOf(UnexpectedError);
    await expect(read).rejects.toThrow('producer broke');
  });

  test('the seed’s ordering rules throw StreamingError', async () => {
    const errors: unknown[] = [];
    const attempt = (fn: () => unknown): void => {
      try {
        fn();
      } catch (err) {
        errors.push(err);
      }
    };
    const { client, hostport } = await setup((server) =>
      server.register('rules', async (_req: Request, res: Response) => {
        await res.writeBody('body');
        attempt(() => res.writeHeader('too late')); // the body closed the header
        attempt(() => res.setBodyStream(Readable.from(['x']))); // the body is being sent
        await res.flush();
        attempt(() => res.writeBody('after flush'));
        attempt(() => res.setHeaderStream(Readable.from(['x'])));
      }),
    );
    const res = await client.call({ scheme: 'raw', service: 'stream-server', arg1: 'rules', hostport });
    expect(res.arg3.toString()).toBe('body');
    expect(errors).toHaveLength(4);
    for (const err of errors) expect(err).toBeInstanceOf(StreamingError);
  });

  test('a stream may be replaced until it is sent', async () => {
    const { client, hostport } = await setup((server) =>
      server.register('replace', (_req: Request, res: Response) => {
        res.setHeaderStream(Readable.from(['first']));
        res.setHeaderStream(Readable.from(['second']));
        res.setBodyStream(Readable.from(['a']));
        res.setBodyStream(Readable.from(['b', 'c']));
      }),
    );
    const res = await client.call({ scheme: 'raw', service: 'stream-server', arg1: 'replace', hostport });
    expect(res.arg2.toString()).toBe('second');
    expect(res.arg3.toString()).toBe('bc');
  });
});

describe('streamed requests', () => {
  test('a request body streamed by the caller is read incrementally by the handler', async () => {
    const seenBeforeEnd: number[] = [];
    let producerDone = false;
    const { client, hostport } = await setup((server) =>
      server.register('sum', async (req: Request, res: Response) => {
        let total = 0;
        let chunks = 0;
        for await (const chunk of req.getBodyStream()) {
          chunks++;
          if (!producerDone) seenBeforeEnd.push(chunks);
          total += (chunk as Buffer).length;
        }
        res.writeHeader(await req.getHeaderBytes());
        await res.writeBody(String(total));
      }),
    );
    async function* produce(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 20; i++) {
        yield Buffer.alloc(5000, i);
        await sleep(3);
      }
      producerDone = true;
    }
    const response = await client.callStreaming({ scheme: 'raw', service: 'stream-server', arg1: 'sum', arg2: 'hdr', arg3: produce(), hostport });
    expect((await response.getBodyBytes()).toString()).toBe('100000');
    expect((await response.getHeaderBytes()).toString()).toBe('hdr');
    expect(seenBeforeEnd.length).toBeGreaterThan(5);
  });

  test('plain handlers see the whole streamed request', async () => {
    const { client, hostport } = await setup((server) => server.register('echo', (req) => ({ arg2: req.arg2, arg3: req.arg3 })));
    const response = await client.callStreaming({
      scheme: 'raw',
      service: 'stream-server',
      arg1: 'echo',
      arg2: Readable.from([Buffer.from('h1'), Buffer.from('h2')]),
      arg3: Readable.from([Buffer.alloc(70_000, 1), Buffer.alloc(70_000, 2)]),
      hostport,
    });
    expect((await response.getHeaderBytes()).toString()).toBe('h1h2');
    const body = await response.getBodyBytes();
    expect(body.length).toBe(140_000);
    expect(body[69_999]).toBe(1);
    expect(body[70_000]).toBe(2);
  });

  test('a failing request stream cancels the call', async () => {
    let serverSignal: AbortSignal | undefined;
    const { client, hostport } = await setup((server) =>
      server.register('wait', async (req: Request, res: Response) => {
        serverSignal = req.signal;
        await req.getBodyBytes().catch(() => undefined);
        res.code = 0;
      }),
    );
    async function* broken(): AsyncGenerator<Buffer> {
      yield Buffer.from('start');
      await sleep(20);
      throw new Error('disk on fire');
    }
    const outcome = client
      .callStreaming({ scheme: 'raw', service: 'stream-server', arg1: 'wait', arg3: broken(), hostport })
      .then((r) => r.getBodyBytes());
    await expect(outcome).rejects.toThrow(/request stream failed: disk on fire/);
    await sleep(30);
    expect(serverSignal?.aborted).toBe(true);
  });

  test('reading an arg both whole and as a stream is a StreamingError', async () => {
    const { client, hostport } = await setup((server) =>
      server.register('both', async (req: Request, res: Response) => {
        req.getBodyStream();
        await expect(req.getBodyBytes()).rejects.toBeInstanceOf(StreamingError);
        expect(() => req.arg3).toThrow(StreamingError);
        await res.writeBody('ok');
      }),
    );
    const res = await client.call({ scheme: 'raw', service: 'stream-server', arg1: 'both', hostport });
    expect(res.arg3.toString()).toBe('ok');
  });

  test('an arg that fully arrived before it is asked for may still be read as a stream', async () => {
    // The whole request is in one frame, so it is complete before the handler runs.
    const { client, hostport } = await setup((server) =>
      server.register('late-reader', async (req: Request, res: Response) => {
        await sleep(10);
        let body = '';
        for await (const chunk of req.getBodyStream()) body += (chunk as Buffer).toString();
        await res.writeBody(`read ${body}`);
      }),
    );
    const response = await client.callStreaming({ scheme: 'raw', service: 'stream-server', arg1: 'late-reader', arg3: 'whole', hostport });
    await sleep(10);
    // The response too arrived whole before its stream is asked for.
    let text = '';
    for await (const chunk of response.getBodyStream()) text += (chunk as Buffer).toString();
    expect(text).toBe('read whole');
  });

  test('a complete request stays readable whole after the call ended', async () => {
    let seen: string | undefined;
    const { client, hostport } = await setup((server) =>
      server.register('outlived', async (req: Request, _res: Response) => {
        // Read only once the ttl expired and the call was aborted.
        await new Promise((resolve) => req.signal.addEventListener('abort', resolve, { once: true }));
        seen = req.arg3.toString();
      }),
    );
    await expect(client.call({ scheme: 'raw', service: 'stream-server', arg1: 'outlived', arg3: 'payload', hostport, timeout: 20 })).rejects.toBeInstanceOf(TimeoutError);
    for (let i = 0; i < 50 && seen === undefined; i++) await sleep(10);
    expect(seen).toBe('payload');
  });

  test('a streamed call obeys its timeout', async () => {
    const { client, hostport } = await setup((server) =>
      server.register('hang', async (_req: Request, _res: Response) => {
        await sleep(500);
      }),
    );
    await expect(client.callStreaming({ scheme: 'raw', service: 'stream-server', arg1: 'hang', hostport, timeout: 50 })).rejects.toBeInstanceOf(
      TimeoutError,
    );
  });

  test('an unknown endpoint still answers bad request to a streamed call', async () => {
    const { client, hostport } = await setup(() => undefined);
    await expect(client.callStreaming({ scheme: 'raw', service: 'stream-server', arg1: 'nope', hostport })).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('backpressure', () => {
  test('a 64 MiB streamed response to a slow reader keeps the server’s buffered bytes bounded', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(256 * 1024, 0xab);
    let maxQueued = 0;
    let written = 0;
    const { client, hostport } = await setup((server) =>
      server.register('firehose', async (_req: Request, res: Response) => {
        while (written < total) {
          await res.writeBody(chunk);
          written += chunk.length;
          maxQueued = Math.max(maxQueued, res.queuedBytes);
        }
      }),
    );
    const response = await client.callStreaming({ scheme: 'raw', service: 'stream-server', arg1: 'firehose', hostport, timeout: 60_000 });
    const body = response.getBodyStream();
    let received = 0;
    let maxClientBuffered = 0;
    let maxAhead = 0;
    for await (const piece of body) {
      received += (piece as Buffer).length;
      // Each read drains what the stream buffered, so a piece's size is what the reader was holding.
      maxClientBuffered = Math.max(maxClientBuffered, (piece as Buffer).length + body.readableLength);
      maxAhead = Math.max(maxAhead, written - received);
      // A slow reader: a pause every 4 MiB.
      if (received % (4 * 1024 * 1024) < (piece as Buffer).length) await sleep(15);
    }
    expect(received).toBe(total);
    // The writer was paused: never more than the high-water mark plus one chunk queued in user space.
    expect(maxQueued).toBeLessThanOrEqual(WRITE_HIGH_WATER_MARK + chunk.length);
    // The reader's stream never held much more than its own high-water mark.
    expect(maxClientBuffered).toBeLessThanOrEqual(2 * 1024 * 1024);
    // The producer never got far ahead of the reader: kernel buffers plus the two bounds above,
    // nowhere near the 64 MiB it would reach without backpressure.
    expect(maxAhead).toBeLessThan(16 * 1024 * 1024);
  }, 60_000);
});

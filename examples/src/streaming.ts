/**
 * Streaming in both directions: the server streams a response as it produces it, and reads a
 * request body as it arrives. Run with `node examples/dist/streaming.js` after building.
 */
import { TChannel, type Request, type Response } from '@tchannel/core';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const server = new TChannel({ name: 'stream-demo' });

  // (request, response) handlers run as soon as arg1 arrives and may stream.
  server.register('countdown', async (_req: Request, res: Response) => {
    res.writeHeader('counting');
    for (let i = 5; i > 0; i--) {
      await res.writeBody(`${i}... `); // resolves when the peer has room: backpressure
      await sleep(100);
    }
    await res.writeBody('liftoff!');
  });

  server.register('wordcount', async (req: Request, res: Response) => {
    let words = 0;
    for await (const chunk of req.getBodyStream()) {
      words += (chunk as Buffer).toString().split(/\s+/).filter(Boolean).length;
      console.log(`  server: received ${(chunk as Buffer).length} bytes, ${words} words so far`);
    }
    await res.writeBody(String(words));
  });

  const hostport = await server.listen({ host: '127.0.0.1', port: 0 });
  const client = new TChannel({ name: 'stream-demo-client' });

  const countdown = await client.callStreaming({ scheme: 'raw', service: 'stream-demo', arg1: 'countdown', hostport });
  console.log(`header: ${(await countdown.getHeaderBytes()).toString()}`);
  for await (const chunk of countdown.getBodyStream()) console.log(`  client: got "${(chunk as Buffer).toString()}"`);

  async function* lines(): AsyncGenerator<string> {
    for (const line of ['the quick brown fox', 'jumps over', 'the lazy dog']) {
      yield `${line} `;
      await sleep(100);
    }
  }
  const counted = await client.callStreaming({ scheme: 'raw', service: 'stream-demo', arg1: 'wordcount', arg3: lines(), hostport });
  console.log(`word count: ${(await counted.getBodyBytes()).toString()}`);

  await client.close();
  await server.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

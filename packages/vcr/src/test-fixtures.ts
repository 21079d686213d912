import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TChannel, TChannelApplicationError } from '@tchannel/core';
import { JsonApplicationError, JsonArgScheme, type JsonRequest } from '@tchannel/json';
import { RawArgScheme } from '@tchannel/raw';

/** A real local server for recording: raw `echo`, `count`, `fail`, `slow`; json `get`, `missing`. */
export interface TestServer {
  readonly hostport: string;
  /** Requests the server handled. */
  readonly hits: () => number;
  readonly close: () => Promise<void>;
}

export async function startServer(): Promise<TestServer> {
  const server = new TChannel({ name: 'kv' });
  let hits = 0;
  let counter = 0;
  server.useIncoming((request, next) => {
    hits++;
    return next(request);
  });
  new RawArgScheme(server)
    .register('echo', ({ headers, body }) => ({ headers, body }))
    .register('count', () => ({ body: String(++counter) }))
    .register('fail', () => {
      throw new TChannelApplicationError('raw failure', 1, Buffer.from('h'), Buffer.from([0xde, 0xad]));
    })
    .register('slow', async ({ body }) => {
      await new Promise((resolve) => setTimeout(resolve, Number(body.toString())));
      return { body };
    });
  new JsonArgScheme(server)
    .register('get', ({ body, headers }: JsonRequest<{ key: string }>) => ({ body: { key: body.key, value: body.key.toUpperCase() }, headers: { echoed: headers['k'] ?? '' } }))
    .register('missing', ({ body }: JsonRequest<{ key: string }>) => {
      throw new JsonApplicationError({ type: 'kv.not-found', message: `no key ${body.key}` });
    });
  const hostport = await server.listen({ host: '127.0.0.1', port: 0 });
  return { hostport, hits: () => hits, close: () => server.close({ gracePeriod: 0 }) };
}

/** A client channel with the raw and json schemes, and a count of the connections it opened. */
export function createClient(): { channel: TChannel; raw: RawArgScheme; json: JsonArgScheme; connections: () => number } {
  const channel = new TChannel({ name: 'kv-client', timeout: 2000 });
  let connections = 0;
  channel.on('connection', () => connections++);
  return { channel, raw: new RawArgScheme(channel), json: new JsonArgScheme(channel), connections: () => connections };
}

/** A fresh directory under the OS temp dir, removed by the returned function. */
export async function tempDir(): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), 'tchannel-vcr-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

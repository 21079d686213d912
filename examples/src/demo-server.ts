/**
 * The demo's server: one channel serving raw endpoints. Run by demo.ts in its own process; prints
 * its host:port on stdout for the client.
 */
import { BusyError, TChannel, TChannelApplicationError } from '@tchannel/core';
import { JsonApplicationError, JsonArgScheme, type JsonRequest } from '@tchannel/json';
import { RawArgScheme } from '@tchannel/raw';

async function main(): Promise<void> {
  const server = new TChannel({ name: 'demo-server' });
  const raw = new RawArgScheme(server);

  raw.register('echo', ({ headers, body }) => ({ headers, body }));
  raw.register('upper', ({ body }) => ({ body: body.toString('utf8').toUpperCase() }));
  raw.register('divide', ({ body }) => {
    const [a, b] = body.toString('utf8').split('/').map(Number);
    if (b === 0) throw new TChannelApplicationError('division by zero', 1, Buffer.alloc(0), Buffer.from('cannot divide by zero'));
    return { body: String((a ?? 0) / (b ?? 1)) };
  });
  raw.register('busy', () => {
    throw new BusyError('try another peer');
  });

  const json = new JsonArgScheme(server);
  const users = new Map([[1, { id: 1, name: 'Ada Lovelace' }]]);
  json.register('getUser', ({ body, headers }: JsonRequest<{ id: number }>) => {
    const user = users.get(body.id);
    if (user === undefined) throw new JsonApplicationError({ type: 'users.not-found', message: `no user ${body.id}` });
    return { body: user, headers: { 'request-id': headers['request-id'] ?? 'none' } };
  });

  const hostPort = await server.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${hostPort}\n`);
  process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});

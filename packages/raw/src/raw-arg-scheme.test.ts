import { BadRequestError, TChannel, TChannelApplicationError, TChannelError } from '@tchannel/core';
import { RawArgScheme } from './raw-arg-scheme';

const channels: TChannel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((ch) => ch.close()));
});

async function pair(): Promise<{ server: RawArgScheme; client: RawArgScheme; hostport: string }> {
  const serverChannel = new TChannel({ name: 'raw-server' });
  const clientChannel = new TChannel({ name: 'raw-client' });
  channels.push(serverChannel, clientChannel);
  const server = new RawArgScheme(serverChannel);
  const hostport = await serverChannel.listen();
  return { server, client: new RawArgScheme(clientChannel), hostport };
}

test('calls and serves by endpoint with bytes in arg2 and arg3', async () => {
  const { server, client, hostport } = await pair();
  server.register('echo', ({ headers, body, endpoint, service, request }) => ({
    headers: Buffer.concat([headers, Buffer.from(`|${endpoint}|${service}|${request.scheme}`)]),
    body,
  }));
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const res = await client.call({ service: 'raw-server', endpoint: 'echo', headers: 'h', body: bytes, hostport });
  expect(res.headers.toString('latin1')).toBe('h|echo|raw-server|raw');
  expect(res.body.equals(bytes)).toBe(true);
  expect(res.transportHeaders['as']).toBe('raw');
  expect(res.hostPort).toBe(hostport);
});

test('a handler throwing TChannelApplicationError answers code 1; the caller gets its headers and body', async () => {
  const { server, client, hostport } = await pair();
  server.register('fail', () => {
    throw new TChannelApplicationError('nope', 1, Buffer.from('err-head'), Buffer.from('err-body'));
  });
  const err = await client.call({ service: 'raw-server', endpoint: 'fail', hostport }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TChannelApplicationError);
  expect(err).toBeInstanceOf(TChannelError);
  const appError = err as TChannelApplicationError;
  expect(appError.responseCode).toBe(1);
  expect(appError.headers.toString()).toBe('err-head');
  expect(appError.body.toString()).toBe('err-body');
});

test('raw endpoints refuse calls made with another arg scheme', async () => {
  const { server, hostport } = await pair();
  server.register('echo', ({ body }) => ({ body }));
  const other = new TChannel({ name: 'json-client' });
  channels.push(other);
  await expect(other.call({ scheme: 'json', service: 'raw-server', arg1: 'echo', hostport })).rejects.toBeInstanceOf(BadRequestError);
});

test('the scheme registers once per channel', () => {
  const channel = new TChannel({ name: 'c' });
  channels.push(channel);
  const raw = new RawArgScheme(channel);
  expect(channel.schemes.get('raw')).toBe(raw);
  expect(() => new RawArgScheme(channel)).toThrow(/already registered/);
});

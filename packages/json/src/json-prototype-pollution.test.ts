// Prototype pollution: JSON from the network must never reach Object.prototype, and keys such as
// `__proto__` must stay readable as data, on the serving and the calling side.

import { BadRequestError, TChannel } from '@tchannel/core';
import { JsonArgScheme } from './json-arg-scheme';

const SERVICE = 'json-server';

const channels: TChannel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((ch) => ch.close()));
});

async function pair(): Promise<{ server: JsonArgScheme; client: JsonArgScheme; clientChannel: TChannel; hostport: string }> {
  const serverChannel = new TChannel({ name: SERVICE });
  const clientChannel = new TChannel({ name: 'json-client' });
  channels.push(serverChannel, clientChannel);
  const server = new JsonArgScheme(serverChannel);
  const hostport = await serverChannel.listen();
  return { server, client: new JsonArgScheme(clientChannel), clientChannel, hostport };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

describe('prototype pollution', () => {
  const payload = '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}';

  afterEach(() => {
    // Belt and braces: a failing test must not leak into the others.
    delete (Object.prototype as Record<string, unknown>)['polluted'];
  });

  test('__proto__ in body and headers is data on the server and the client; Object.prototype is untouched', async () => {
    const { server, clientChannel, client, hostport } = await pair();
    let seenHeaders: Record<string, string> | undefined;
    let seenBody: unknown;
    server.register('echo', ({ headers, body }) => {
      seenHeaders = headers;
      seenBody = body;
      // Merging decoded values the careless way must not reach Object.prototype either.
      Object.assign({}, body);
      const merged: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(headers)) merged[k] = v;
      return { headers, body };
    });

    // Headers must have string values, so the hostile header is a string; the body is any JSON.
    const arg2 = '{"__proto__":"{\\"polluted\\":\\"yes\\"}","constructor":"c"}';
    const raw = await clientChannel.call({ scheme: 'json', service: SERVICE, arg1: 'echo', arg2, arg3: payload, hostport });
    expect(raw.code).toBe(0);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();

    expect(seenHeaders).toBeDefined();
    expect(Object.getPrototypeOf(seenHeaders)).toBeNull();
    expect(seenHeaders?.['__proto__']).toBe('{"polluted":"yes"}');
    expect(seenHeaders?.['constructor']).toBe('c');
    expect(Object.keys(seenHeaders ?? {})).toEqual(['__proto__', 'constructor']);
    const body = seenBody as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['__proto__', 'constructor']);
    expect(Object.hasOwn(body, '__proto__')).toBe(true);
    expect(body['__proto__']).toEqual({ polluted: 'yes' });
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(body['polluted']).toBeUndefined();

    // The echo went back intact, and the client decodes it the same way.
    expect(JSON.parse(raw.arg3.toString()) as unknown).toEqual(JSON.parse(payload) as unknown);
    const res = await client.call({ service: SERVICE, endpoint: 'echo', headers: { ['__proto__']: 'x' }, body: JSON.parse(payload) as unknown, hostport });
    expect(Object.getPrototypeOf(res.headers)).toBeNull();
    expect(res.headers['__proto__']).toBe('x');
    expect((res.body as Record<string, unknown>)['__proto__']).toEqual({ polluted: 'yes' });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  test('a __proto__ header whose value is an object is a bad request (header values are strings)', async () => {
    const { server, clientChannel, hostport } = await pair();
    server.register('echo', ({ body }) => ({ body }));
    const err = await rejectionOf(clientChannel.call({ scheme: 'json', service: SERVICE, arg1: 'echo', arg2: payload, arg3: '1', hostport }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

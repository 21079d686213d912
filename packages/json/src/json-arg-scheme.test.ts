import {
  BadRequestError,
  TChannel,
  TChannelApplicationError,
  TChannelError,
  UnexpectedError,
  type Request,
} from '@tchannel/core';
import { JsonArgScheme, type JsonRequest } from './json-arg-scheme';
import { JsonApplicationError, JsonDecodeError, JsonEncodeError } from './json-errors';

const SERVICE = 'json-server';

const channels: TChannel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((ch) => ch.close()));
});

interface Pair {
  server: JsonArgScheme;
  serverChannel: TChannel;
  client: JsonArgScheme;
  clientChannel: TChannel;
  hostport: string;
}

async function pair(): Promise<Pair> {
  const serverChannel = new TChannel({ name: SERVICE });
  const clientChannel = new TChannel({ name: 'json-client' });
  channels.push(serverChannel, clientChannel);
  const server = new JsonArgScheme(serverChannel);
  const hostport = await serverChannel.listen();
  return { server, serverChannel, client: new JsonArgScheme(clientChannel), clientChannel, hostport };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

describe('round trips', () => {
  test.each<[string, unknown]>([
    ['an object', { name: 'x', nested: { list: [1, 2, { deep: true }] } }],
    ['an array', [1, 'two', null, { three: 3 }]],
    ['a string', 'hello'],
    ['a number', 42.5],
    ['zero', 0],
    ['false', false],
    ['null', null],
    ['unicode', { 'ключ': 'ünï©ødé ✓ 🚀 \u0000 \u2028', emoji: '👩‍👩‍👧' }],
  ])('%s echoes through body and headers', async (_name, value) => {
    const { server, client, hostport } = await pair();
    server.register('echo', ({ body, headers }) => ({ body, headers }));
    const headers = { a: 'b', 'ü': '🚀', empty: '' };
    const res = await client.call({ service: SERVICE, endpoint: 'echo', body: value, headers, hostport });
    expect(res.body).toEqual(value);
    expect({ ...res.headers }).toEqual(headers);
    expect(res.transportHeaders['as']).toBe('json');
    expect(res.hostPort).toBe(hostport);
  });

  test('the handler sees endpoint, service, decoded args and the core request', async () => {
    const { server, client, hostport } = await pair();
    let seen: JsonRequest<{ q: string }> | undefined;
    server.register<{ q: string }, { answer: string }>('ask', (request) => {
      seen = request;
      return { body: { answer: request.body.q.toUpperCase() } };
    });
    const res = await client.call<{ q: string }, { answer: string }>({
      service: SERVICE,
      endpoint: 'ask',
      body: { q: 'why' },
      headers: { trace: 'on' },
      transportHeaders: { sk: 'shard' },
      hostport,
    });
    expect(res.body.answer).toBe('WHY');
    expect(seen?.endpoint).toBe('ask');
    expect(seen?.service).toBe(SERVICE);
    expect(seen?.headers['trace']).toBe('on');
    expect(seen?.request.scheme).toBe('json');
    expect(seen?.request.callerName).toBe('json-client');
    expect(seen?.request.transportHeaders['sk']).toBe('shard');
    expect(seen?.request.signal).toBeInstanceOf(AbortSignal);
  });

  test('an absent body is sent as null; an absent answer body is received as null', async () => {
    const { server, client, hostport } = await pair();
    let seenArg3 = '';
    server.register('nothing', ({ body, request }) => {
      seenArg3 = request.arg3.toString();
      expect(body).toBeNull();
      return {};
    });
    const res = await client.call({ service: SERVICE, endpoint: 'nothing', hostport });
    expect(seenArg3).toBe('null');
    expect(res.body).toBeNull();
    expect(Object.keys(res.headers)).toEqual([]);
  });
});

describe('arg2 on the wire', () => {
  test('no headers and empty headers are written as {} both ways', async () => {
    const { serverChannel, client, clientChannel, hostport } = await pair();
    const seen: string[] = [];
    serverChannel.register('raw-view', (request) => {
      seen.push(request.arg2.toString('latin1'));
      return { arg2: '{}', arg3: 'null' };
    }, { scheme: 'json' });
    await client.call({ service: SERVICE, endpoint: 'raw-view', hostport });
    await client.call({ service: SERVICE, endpoint: 'raw-view', headers: {}, hostport });
    expect(seen).toEqual(['{}', '{}']);

    // And a json handler answering without headers writes {} in the response.
    const { server, hostport: other } = await pair();
    server.register('plain', () => ({ body: 1 }));
    const res = await clientChannel.call({ scheme: 'json', service: SERVICE, arg1: 'plain', arg2: '{}', arg3: 'null', hostport: other });
    expect(res.arg2.toString('latin1')).toBe('{}');
    expect(res.arg3.toString('latin1')).toBe('1');
  });

  test('core getHeader()/getBody() decode json requests through the registered scheme', async () => {
    const { serverChannel, client, hostport } = await pair();
    serverChannel.register('core-level', async (request: Request) => {
      const headers = (await request.getHeader()) as Record<string, string>;
      const body = (await request.getBody()) as { n: number };
      return { arg2: JSON.stringify({ got: headers['k'] ?? '' }), arg3: JSON.stringify(body.n + 1) };
    }, { scheme: 'json' });
    const res = await client.call({ service: SERVICE, endpoint: 'core-level', headers: { k: 'v' }, body: { n: 41 }, hostport });
    expect(res.body).toBe(42);
    expect(res.headers['got']).toBe('v');
  });
});

describe('lenient reading', () => {
  test.each<[string, string, Record<string, string>]>([
    ['empty', '', {}],
    ['null', 'null', {}],
    ['whitespace', ' \t', {}],
    ['{} with a newline', '{}\n', {}],
    ["tchannel-go's trailing newline", '{"a":"b"}\n', { a: 'b' }],
  ])('arg2 %s from a raw core call', async (_name, arg2, expected) => {
    const { server, clientChannel, hostport } = await pair();
    server.register('echo', ({ headers, body }) => ({ headers, body }));
    const res = await clientChannel.call({ scheme: 'json', service: SERVICE, arg1: 'echo', arg2, arg3: '{"x":1}\n', hostport });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.arg2.toString()) as unknown).toEqual(expected);
    expect(JSON.parse(res.arg3.toString()) as unknown).toEqual({ x: 1 });
  });

  test('an empty arg3 is read as null', async () => {
    const { server, clientChannel, hostport } = await pair();
    server.register('echo', ({ body }) => ({ body: { was: body } }));
    const res = await clientChannel.call({ scheme: 'json', service: SERVICE, arg1: 'echo', hostport });
    expect(res.arg3.toString()).toBe('{"was":null}');
  });

  test('a response with an empty or newline-terminated arg2 and arg3 is accepted by the client', async () => {
    const { serverChannel, client, hostport } = await pair();
    serverChannel.register('sloppy', () => ({ arg2: '', arg3: '{"ok":true}\n' }), { scheme: 'json' });
    serverChannel.register('go-style', () => ({ arg2: '{"a":"b"}\n', arg3: '' }), { scheme: 'json' });
    const sloppy = await client.call({ service: SERVICE, endpoint: 'sloppy', hostport });
    expect(sloppy.body).toEqual({ ok: true });
    expect(Object.keys(sloppy.headers)).toEqual([]);
    const goStyle = await client.call({ service: SERVICE, endpoint: 'go-style', hostport });
    expect(goStyle.body).toBeNull();
    expect({ ...goStyle.headers }).toEqual({ a: 'b' });
  });
});

describe('application errors', () => {
  test('a handler throwing JsonApplicationError answers code 1; the caller gets the decoded body and headers', async () => {
    const { server, client, hostport } = await pair();
    server.register('fail', () => {
      throw new JsonApplicationError({ type: 'kv.not-found', message: 'no such key', key: 'k1' }, { headers: { retry: 'no' } });
    });
    const err = await rejectionOf(client.call({ service: SERVICE, endpoint: 'fail', hostport }));
    expect(err).toBeInstanceOf(JsonApplicationError);
    expect(err).toBeInstanceOf(TChannelApplicationError);
    expect(err).toBeInstanceOf(TChannelError);
    const appErr = err as JsonApplicationError<{ type: string; message: string; key: string }>;
    expect(appErr.responseCode).toBe(1);
    expect(appErr.body).toEqual({ type: 'kv.not-found', message: 'no such key', key: 'k1' });
    expect(appErr.type).toBe('kv.not-found');
    expect({ ...appErr.headers }).toEqual({ retry: 'no' });
    expect(appErr.message).toBe('kv.not-found: no such key');
  });

  test('the raw code-1 response carries {} headers and the JSON body', async () => {
    const { server, clientChannel, hostport } = await pair();
    server.register('fail', async () => {
      await Promise.resolve();
      throw new JsonApplicationError({ message: 'only a message' });
    });
    const res = await clientChannel.call({ scheme: 'json', service: SERVICE, arg1: 'fail', hostport });
    expect(res.code).toBe(1);
    expect(res.arg2.toString()).toBe('{}');
    expect(res.arg3.toString()).toBe('{"message":"only a message"}');
  });

  test('a plain TChannelApplicationError from a handler: values are encoded, Buffers sent as they are', async () => {
    const { server, client, hostport } = await pair();
    server.register('typed', () => {
      throw new TChannelApplicationError('typed', 1, { h: 'v' }, { type: 'typed' });
    });
    server.register('bytes', () => {
      throw new TChannelApplicationError('bytes', 1, Buffer.alloc(0), Buffer.from('{"type":"pre-encoded"}'));
    });
    const typed = (await rejectionOf(client.call({ service: SERVICE, endpoint: 'typed', hostport }))) as JsonApplicationError;
    expect(typed.body).toEqual({ type: 'typed' });
    expect({ ...typed.headers }).toEqual({ h: 'v' });
    expect(typed.message).toBe('typed');
    const bytes = (await rejectionOf(client.call({ service: SERVICE, endpoint: 'bytes', hostport }))) as JsonApplicationError;
    expect(bytes.body).toEqual({ type: 'pre-encoded' });
    expect(Object.keys(bytes.headers)).toEqual([]);
  });

  test('an error body without type or message still gets a message naming the call', async () => {
    const { serverChannel, client, hostport } = await pair();
    serverChannel.register('odd', () => ({ code: 1, arg2: '{}', arg3: '[1,2]' }), { scheme: 'json' });
    const err = (await rejectionOf(client.call({ service: SERVICE, endpoint: 'odd', hostport }))) as JsonApplicationError;
    expect(err).toBeInstanceOf(JsonApplicationError);
    expect(err.body).toEqual([1, 2]);
    expect(err.message).toBe(`application error from service "${SERVICE}" endpoint "odd"`);
  });

  test('other errors thrown by a handler become error frames', async () => {
    const { server, client, hostport } = await pair();
    server.register('bad', () => {
      throw new BadRequestError('you asked wrong');
    });
    server.register('boom', () => {
      throw new Error('kaput');
    });
    server.register('unserializable', () => ({ body: 10n }));
    const bad = await rejectionOf(client.call({ service: SERVICE, endpoint: 'bad', hostport }));
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as Error).message).toContain('you asked wrong');
    const boom = await rejectionOf(client.call({ service: SERVICE, endpoint: 'boom', hostport }));
    expect(boom).toBeInstanceOf(UnexpectedError);
    expect((boom as Error).message).toContain('kaput');
    const unserializable = await rejectionOf(client.call({ service: SERVICE, endpoint: 'unserializable', hostport }));
    expect(unserializable).toBeInstanceOf(UnexpectedError);
    expect((unserializable as Error).message).toMatch(/cannot be serialized/);
  });

  test('an unknown endpoint is a BadRequestError naming it', async () => {
    const { client, hostport } = await pair();
    const err = await rejectionOf(client.call({ service: SERVICE, endpoint: 'nope', hostport }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toContain('"nope"');
  });
});

describe('invalid JSON', () => {
  test.each<[string, string, string | Buffer, RegExp]>([
    ['arg2 not JSON', '{', '{}', /arg2 is not valid JSON/],
    ['arg2 not an object', '[]', '{}', /must be an object/],
    ['arg2 with a non-string value', '{"n":1}', '{}', /"n" \(arg2\) must be a string/],
    ['arg3 not JSON', '{}', '{"a":', /arg3 is not valid JSON/],
    ['arg3 not UTF-8', '{}', Buffer.from([0x22, 0xc3, 0x28, 0x22]), /arg3 is not valid UTF-8/],
  ])('a request with %s is a bad request; the handler never runs', async (_name, arg2, arg3, message) => {
    const { server, clientChannel, hostport } = await pair();
    const handler = jest.fn(() => ({ body: 'ran' }));
    server.register('echo', handler);
    const err = await rejectionOf(clientChannel.call({ scheme: 'json', service: SERVICE, arg1: 'echo', arg2, arg3, hostport }));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain('endpoint "echo"');
    expect(handler).not.toHaveBeenCalled();
    // The server is still fine.
    const ok = await clientChannel.call({ scheme: 'json', service: SERVICE, arg1: 'echo', arg2: '{}', arg3: '1', hostport });
    expect(ok.code).toBe(0);
  });

  test('a core handler using getBody() on invalid JSON answers bad request', async () => {
    const { serverChannel, clientChannel, hostport } = await pair();
    serverChannel.register('core-level', async (request) => ({ arg3: JSON.stringify(await request.getBody()) }), { scheme: 'json' });
    const err = await rejectionOf(clientChannel.call({ scheme: 'json', service: SERVICE, arg1: 'core-level', arg2: '{}', arg3: 'nope', hostport }));
    expect(err).toBeInstanceOf(BadRequestError);
  });

  test.each<[string, string, string, 'arg2' | 'arg3']>([
    ['arg3', '{}', '<html>oops</html>', 'arg3'],
    ['arg2', 'not json', '1', 'arg2'],
    ['arg3 of an error response', '{}', 'Internal Server Error', 'arg3'],
  ])('a response whose %s is not JSON rejects with JsonDecodeError', async (name, arg2, arg3, arg) => {
    const { serverChannel, client, hostport } = await pair();
    const code = name.includes('error response') ? 1 : 0;
    serverChannel.register('liar', () => ({ code, arg2, arg3 }), { scheme: 'json' });
    const err = await rejectionOf(client.call({ service: SERVICE, endpoint: 'liar', hostport }));
    expect(err).toBeInstanceOf(JsonDecodeError);
    expect(err).toBeInstanceOf(TChannelError);
    expect((err as JsonDecodeError).arg).toBe(arg);
    expect((err as Error).message).toContain(`response from service "${SERVICE}" endpoint "liar"`);
  });

  test('a body that cannot be serialized rejects with JsonEncodeError before anything is sent', async () => {
    const { server, client, hostport } = await pair();
    const handler = jest.fn(() => ({}));
    server.register('echo', handler);
    await expect(client.call({ service: SERVICE, endpoint: 'echo', body: { n: 1n }, hostport })).rejects.toBeInstanceOf(JsonEncodeError);
    const headers = { n: 1 } as unknown as Record<string, string>;
    await expect(client.call({ service: SERVICE, endpoint: 'echo', headers, hostport })).rejects.toBeInstanceOf(JsonEncodeError);
    expect(handler).not.toHaveBeenCalled();
  });
});

test('the scheme registers once per channel and is found by core', () => {
  const channel = new TChannel({ name: 'c' });
  channels.push(channel);
  const json = new JsonArgScheme(channel);
  expect(channel.schemes.get('json')).toBe(json);
  expect(() => new JsonArgScheme(channel)).toThrow(/already registered/);
});

test('json endpoints refuse calls made with another arg scheme', async () => {
  const { server, clientChannel, hostport } = await pair();
  server.register('echo', ({ body }) => ({ body }));
  await expect(clientChannel.call({ scheme: 'raw', service: SERVICE, arg1: 'echo', arg3: '1', hostport })).rejects.toBeInstanceOf(BadRequestError);
});

describe('plain core handlers with { scheme: "json" }', () => {
  test('answer { headers, body } encoded as JSON by the registered scheme', async () => {
    const server = new TChannel({ name: 'core-json' });
    const client = new TChannel({ name: 'core-json-client' });
    try {
      new JsonArgScheme(server);
      server.register('sum', async (request) => {
        const body = (await request.getBody()) as { a: number; b: number };
        return { headers: { 'x-op': 'sum' }, body: { total: body.a + body.b } };
      }, { scheme: 'json' });
      const hostport = await server.listen();
      const res = await new JsonArgScheme(client).call({ service: 'core-json', endpoint: 'sum', body: { a: 2, b: 3 }, hostport });
      expect(res.body).toEqual({ total: 5 });
      expect(res.headers).toEqual({ 'x-op': 'sum' });
    } finally {
      await Promise.all([client.close(), server.close()]);
    }
  });
});

// Interop of the json arg scheme with tchannel-node 4.0.1's own (as/json.js, TChannelAsJSON), both
// directions: our JsonArgScheme client -> its json server (the harness's json endpoints, served
// under 'node-json-server'), and its json client (NodePeer.callJson) -> our JsonArgScheme server.

import {
  BadRequestError,
  TChannel,
  TChannelApplicationError,
  UnexpectedError,
} from '@tchannel/core';
import { JsonApplicationError, JsonArgScheme, type JsonHeaders } from '@tchannel/json';
import { NodePeer, type NodeJsonCallOutcome, type NodeJsonCallResult } from '../src/node-peer/node-peer';
import { rejectionOf } from './interop-helpers';

const NODE_SERVICE = 'node-json-server';
const TS_SERVICE = 'ts-json-server';
const CALLER = 'ts-json-client';

/** Bodies both sides must carry unchanged. */
const BODIES: Array<[string, unknown]> = [
  ['a nested object', { user: { id: 7, tags: ['a', 'b'], address: { city: 'Zürich', geo: [47.37, 8.54] } }, ok: true, none: null }],
  ['an array', [1, 'two', null, { three: [3] }, []]],
  ['a string', 'plain string'],
  ['a number', -12.5e3],
  ['zero', 0],
  ['false', false],
  ['null', null],
  ['unicode', { 'ключ': 'значение', emoji: '🚀 👩‍👩‍👧', cjk: '漢字', escapes: 'tab\t nl\n quote" back\\ nul\u0000 ls\u2028' }],
];

const UNICODE_HEADERS: JsonHeaders = { 'x-ünï': '✓ 漢字 🚀', plain: 'v', empty: '' };

let nodeServer: NodePeer;
let nodeClient: NodePeer;
let nodeHostPort: string;
let serverChannel: TChannel;
let clientChannel: TChannel;
let client: JsonArgScheme;
let tsHostPort: string;
/** Headers and body our server's json handlers saw, newest last. */
const seenByUs: Array<{ endpoint: string; headers: JsonHeaders; body: unknown; as: string | undefined; arg2: string }> = [];

beforeAll(async () => {
  [nodeServer, nodeClient] = await Promise.all([NodePeer.start(), NodePeer.start()]);
  nodeHostPort = await nodeServer.listen({ jsonServiceName: NODE_SERVICE });

  clientChannel = new TChannel({ name: CALLER });
  client = new JsonArgScheme(clientChannel);

  serverChannel = new TChannel({ name: TS_SERVICE });
  const server = new JsonArgScheme(serverChannel);
  server.register('echo', ({ endpoint, headers, body, request }) => {
    seenByUs.push({ endpoint, headers, body, as: request.transportHeaders['as'], arg2: request.arg2.toString('utf8') });
    return { headers, body };
  });
  server.register('app-error', ({ headers }) => {
    throw new JsonApplicationError({ type: 'my.error', message: 'ours failed', detail: { code: 42, note: 'ünï' } }, { headers });
  });
  server.register('plain-app-error', () => {
    throw new TChannelApplicationError('plain', 1, { k: 'v' }, { type: 'plain.error', message: 'from a TChannelApplicationError' });
  });
  server.register('handler-error', () => {
    throw new Error('our handler failed');
  });
  server.register('no-answer-body', () => ({}));
  tsHostPort = await serverChannel.listen();
});

afterAll(async () => {
  await Promise.all([clientChannel?.close(), serverChannel?.close()]);
  await Promise.all([nodeServer?.close(), nodeClient?.close()]);
});

afterEach(() => {
  // Nothing in the children may have blown up behind our back.
  expect(nodeServer.problems).toEqual([]);
  expect(nodeClient.problems).toEqual([]);
});

describe('json interop: tchannel-ts JsonArgScheme client -> tchannel-node json server', () => {
  type CallOptions = Parameters<JsonArgScheme['call']>[0];
  const call = (endpoint: string, extra: Omit<CallOptions, 'service' | 'endpoint' | 'hostport'> = {}): ReturnType<JsonArgScheme['call']> =>
    client.call({ service: NODE_SERVICE, endpoint, hostport: nodeHostPort, timeout: 5000, ...extra });

  test.each(BODIES)('echo: %s with unicode headers', async (_name, body) => {
    const res = await call('echo', { body, headers: UNICODE_HEADERS });
    expect(res.body).toEqual(body);
    expect({ ...res.headers }).toEqual(UNICODE_HEADERS);
    expect(res.transportHeaders['as']).toBe('json');
    expect(res.hostPort).toBe(nodeHostPort);
  });

  test('tchannel-node decodes what we send: {} for no headers, the body with its JS types', async () => {
    const res = await call('seen', { body: { n: 1, s: 'ü', a: [null] } });
    expect(res.body).toEqual({ head: {}, body: { n: 1, s: 'ü', a: [null] }, headType: 'object', as: 'json' });
    const explicit = await call('seen', { headers: {}, body: null });
    expect(explicit.body).toEqual({ head: {}, body: null, headType: 'object', as: 'json' });

    const served = (await nodeServer.served()).filter((rec) => rec.endpoint === 'seen');
    const last = served[served.length - 1];
    expect(last?.service).toBe(NODE_SERVICE);
    expect(last?.headers['as']).toBe('json');
    expect(last?.headers['cn']).toBe(CALLER);
    expect(last?.arg2Length).toBe(2); // `{}`
    expect(last?.arg3Length).toBe(4); // `null`
  });

  test('empty headers come back as an empty null-prototype object', async () => {
    const res = await call('echo', { body: 'x' });
    expect(Object.keys(res.headers)).toEqual([]);
    expect(Object.getPrototypeOf(res.headers)).toBeNull();
  });

  test('an answer without head (tchannel-node writes an empty arg2) is read as no headers', async () => {
    const res = await call('no-head', { headers: { a: 'b' }, body: { kept: true } });
    expect(res.body).toEqual({ kept: true });
    expect(Object.keys(res.headers)).toEqual([]);
  });

  test('ok: false -> TChannelApplicationError carrying the decoded { type, message } and headers', async () => {
    const err = await rejectionOf(call('app-error', { headers: { why: 'test' }, body: { any: 'thing' } }));
    expect(err).toBeInstanceOf(TChannelApplicationError);
    expect(err).toBeInstanceOf(JsonApplicationError);
    const appErr = err as JsonApplicationError<{ type: string; message: string }>;
    expect(appErr.responseCode).toBe(1);
    expect(appErr.body).toEqual({ type: 'my.error', message: 'my error happened' });
    expect(appErr.type).toBe('my.error');
    expect(appErr.message).toBe('my.error: my error happened');
    expect({ ...appErr.headers }).toEqual({ why: 'test' });
  });

  test('a failing tchannel-node json handler -> UnexpectedError', async () => {
    const err = await rejectionOf(call('handler-error', { retryOn: 'n' }));
    expect(err).toBeInstanceOf(UnexpectedError);
  });

  test('an unknown endpoint -> BadRequestError', async () => {
    const err = await rejectionOf(call('no-such-endpoint'));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toContain('no-such-endpoint');
  });

  test('an unknown service -> BadRequestError', async () => {
    const err = await rejectionOf(client.call({ service: 'no-such-service', endpoint: 'echo', hostport: nodeHostPort, timeout: 5000 }));
    expect(err).toBeInstanceOf(BadRequestError);
  });
});

describe('json interop: tchannel-node json client -> tchannel-ts JsonArgScheme server', () => {
  const callJson = (endpoint: string, extra: { head?: unknown; body?: unknown; timeout?: number } = {}): Promise<NodeJsonCallOutcome> =>
    nodeClient.callJson({ hostPort: tsHostPort, service: TS_SERVICE, endpoint, timeout: 5000, ...extra });

  function okResult(outcome: NodeJsonCallOutcome): NodeJsonCallResult {
    if (outcome.error) throw new Error(`expected a json response, got error ${JSON.stringify(outcome.error)}`);
    if (!outcome.result) throw new Error('expected a json response');
    return outcome.result;
  }

  const lastSeen = (): (typeof seenByUs)[number] => {
    const last = seenByUs[seenByUs.length - 1];
    if (last === undefined) throw new Error('our server saw no call');
    return last;
  };

  test.each(BODIES)('echo: %s with unicode headers', async (_name, body) => {
    const res = okResult(await callJson('echo', { head: UNICODE_HEADERS, body }));
    expect(res.ok).toBe(true);
    expect(res.head).toEqual(UNICODE_HEADERS);
    expect(res.body).toEqual(body);
    expect(res.headers['as']).toBe('json');
    expect(lastSeen().body).toEqual(body);
    expect({ ...lastSeen().headers }).toEqual(UNICODE_HEADERS);
    expect(lastSeen().as).toBe('json');
  });

  test.each<[string, { head?: unknown }, string]>([
    ['{} headers', { head: {} }, '{}'],
    ['no head (tchannel-node writes an empty arg2)', {}, ''],
    ['a null head', { head: null }, 'null'],
  ])('%s: our server reads no headers and answers {}', async (_name, head, arg2) => {
    const res = okResult(await callJson('echo', { ...head, body: { x: 1 } }));
    expect(lastSeen().arg2).toBe(arg2);
    expect(res.ok).toBe(true);
    expect(res.head).toEqual({});
    expect(res.body).toEqual({ x: 1 });
    expect(Object.keys(lastSeen().headers)).toEqual([]);
    expect(Object.getPrototypeOf(lastSeen().headers)).toBeNull();
  });

  test('a handler answering no body: tchannel-node reads null', async () => {
    const res = okResult(await callJson('no-answer-body', { body: 1 }));
    expect(res).toMatchObject({ ok: true, head: {}, body: null });
  });

  test('our JsonApplicationError -> ok: false with our { type, message } body and headers', async () => {
    const res = okResult(await callJson('app-error', { head: { why: 'test' }, body: {} }));
    expect(res.ok).toBe(false);
    expect(res.head).toEqual({ why: 'test' });
    // tchannel-node rebuilds an Error from the body: our fields, plus its name and fullType.
    expect(res.body).toMatchObject({ type: 'my.error', message: 'ours failed', detail: { code: 42, note: 'ünï' } });
    expect(res.headers['as']).toBe('json');
  });

  test('a plain TChannelApplicationError with object body and headers -> ok: false, JSON-encoded', async () => {
    const res = okResult(await callJson('plain-app-error', { body: null }));
    expect(res.ok).toBe(false);
    expect(res.head).toEqual({ k: 'v' });
    expect(res.body).toMatchObject({ type: 'plain.error', message: 'from a TChannelApplicationError' });
  });

  test('an unknown endpoint -> BadRequest error frame', async () => {
    const outcome = await callJson('no-such-endpoint', { body: null });
    expect(outcome.result).toBeUndefined();
    expect(outcome.error?.codeName).toBe('BadRequest');
    expect(outcome.error?.isErrorFrame).toBe(true);
    expect(outcome.error?.message).toContain('no-such-endpoint');
  });

  test('our handler failing -> UnexpectedError frame', async () => {
    const outcome = await callJson('handler-error', { body: null });
    expect(outcome.error?.codeName).toBe('UnexpectedError');
    expect(outcome.error?.isErrorFrame).toBe(true);
  });

  test.each<[string, string, string]>([
    ['arg2 not JSON', '{', '{}'],
    ['arg2 with a non-string header', '{"n":1}', '{}'],
    ['arg3 not JSON', '{}', '{"unterminated":'],
  ])('%s in an `as: json` request (tchannel-node raw call) -> BadRequest error frame', async (_name, arg2, arg3) => {
    const outcome = await nodeClient.call({ hostPort: tsHostPort, service: TS_SERVICE, arg1: 'echo', arg2, arg3, headers: { as: 'json' }, timeout: 5000 });
    expect(outcome.result).toBeUndefined();
    expect(outcome.error?.codeName).toBe('BadRequest');
    expect(outcome.error?.isErrorFrame).toBe(true);
  });

  test("a raw call with tchannel-go's trailing newline in arg2 and arg3 is accepted", async () => {
    const outcome = await nodeClient.call({ hostPort: tsHostPort, service: TS_SERVICE, arg1: 'echo', arg2: '{"a":"b"}\n', arg3: '[1]\n', headers: { as: 'json' }, timeout: 5000 });
    const res = outcome.result;
    expect(res?.ok).toBe(true);
    expect(res?.arg2.toString()).toBe('{"a":"b"}');
    expect(res?.arg3.toString()).toBe('[1]');
    expect(res?.headers['as']).toBe('json');
  });
});

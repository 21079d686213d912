// Interop of the thrift arg scheme with tchannel-node 4.0.1's own (as/thrift.js, TChannelAsThrift
// with thriftrw compiling the same IDL), both directions: our clientFor client -> its thrift
// server (NodePeer.listenThrift), and its thrift client (NodePeer.callThrift) -> our server. The
// service is packages/thrift/test/idl/keyvalue.thrift; our side uses the code the Thrift compiler
// generated from it (packages/thrift/test/gen/keyvalue).

import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { BadRequestError, TChannel, UnexpectedError } from '@tchannel/core';
import {
  checkHealth,
  clientFor,
  HealthRequestType,
  registerThriftService,
  type HealthCheckRequest,
  type ThriftContext,
  type ThriftHandler,
} from '@tchannel/thrift';
import KeyValue = require('../../thrift/test/gen/keyvalue/KeyValue');
import ttypes = require('../../thrift/test/gen/keyvalue/keyvalue_types');
import { NodePeer, type NodeThriftCallOutcome, type NodeThriftCallResult } from '../src/node-peer/node-peer';
import { okResult, rejectionOf } from './interop-helpers';

const KEYVALUE_IDL = readFileSync(path.join(__dirname, '../../thrift/test/idl/keyvalue.thrift'), 'utf8');
/** Our meta.thrift (`health(1: HealthRequest hr)`) and tchannel-node's own (`health()`). */
const META_IDL = readFileSync(path.join(__dirname, '../../thrift/idl/meta.thrift'), 'utf8');
const NODE_META_IDL = readFileSync(path.join(path.dirname(require.resolve('tchannel/package.json')), 'as/meta.thrift'), 'utf8');

const NODE_SERVICE = 'node-thrift-server';
const TS_SERVICE = 'ts-thrift-server';
const CALLER = 'ts-thrift-client';

/** Our KeyValue implementation; the harness's tchannel-node one (thriftHandlers) behaves the same. */
class KeyValueHandler implements ThriftHandler<typeof KeyValue> {
  readonly store = new Map<string, string>();
  readonly seen: Array<{ method: string; headers: Record<string, string>; args: unknown[] }> = [];

  private see(method: string, context: ThriftContext, ...args: unknown[]): void {
    this.seen.push({ method, headers: { ...context.headers }, args });
    if (context.headers['fail'] === 'yes') throw new Error('our thrift handler failed');
    Object.assign(context.responseHeaders, context.headers, { served: method });
  }

  isHealthy(context: ThriftContext): boolean {
    this.see('isHealthy', context);
    return true;
  }

  echo(value: string, context: ThriftContext): string {
    this.see('echo', context, value);
    return value;
  }

  get(key: string, context: ThriftContext): string {
    this.see('get', context, key);
    const value = this.store.get(key);
    if (value === undefined) throw new ttypes.KeyNotFound({ key });
    return value;
  }

  async put(key: string, value: string, context: ThriftContext): Promise<void> {
    this.see('put', context, key, value);
    if (value === '') throw new ttypes.InvalidValue({ message: `empty value for ${key}`, code: 400 });
    this.store.set(key, value);
  }

  add(a: number, b: number, context: ThriftContext): number {
    this.see('add', context, a, b);
    return a + b;
  }

  clear(context: ThriftContext): void {
    this.see('clear', context);
    this.store.clear();
  }

  transform(shape: ttypes.Shape, extra: ttypes.Shape[], byName: { [k: string]: ttypes.Point }, scale: number, context: ThriftContext): ttypes.Shape {
    this.see('transform', context, shape, extra, byName, scale);
    const points = [...shape.points, ...Object.values(byName)].map((p) => ({ x: p.x * scale, y: p.y * scale }));
    return new ttypes.Shape({
      name: `${shape.name}*${scale}`,
      points: points.map((p) => new ttypes.Point(p)),
      counts: { points: points.length, extra: extra.length, ...(shape.counts ?? {}) },
      tags: [...(shape.tags ?? []), ...extra.map((s) => s.name)],
      color: shape.color === ttypes.Color.RED ? ttypes.Color.BLUE : ttypes.Color.GREEN,
      filled: !(shape.filled ?? false),
      ...(extra[0] === undefined ? {} : { inner: extra[0] }),
    });
  }

  notify(): void {
    throw new Error('oneway: never called');
  }
}

let nodeServer: NodePeer;
let nodeClient: NodePeer;
let nodeHostPort: string;
let serverChannel: TChannel;
let clientChannel: TChannel;
let tsHostPort: string;
const handler = new KeyValueHandler();
const healthChecks: HealthCheckRequest[] = [];
let healthy = true;
const NodeKeyValue = clientFor(NODE_SERVICE, KeyValue);
let kv: InstanceType<typeof NodeKeyValue>;

beforeAll(async () => {
  [nodeServer, nodeClient] = await Promise.all([NodePeer.start(), NodePeer.start()]);
  nodeHostPort = await nodeServer.listenThrift({ idl: KEYVALUE_IDL, thriftService: 'KeyValue', serviceName: NODE_SERVICE });

  clientChannel = new TChannel({ name: CALLER });
  kv = new NodeKeyValue(clientChannel, nodeHostPort);

  serverChannel = new TChannel({ name: TS_SERVICE });
  registerThriftService(serverChannel, KeyValue, handler).setHealthCheck((request) => {
    healthChecks.push(request);
    return healthy ? { ok: true } : { ok: false, message: 'draining' };
  });
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

const SHAPE_IN = {
  name: 'tri',
  points: [
    { x: 0, y: 0 },
    { x: 1.5, y: -2 },
  ],
  counts: { a: 1, 'ü': -5 },
  tags: ['x', 'y'],
  filled: true,
};
const EXTRA = [{ name: 'sq', points: [{ x: 3, y: 4 }], inner: { name: 'deep', points: [] } }];
const SHAPE_OUT = {
  name: 'tri*2',
  points: [
    { x: 0, y: 0 },
    { x: 3, y: -4 },
    { x: 20, y: 40 },
  ],
  counts: { points: 3, extra: 1, a: 1, 'ü': -5 },
  tags: ['x', 'y', 'sq'],
  filled: false,
};

describe('thrift interop: tchannel-ts clientFor client -> tchannel-node thrift server', () => {
  test('put then get; a missing key rejects with the generated KeyNotFound', async () => {
    await expect(kv.put('greeting', 'hello ünï ✓')).resolves.toBeUndefined();
    await expect(kv.get('greeting')).resolves.toBe('hello ünï ✓');
    const err = await rejectionOf(kv.get('missing'));
    expect(err).toBeInstanceOf(ttypes.KeyNotFound);
    expect((err as ttypes.KeyNotFound).key).toBe('missing');
  });

  test('a declared exception of a void method', async () => {
    const err = await rejectionOf(kv.put('k', ''));
    expect(err).toBeInstanceOf(ttypes.InvalidValue);
    expect(err).toMatchObject({ message: 'empty value for k', code: 400 });
  });

  test('add, clear (void) and the inherited isHealthy and echo', async () => {
    await expect(kv.add(40, 2)).resolves.toBe(42);
    await expect(kv.clear()).resolves.toBeUndefined();
    await expect(kv.get('greeting')).rejects.toBeInstanceOf(ttypes.KeyNotFound);
    await expect(kv.isHealthy()).resolves.toBe(true);
    await expect(kv.echo('échø')).resolves.toBe('échø');
    const endpoints = (await nodeServer.served()).map((rec) => rec.endpoint);
    expect(endpoints).toEqual(expect.arrayContaining(['KeyValue::add', 'KeyValue::clear', 'KeyValue::isHealthy', 'KeyValue::echo']));
  });

  test('structs, lists, maps, sets, enums and nested structs', async () => {
    const shape = new ttypes.Shape({ ...SHAPE_IN, points: SHAPE_IN.points.map((p) => new ttypes.Point(p)), color: ttypes.Color.RED });
    const result = await kv.transform(shape, EXTRA as ttypes.Shape[], { far: new ttypes.Point({ x: 10, y: 20 }) }, 2);
    expect(result).toBeInstanceOf(ttypes.Shape);
    expect(result).toMatchObject({ ...SHAPE_OUT, color: ttypes.Color.BLUE, inner: { name: 'sq', points: [{ x: 3, y: 4 }], inner: { name: 'deep', points: [] } } });
  });

  test('application headers both ways; none is sent as `00 00`', async () => {
    await nodeServer.served(true);
    const res = await kv.withHeaders.add(1, 2, { headers: { 'request-id': '7', 'ü': '✓' } });
    expect(res.result).toBe(3);
    expect({ ...res.headers }).toEqual({ 'request-id': '7', 'ü': '✓', served: 'add' });
    expect(res.transportHeaders['as']).toBe('thrift');
    await kv.add(1, 2);
    const served = await nodeServer.served();
    expect(served.map((rec) => [rec.endpoint, rec.headers['as'], rec.headers['cn'], rec.service])).toEqual([
      ['KeyValue::add', 'thrift', CALLER, NODE_SERVICE],
      ['KeyValue::add', 'thrift', CALLER, NODE_SERVICE],
    ]);
    expect(served[1]?.arg2Length).toBe(2);
  });

  test('a failing tchannel-node handler -> UnexpectedError', async () => {
    await expect(kv.add(1, 2, { headers: { fail: 'yes' }, retryOn: 'n' })).rejects.toBeInstanceOf(UnexpectedError);
  });

  test('an unknown method -> BadRequestError', async () => {
    const other = new (clientFor(NODE_SERVICE, KeyValue, 'NoSuchService'))(clientChannel, nodeHostPort);
    await expect(other.add(1, 2)).rejects.toBeInstanceOf(BadRequestError);
  });

  test("Meta::health: tchannel-node's answer, healthy and not", async () => {
    await expect(checkHealth(clientChannel, { service: NODE_SERVICE, hostport: nodeHostPort })).resolves.toEqual({ ok: true });
    await nodeServer.setThriftHealth({ ok: false, message: 'warming up' });
    await expect(checkHealth(clientChannel, { service: NODE_SERVICE, hostport: nodeHostPort })).resolves.toEqual({ ok: false, message: 'warming up' });
    await nodeServer.setThriftHealth({ ok: true });
  });
});

describe('thrift interop: tchannel-node thrift client -> tchannel-ts server', () => {
  const callThrift = (endpoint: string, body: Record<string, unknown>, head?: Record<string, string>, idl = KEYVALUE_IDL): Promise<NodeThriftCallOutcome> =>
    nodeClient.callThrift({ hostPort: tsHostPort, service: TS_SERVICE, idl, endpoint, body, timeout: 5000, ...(head === undefined ? {} : { head }) });

  function thriftResult(outcome: NodeThriftCallOutcome): NodeThriftCallResult {
    if (outcome.error) throw new Error(`expected a thrift response, got error ${JSON.stringify(outcome.error)}`);
    if (!outcome.result) throw new Error('expected a thrift response');
    return outcome.result;
  }

  test('put then get; a missing key -> ok: false with the notFound exception', async () => {
    expect(thriftResult(await callThrift('KeyValue::put', { key: 'k', value: 'v ✓' }))).toMatchObject({ ok: true, body: null });
    expect(handler.store.get('k')).toBe('v ✓');
    expect(thriftResult(await callThrift('KeyValue::get', { key: 'k' }))).toMatchObject({ ok: true, body: 'v ✓' });
    const missing = thriftResult(await callThrift('KeyValue::get', { key: 'nope' }));
    expect(missing).toMatchObject({ ok: false, typeName: 'notFound', body: { key: 'nope' } });
  });

  test('a declared exception of a void method', async () => {
    const res = thriftResult(await callThrift('KeyValue::put', { key: 'k', value: '' }));
    expect(res).toMatchObject({ ok: false, typeName: 'invalid', body: { message: 'empty value for k', code: 400 } });
  });

  test('add, clear (void) and the inherited isHealthy and echo', async () => {
    expect(thriftResult(await callThrift('KeyValue::add', { a: 40, b: 2 })).body).toBe(42);
    expect(thriftResult(await callThrift('KeyValue::clear', {}))).toMatchObject({ ok: true, body: null });
    expect(handler.store.size).toBe(0);
    expect(thriftResult(await callThrift('KeyValue::isHealthy', {})).body).toBe(true);
    expect(thriftResult(await callThrift('KeyValue::echo', { value: 'échø' })).body).toBe('échø');
  });

  test('structs, lists, maps, sets, enums and nested structs', async () => {
    const res = thriftResult(
      await callThrift('KeyValue::transform', { shape: { ...SHAPE_IN, color: 'RED' }, extra: EXTRA, byName: { far: { x: 10, y: 20 } }, scale: 2 }),
    );
    // thriftrw gives enums as their names, absent optional fields as null.
    expect(res.body).toMatchObject({ ...SHAPE_OUT, color: 'BLUE', inner: { name: 'sq', points: [{ x: 3, y: 4 }], inner: { name: 'deep', points: [] } } });
    const seen = handler.seen[handler.seen.length - 1];
    expect(seen?.method).toBe('transform');
    expect(seen?.args[0]).toBeInstanceOf(ttypes.Shape);
    expect(seen?.args[0]).toMatchObject({ ...SHAPE_IN, color: ttypes.Color.RED });
  });

  test('application headers both ways, as nh:2 (k~2 v~2)', async () => {
    const res = thriftResult(await callThrift('KeyValue::add', { a: 1, b: 2 }, { 'request-id': '9', 'ü': '✓' }));
    expect(res.head).toEqual({ 'request-id': '9', 'ü': '✓', served: 'add' });
    expect(res.headers['as']).toBe('thrift');
    expect(handler.seen[handler.seen.length - 1]?.headers).toEqual({ 'request-id': '9', 'ü': '✓' });
    const bare = await nodeClient.call({ hostPort: tsHostPort, service: TS_SERVICE, arg1: 'KeyValue::clear', arg2: Buffer.from([0, 0]), arg3: Buffer.from([0]), headers: { as: 'thrift' } });
    expect(okResult(bare).arg2.toString('hex')).toBe('0001' + '0006' + Buffer.from('served').toString('hex') + '0005' + Buffer.from('clear').toString('hex'));
  });

  test('our handler failing -> UnexpectedError frame', async () => {
    const outcome = await callThrift('KeyValue::add', { a: 1, b: 2 }, { fail: 'yes' });
    expect(outcome.error?.codeName).toBe('UnexpectedError');
    expect(outcome.error?.isErrorFrame).toBe(true);
  });

  test('an undecodable arg3 (tchannel-node raw call, as: thrift) -> BadRequest frame', async () => {
    const outcome = await nodeClient.call({ hostPort: tsHostPort, service: TS_SERVICE, arg1: 'KeyValue::get', arg2: Buffer.from([0, 0]), arg3: 'garbage', headers: { as: 'thrift' } });
    expect(outcome.error?.codeName).toBe('BadRequest');
  });

  test("Meta::health with our meta.thrift, and with tchannel-node's (health() without an argument)", async () => {
    healthChecks.length = 0;
    const first = thriftResult(await callThrift('Meta::health', { hr: {} }, undefined, META_IDL));
    expect(first.body).toMatchObject({ ok: true });
    // Our answer carries no application headers: `00 00`, which tchannel-node reads as none.
    expect(first.head).toEqual({});
    expect(thriftResult(await callThrift('Meta::health', { hr: { type: 'TRAFFIC' } }, undefined, META_IDL)).body).toMatchObject({ ok: true });
    healthy = false;
    try {
      expect(thriftResult(await callThrift('Meta::health', {}, undefined, NODE_META_IDL)).body).toMatchObject({ ok: false, message: 'draining' });
    } finally {
      healthy = true;
    }
    expect(healthChecks.map((r) => r.type)).toEqual([HealthRequestType.Process, HealthRequestType.Traffic, HealthRequestType.Process]);
  });
});

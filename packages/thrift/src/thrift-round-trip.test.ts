// Our thrift client against our thrift server, over real TChannel connections.

import {
  BadRequestError,
  BusyError,
  TChannel,
  TChannelApplicationError,
  TChannelError,
  TimeoutError,
  UnexpectedError,
  type CallResponseResult,
} from '@tchannel/core';
import Int64 = require('node-int64');
import { KeyValue, KeyValueHandler, ttypes } from '../test/keyvalue-handler';
import Blobs = require('../test/gen/keyvalue/Blobs');
import BaseService = require('../test/gen/keyvalue/BaseService');
import { decodeThriftHeaders } from './app-headers';
import { clientFor, generateMethod } from './client-for';
import { ThriftArgScheme, registerThriftService } from './thrift-arg-scheme';
import { OneWayNotSupportedError, ThriftDecodeError, ThriftEncodeError, ValueExpectedError } from './thrift-errors';
import { hex, rejectionOf } from '../test/golden';

const SERVICE = 'kv-server';
const KeyValueClient = clientFor(SERVICE, KeyValue);

const channels: TChannel[] = [];
afterEach(async () => {
  await Promise.all(channels.splice(0).map((ch) => ch.close()));
});

interface Setup {
  readonly handler: KeyValueHandler;
  readonly server: TChannel;
  readonly scheme: ThriftArgScheme;
  readonly client: TChannel;
  readonly kv: InstanceType<typeof KeyValueClient>;
  readonly hostport: string;
}

async function setup(): Promise<Setup> {
  const server = new TChannel({ name: SERVICE });
  const client = new TChannel({ name: 'kv-client' });
  channels.push(server, client);
  const handler = new KeyValueHandler();
  const scheme = registerThriftService(server, KeyValue, handler);
  const hostport = await server.listen();
  return { handler, server, scheme, client, kv: new KeyValueClient(client, hostport), hostport };
}

/** A raw call with `as: thrift`, to see or send exact bytes. */
function rawCall(s: Setup, arg1: string, arg2: Buffer | string, arg3: Buffer | string): Promise<CallResponseResult> {
  return s.client.call({ scheme: 'thrift', service: SERVICE, arg1, arg2, arg3, hostport: s.hostport, retryOn: 'n' });
}

describe('calls', () => {
  test('put, get, add, clear resolve to their results', async () => {
    const s = await setup();
    await expect(s.kv.put('greeting', 'hello')).resolves.toBeUndefined();
    await expect(s.kv.get('greeting')).resolves.toBe('hello');
    await expect(s.kv.add(40, 2)).resolves.toBe(42);
    await expect(s.kv.add(-7, 2 ** 31 - 1 + 7 - 7)).resolves.toBe(2 ** 31 - 1 - 7);
    await expect(s.kv.clear()).resolves.toBeUndefined();
    expect(s.handler.store.size).toBe(0);
  });

  test('inherited methods are served and called under the leaf service name', async () => {
    const s = await setup();
    await expect(s.kv.isHealthy()).resolves.toBe(true);
    await expect(s.kv.echo('ünï ✓')).resolves.toBe('ünï ✓');
    expect(s.handler.seen.map((c) => c.context.endpoint)).toEqual(['KeyValue::isHealthy', 'KeyValue::echo']);
    const endpoints = s.server.dispatcher.endpoints();
    expect(endpoints).toEqual(
      expect.arrayContaining(['KeyValue::get', 'KeyValue::put', 'KeyValue::add', 'KeyValue::clear', 'KeyValue::transform', 'KeyValue::isHealthy', 'KeyValue::echo', 'Meta::health']),
    );
    expect(endpoints).not.toContain('BaseService::isHealthy');
    expect(endpoints).not.toContain('KeyValue::notify');
  });

  test('structs, lists, maps, sets, enums, bools and nested structs round-trip', async () => {
    const s = await setup();
    const shape = new ttypes.Shape({
      name: 'tri',
      points: [new ttypes.Point({ x: 0, y: 0 }), new ttypes.Point({ x: 1.5, y: -2 })],
      counts: { a: 1, 'ü': -5 },
      tags: ['x', 'y'],
      color: ttypes.Color.RED,
      filled: true,
    });
    // Plain objects are accepted where the generated code expects struct instances.
    const extra = [{ name: 'sq', points: [{ x: 3, y: 4 }], inner: { name: 'deep', points: [] } }] as ttypes.Shape[];
    const result = await s.kv.transform(shape, extra, { far: new ttypes.Point({ x: 10, y: 20 }) }, 2);
    expect(result).toBeInstanceOf(ttypes.Shape);
    expect(result).toMatchObject({
      name: 'tri*2',
      points: [
        { x: 0, y: 0 },
        { x: 3, y: -4 },
        { x: 20, y: 40 },
      ],
      counts: { points: 3, extra: 1, a: 1, 'ü': -5 },
      tags: ['x', 'y', 'sq'],
      color: ttypes.Color.BLUE,
      filled: false,
      inner: { name: 'sq', points: [{ x: 3, y: 4 }], inner: { name: 'deep', points: [] } },
    });
    const seen = s.handler.seen[0];
    expect(seen?.args[0]).toBeInstanceOf(ttypes.Shape);
    expect(seen?.args[3]).toBe(2);
  });

  test('i64 (node-int64), binary and i8/i16 round-trip', async () => {
    const s = await setup();
    const blobs = new Map<string, ttypes.Blob>();
    s.scheme.register(Blobs, {
      roundTrip(blob) {
        return blob;
      },
      find(id) {
        const found = blobs.get(id.toOctetString());
        if (found === undefined) throw new ttypes.KeyNotFound({ key: id.toOctetString() });
        return found;
      },
    });
    const blob = new ttypes.Blob({
      id: new Int64('7fffffffffffff01'),
      data: Buffer.from([0, 1, 2, 0xfe, 0xff]),
      more: [new Int64(-1), new Int64(2 ** 40)],
      small: -128,
      medium: 32767,
    });
    blobs.set(blob.id.toOctetString(), blob);
    const client = new (clientFor(SERVICE, Blobs))(s.client, s.hostport);
    const back = await client.roundTrip(blob);
    expect(back.id.toOctetString()).toBe('7fffffffffffff01');
    expect(back.data).toEqual(Buffer.from([0, 1, 2, 0xfe, 0xff]));
    expect(back.more?.map((i) => i.toNumber(true))).toEqual([-1, 2 ** 40]);
    expect(back.small).toBe(-128);
    expect(back.medium).toBe(32767);
    await expect(client.find(new Int64('7fffffffffffff01'))).resolves.toMatchObject({ medium: 32767 });
    await expect(client.find(new Int64(5))).rejects.toBeInstanceOf(ttypes.KeyNotFound);
  });

  test('calls go through channel.call with the call options', async () => {
    const s = await setup();
    const call = jest.spyOn(s.client, 'call');
    const signal = new AbortController().signal;
    await s.kv.add(1, 2, { timeout: 1234, retryOn: 'n', retryLimit: 0, signal, transportHeaders: { sk: 'shard-key' } });
    expect(call).toHaveBeenCalledTimes(1);
    expect(call.mock.calls[0]?.[0]).toMatchObject({
      scheme: 'thrift',
      service: SERVICE,
      arg1: 'KeyValue::add',
      hostport: s.hostport,
      timeout: 1234,
      retryOn: 'n',
      retryLimit: 0,
      signal,
      headers: { sk: 'shard-key' },
    });
    expect(s.handler.seen[0]?.context.request.transportHeaders['sk']).toBe('shard-key');
  });

  test('timeouts apply: a slow handler rejects with TimeoutError', async () => {
    const s = await setup();
    const slow = async (a: number, b: number): Promise<number> => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return a + b;
    };
    s.handler.add = slow as unknown as KeyValueHandler['add'];
    await expect(s.kv.add(1, 1, { timeout: 50 })).rejects.toBeInstanceOf(TimeoutError);
  });

  test('a client without hostport uses the channel known peers; the hostport option overrides', async () => {
    const s = await setup();
    const viaPeers = new TChannel({ name: 'peers-client', knownPeers: [s.hostport] });
    channels.push(viaPeers);
    await expect(new KeyValueClient(viaPeers).add(2, 3)).resolves.toBe(5);
    await expect(new KeyValueClient(s.client, '127.0.0.1:1').add(2, 3, { hostport: s.hostport })).resolves.toBe(5);
  });
});

describe('application headers', () => {
  test('go both ways; withHeaders resolves to the result with the response headers', async () => {
    const s = await setup();
    s.handler.store.set('k', 'v');
    const res = await s.kv.withHeaders.get('k', { headers: { 'request-id': '42', 'ü': '✓' } });
    expect(res.result).toBe('v');
    expect({ ...res.headers }).toEqual({ 'request-id': '42', 'ü': '✓', served: 'get' });
    expect(Object.getPrototypeOf(res.headers)).toBeNull();
    expect(res.transportHeaders['as']).toBe('thrift');
    expect(res.hostPort).toBe(s.hostport);
    expect({ ...s.handler.seen[0]?.context.headers }).toEqual({ 'request-id': '42', 'ü': '✓' });
  });

  test('a void result with headers', async () => {
    const s = await setup();
    const res = await s.kv.withHeaders.clear({ headers: { a: 'b' } });
    expect(res.result).toBeUndefined();
    expect({ ...res.headers }).toEqual({ a: 'b', served: 'clear' });
  });

  test('core request.getHeader() decodes thrift headers once the scheme is registered', async () => {
    const s = await setup();
    let seen: unknown;
    s.server.register(
      'Raw::headers',
      async (request) => {
        seen = await request.getHeader();
        return { arg2: Buffer.from('0000', 'hex'), arg3: Buffer.from([0]) };
      },
      { scheme: 'thrift' },
    );
    await rawCall(s, 'Raw::headers', hex('0001 0001 61 0001 62'), Buffer.from([0]));
    expect({ ...(seen as object) }).toEqual({ a: 'b' });
  });

  test('a non-string header value is a ThriftEncodeError before sending', async () => {
    const s = await setup();
    const call = jest.spyOn(s.client, 'call');
    const err = await rejectionOf(s.kv.add(1, 2, { headers: { n: 1 as unknown as string } }));
    expect(err).toBeInstanceOf(ThriftEncodeError);
    expect(call).not.toHaveBeenCalled();
  });
});

describe('wire bytes', () => {
  test('request: arg1 Service::method, arg2 `00 00`, arg3 the bare _args struct; response: the bare _result struct', async () => {
    const s = await setup();
    const seen: Array<{ arg1: string; arg2: string; arg3: string; as: string | undefined }> = [];
    s.server.register(
      'Wire::add',
      (request) => {
        seen.push({ arg1: request.endpoint, arg2: request.arg2.toString('hex'), arg3: request.arg3.toString('hex'), as: request.transportHeaders['as'] });
        return {
          arg2: hex('0000'),
          arg3: hex(`
            08 0000 0000002a  // field 0 (success), i32: 42
            00                // stop
          `),
        };
      },
      { scheme: 'thrift' },
    );
    const WireClient = clientFor(SERVICE, KeyValue, 'Wire');
    await expect(new WireClient(s.client, s.hostport).add(1, 2, { headers: {} })).resolves.toBe(42);
    expect(seen).toEqual([
      {
        arg1: 'Wire::add',
        arg2: '0000',
        arg3: hex(`
          08 0001 00000001  // field 1 (a), i32: 1
          08 0002 00000002  // field 2 (b), i32: 2
          00                // stop
        `).toString('hex'),
        as: 'thrift',
      },
    ]);
  });

  test.each<[string, string, Buffer, Buffer]>([
    ['a value', 'add', hex('08 0001 00000002  08 0002 00000003  00'), hex('08 0000 00000005 00')],
    ['void: an empty struct', 'clear', hex('00'), hex('00')],
    ['a declared exception: field 1 set, code 1', 'get', hex('0b 0001 00000001 6b 00'), hex('0c 0001  0b 0001 00000001 6b  00  00')],
  ])('response arg3 for %s', async (_name, method, arg3, expected) => {
    const s = await setup();
    const res = await rawCall(s, `KeyValue::${method}`, hex('0000'), arg3);
    expect(res.arg3.toString('hex')).toBe(expected.toString('hex'));
    expect(res.code).toBe(method === 'get' ? 1 : 0);
    expect({ ...decodeThriftHeaders(res.arg2) }).toEqual({ served: method });
  });
});

describe('declared exceptions', () => {
  test('reject with the generated exception class, fields set', async () => {
    const s = await setup();
    const err = await rejectionOf(s.kv.get('missing'));
    expect(err).toBeInstanceOf(ttypes.KeyNotFound);
    expect((err as ttypes.KeyNotFound).key).toBe('missing');
  });

  test('of a void method', async () => {
    const s = await setup();
    const err = await rejectionOf(s.kv.put('k', ''));
    expect(err).toBeInstanceOf(ttypes.InvalidValue);
    expect(err).toMatchObject({ message: 'empty value for k', code: 400 });
  });

  test('an exception not declared by the method is an unexpected error', async () => {
    const s = await setup();
    s.handler.add = () => {
      throw new ttypes.KeyNotFound({ key: 'not declared by add' });
    };
    await expect(s.kv.add(1, 2)).rejects.toBeInstanceOf(UnexpectedError);
  });
});

describe('handler failures', () => {
  test('any other error is an unexpected error frame with its message', async () => {
    const s = await setup();
    s.handler.add = () => {
      throw new Error('kaboom');
    };
    const err = await rejectionOf(s.kv.add(1, 2, { retryOn: 'n' }));
    expect(err).toBeInstanceOf(UnexpectedError);
    expect((err as Error).message).toContain('kaboom');
  });

  test('a TChannelError keeps its code', async () => {
    const s = await setup();
    s.handler.add = () => {
      throw new BusyError('too busy');
    };
    await expect(s.kv.add(1, 2, { retryOn: 'n' })).rejects.toBeInstanceOf(BusyError);
  });

  test('a result the generated code cannot write is an unexpected error', async () => {
    const s = await setup();
    s.handler.transform = () => ({ name: 'no points' }) as ttypes.Shape;
    const err = await rejectionOf(s.kv.transform(new ttypes.Shape({ name: 'x', points: [] }), [], {}, 1));
    expect(err).toBeInstanceOf(UnexpectedError);
    expect((err as Error).message).toContain('cannot encode the result of KeyValue::transform');
  });

  test('throwing undefined is an unexpected error', async () => {
    const s = await setup();
    s.handler.add = () => {
      throw undefined;
    };
    await expect(s.kv.add(1, 2)).rejects.toBeInstanceOf(UnexpectedError);
  });
});

describe('bad requests', () => {
  test.each<[string, Buffer, Buffer]>([
    ['arg3 is not a struct', hex('0000'), Buffer.from('garbage!')],
    ['arg3 is truncated', hex('0000'), hex('0b 0001 00000005 6b')],
    ['arg3 has bytes after the struct', hex('0000'), hex('00 00')],
    ['arg3 is empty', hex('0000'), Buffer.alloc(0)],
    ['arg2 is truncated', hex('0001 00'), hex('00')],
  ])('%s -> BadRequestError, the handler does not run', async (_name, arg2, arg3) => {
    const s = await setup();
    const err = await rejectionOf(rawCall(s, 'KeyValue::get', arg2, arg3));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toMatch(/cannot be decoded/);
    expect(s.handler.seen).toEqual([]);
  });

  test('another arg scheme -> BadRequestError', async () => {
    const s = await setup();
    const err = await rejectionOf(s.client.call({ scheme: 'raw', service: SERVICE, arg1: 'KeyValue::clear', arg2: hex('0000'), arg3: hex('00'), hostport: s.hostport }));
    expect(err).toBeInstanceOf(BadRequestError);
  });
});

describe('results without a value', () => {
  async function handBuilt(arg3: Buffer, code = 0): Promise<unknown> {
    const s = await setup();
    s.server.register('Hand::add', () => ({ code, arg2: hex('0000'), arg3 }), { scheme: 'thrift' });
    const client = new (clientFor(SERVICE, KeyValue, 'Hand'))(s.client, s.hostport);
    return rejectionOf(client.add(1, 2));
  }

  test('a non-void method answered with an empty _result struct -> ValueExpectedError', async () => {
    const err = await handBuilt(hex('00'));
    expect(err).toBeInstanceOf(ValueExpectedError);
    expect(err).toBeInstanceOf(TChannelError);
    expect((err as Error).message).toContain('Hand::add returns a value but the result struct has none');
  });

  test('field 0 of the wrong type is skipped, so no value either -> ValueExpectedError', async () => {
    await expect(handBuilt(hex('0b 0000 00000001 78 00'))).resolves.toBeInstanceOf(ValueExpectedError);
  });

  test('code 1 without a declared exception -> TChannelApplicationError with the raw arg3', async () => {
    const err = await handBuilt(hex('0c 0009 00 00'), 1);
    expect(err).toBeInstanceOf(TChannelApplicationError);
    expect((err as TChannelApplicationError).responseCode).toBe(1);
    expect((err as TChannelApplicationError).body).toEqual(hex('0c 0009 00 00'));
  });

  test('an undecodable response -> ThriftDecodeError', async () => {
    const err = await handBuilt(hex('08 0000 0000'));
    expect(err).toBeInstanceOf(ThriftDecodeError);
    expect((err as ThriftDecodeError).arg).toBe('arg3');
  });
});

describe('oneway methods', () => {
  test('a client method rejects with OneWayNotSupportedError without sending', async () => {
    const s = await setup();
    const call = jest.spyOn(s.client, 'call');
    const err = await rejectionOf(s.kv.notify('event'));
    expect(err).toBeInstanceOf(OneWayNotSupportedError);
    expect(err).toBeInstanceOf(TChannelError);
    expect(call).not.toHaveBeenCalled();
  });

  test('generateMethod throws OneWayNotSupportedError', () => {
    expect(() => generateMethod(KeyValue, 'KeyValue', 'notify')).toThrow(OneWayNotSupportedError);
  });

  test('servers do not register them: a call from elsewhere is a bad request', async () => {
    const s = await setup();
    await expect(rawCall(s, 'KeyValue::notify', hex('0000'), hex('00'))).rejects.toBeInstanceOf(BadRequestError);
    expect(s.handler.seen).toEqual([]);
  });
});

describe('clientFor and generateMethod', () => {
  test('the Thrift service name comes from the generated code, or is given', () => {
    expect(KeyValueClient.thriftService).toBe('KeyValue');
    expect(KeyValueClient.service).toBe(SERVICE);
    expect(KeyValueClient.name).toBe('KeyValueClient');
    expect(clientFor(SERVICE, BaseService).thriftService).toBe('BaseService');
    expect(clientFor(SERVICE, KeyValue, 'Other').thriftService).toBe('Other');
  });

  test('a service registered under another name is called with that name', async () => {
    const s = await setup();
    s.scheme.register(KeyValue, s.handler, { serviceName: 'Renamed' });
    const client = new (clientFor(SERVICE, KeyValue, 'Renamed'))(s.client, s.hostport);
    await expect(client.add(3, 4)).resolves.toBe(7);
    expect(s.handler.seen[0]?.context.endpoint).toBe('Renamed::add');
  });

  test('generateMethod makes one method taking the call target', async () => {
    const s = await setup();
    const add = generateMethod(KeyValue, 'KeyValue', 'add');
    expect(add.endpoint).toBe('KeyValue::add');
    await expect(add({ channel: s.client, service: SERVICE, hostport: s.hostport }, 5, 6)).resolves.toBe(11);
    const res = await add.withHeaders({ channel: s.client, service: SERVICE }, 5, 6, { hostport: s.hostport, headers: { h: '1' } });
    expect(res.result).toBe(11);
    expect(res.headers['h']).toBe('1');
  });

  test('generateMethod of an unknown method throws', () => {
    expect(() => generateMethod(KeyValue, 'KeyValue', 'nope' as 'add')).toThrow(/no method "nope"/);
  });

  test('arguments the generated code cannot write are a ThriftEncodeError before sending', async () => {
    const s = await setup();
    const call = jest.spyOn(s.client, 'call');
    // Shape.name is required: the generated constructor throws.
    const err = await rejectionOf(s.kv.transform({} as ttypes.Shape, [], {}, 1));
    expect(err).toBeInstanceOf(ThriftEncodeError);
    expect((err as Error).message).toContain('KeyValue::transform');
    expect(call).not.toHaveBeenCalled();
  });

  test('too many arguments, or options that are not an object, are a ThriftEncodeError', async () => {
    const s = await setup();
    const add = s.kv.add as (...args: unknown[]) => Promise<number>;
    await expect(add.call(s.kv, 1, 2, {}, 'extra')).rejects.toBeInstanceOf(ThriftEncodeError);
    await expect(add.call(s.kv, 1, 2, 'options')).rejects.toBeInstanceOf(ThriftEncodeError);
    await expect(add(1, 2)).rejects.toThrow(/without its client/);
  });

  test('a module that is not generated Thrift code is refused', () => {
    expect(() => clientFor(SERVICE, {} as typeof KeyValue)).toThrow(/not a Thrift service module/);
  });

  test('methods are typed from the generated .d.ts', () => {
    // Compile-time checks (the typecheck task fails if an expectation below is wrong).
    const typed = async (kv: Setup['kv']): Promise<void> => {
      const value: string = await kv.get('k');
      const sum: number = await kv.add(1, 2, { timeout: 10 });
      const nothing: void = await kv.clear();
      const shape: ttypes.Shape = await kv.transform(new ttypes.Shape({ name: 'n', points: [] }), [], {}, 1);
      const { result, headers } = await kv.withHeaders.echo('x');
      // @ts-expect-error get takes a string
      await kv.get(1);
      // @ts-expect-error add takes two numbers
      await kv.add(1);
      // @ts-expect-error the options come after the arguments
      await kv.add({ timeout: 1 }, 1, 2);
      // @ts-expect-error no such method
      await kv.nope();
      void [value, sum, nothing, shape, result satisfies string, headers satisfies Record<string, string>];
    };
    expect(typeof typed).toBe('function');
  });
});

describe('serving', () => {
  test('a handler without a method is refused at registration (oneway methods may be left out)', async () => {
    const channel = new TChannel({ name: 'x' });
    channels.push(channel);
    const partial = { ...Object.fromEntries(['get', 'put', 'add', 'clear', 'transform', 'isHealthy', 'echo'].map((m) => [m, () => undefined])) };
    expect(() => registerThriftService(channel, KeyValue, partial as unknown as KeyValueHandler)).not.toThrow();
    const { get: _get, ...withoutGet } = partial;
    expect(() => registerThriftService(channel, KeyValue, withoutGet as unknown as KeyValueHandler)).toThrow(/lacks get/);
  });

  test('ThriftArgScheme.of returns the channel scheme; a second scheme is refused', () => {
    const channel = new TChannel({ name: 'x' });
    channels.push(channel);
    const scheme = ThriftArgScheme.of(channel);
    expect(ThriftArgScheme.of(channel)).toBe(scheme);
    expect(registerThriftService(channel, KeyValue, new KeyValueHandler())).toBe(scheme);
    expect(channel.schemes.get('thrift')).toBe(scheme);
    expect(() => new ThriftArgScheme(channel)).toThrow(TChannelError);
  });

  test('the handler context: service, endpoint, method, signal, request', async () => {
    const s = await setup();
    await s.kv.add(1, 2, { timeout: 5000 });
    const context = s.handler.seen[0]?.context;
    expect(context).toMatchObject({ service: SERVICE, endpoint: 'KeyValue::add', method: 'add' });
    expect(context?.signal).toBeInstanceOf(AbortSignal);
    expect(context?.request.callerName).toBe('kv-client');
    expect(context?.request.timeout).toBeLessThanOrEqual(5000);
  });
});

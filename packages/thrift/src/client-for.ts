import { TChannelError, type TChannel } from '@tchannel/core';
import { describeService } from './service-module';
import type { ThriftMethodArgs, ThriftMethodName, ThriftMethodResult, ThriftServiceModule } from './service-types';
import { callThrift, type ThriftCallOptions, type ThriftCallTarget, type ThriftResponse } from './thrift-call';
import { OneWayNotSupportedError } from './thrift-errors';

/** What a client method takes: the method's arguments, then optionally ThriftCallOptions. */
export type ThriftCallArgs<M extends ThriftServiceModule, K extends ThriftMethodName<M>> = [
  ...ThriftMethodArgs<M, K>,
  options?: ThriftCallOptions,
];

/** The methods of a service, each resolving to its result. */
export type ThriftClientMethods<M extends ThriftServiceModule> = {
  readonly [K in ThriftMethodName<M>]: (...args: ThriftCallArgs<M, K>) => Promise<ThriftMethodResult<M, K>>;
};

/** The methods of a service, each resolving to its result with the response's headers. */
export type ThriftClientMethodsWithHeaders<M extends ThriftServiceModule> = {
  readonly [K in ThriftMethodName<M>]: (...args: ThriftCallArgs<M, K>) => Promise<ThriftResponse<ThriftMethodResult<M, K>>>;
};

/** An instance of a class made by clientFor. */
export type ThriftClient<M extends ThriftServiceModule> = ThriftClientMethods<M> & {
  /** The same methods, resolving to `{ result, headers, transportHeaders, hostPort }`. */
  readonly withHeaders: ThriftClientMethodsWithHeaders<M>;
};

/** A client class made by clientFor. */
export interface ThriftClientClass<M extends ThriftServiceModule> {
  /**
   * @param channel the channel calls go through
   * @param hostport call this peer; without it, calls go to the channel's known peers
   */
  new (channel: TChannel, hostport?: string): ThriftClient<M>;
  /** The TChannel service the client calls. */
  readonly service: string;
  /** The Thrift service name: arg1 is `<thriftService>::<method>`. */
  readonly thriftService: string;
}

/** A method made by generateMethod: the call target first, then the method's arguments. */
export interface ThriftMethod<M extends ThriftServiceModule, K extends ThriftMethodName<M>> {
  (target: ThriftCallTarget, ...args: ThriftCallArgs<M, K>): Promise<ThriftMethodResult<M, K>>;
  /** The same call, resolving to `{ result, headers, transportHeaders, hostPort }`. */
  withHeaders(target: ThriftCallTarget, ...args: ThriftCallArgs<M, K>): Promise<ThriftResponse<ThriftMethodResult<M, K>>>;
  /** arg1 of its calls: `<Service>::<method>`. */
  readonly endpoint: string;
}

/** Names a client class uses itself, so a Thrift method cannot have them. */
const RESERVED = new Set(['constructor', 'withHeaders']);

/**
 * Builds a client class for a Thrift service (tchannel-python's `client_for`). Instances take a
 * channel and optionally a peer, and have one method per Thrift method (inherited ones too), typed
 * from the generated `.d.ts`: the method's arguments, then optional ThriftCallOptions (`headers`,
 * `timeout`, `retryOn`, `retryLimit`, `signal`, `hostport`...), resolving to its result.
 * `client.withHeaders.<method>(...)` resolves to the result with the response's headers.
 *
 * Calls go through `channel.call` with `as: thrift`, arg1 `<ThriftService>::<method>`. A declared
 * exception rejects with the generated exception class's instance; see callThrift for the rest.
 *
 * @param service the TChannel service to call (as registered with Hyperbahn, or any name for direct calls)
 * @param serviceModule the module `thrift --gen js:node,ts` generated for the service
 * @param thriftServiceName the Thrift service name; by default read from the generated code
 * @throws TChannelError if `serviceModule` is not a generated service module, or a method is named
 *   `withHeaders` or `constructor`
 *
 * @example
 * import KeyValue = require('./gen/KeyValue');
 * const KeyValueClient = clientFor('keyvalue', KeyValue);
 * const kv = new KeyValueClient(channel, '127.0.0.1:4040');
 * await kv.put('k', 'v', { headers: { 'request-id': '1' }, timeout: 500 });
 * const value = await kv.get('k'); // string
 */
export function clientFor<M extends ThriftServiceModule>(service: string, serviceModule: M, thriftServiceName?: string): ThriftClientClass<M> {
  const description = describeService(serviceModule, thriftServiceName);
  for (const name of description.methods.keys()) {
    if (RESERVED.has(name)) throw new TChannelError(`clientFor: the Thrift method "${name}" of ${description.name} clashes with the client's own "${name}"`);
  }
  const targets = new WeakMap<object, ThriftCallTarget>();
  const views = new WeakMap<object, Record<string, unknown>>();
  const targetOf = (client: object): ThriftCallTarget => {
    const target = targets.get(client);
    if (target === undefined) throw new TChannelError(`a ${description.name} client method was called without its client as \`this\``);
    return target;
  };

  class ThriftServiceClient {
    static readonly service = service;
    static readonly thriftService = description.name;

    constructor(channel: TChannel, hostport?: string) {
      if (typeof channel?.call !== 'function') throw new TChannelError(`a ${description.name} client needs a TChannel`);
      targets.set(this, { channel, service, ...(hostport === undefined ? {} : { hostport }) });
    }

    get withHeaders(): Record<string, unknown> {
      let view = views.get(this);
      if (view === undefined) {
        const target = targetOf(this);
        view = Object.create(null) as Record<string, unknown>;
        for (const method of description.methods.values()) {
          view[method.name] = (...args: unknown[]) => callThrift(target, description, method, args);
        }
        views.set(this, Object.freeze(view));
      }
      return view;
    }
  }
  Object.defineProperty(ThriftServiceClient, 'name', { value: `${description.name}Client` });
  for (const method of description.methods.values()) {
    Object.defineProperty(ThriftServiceClient.prototype, method.name, {
      value: async function call(this: object, ...args: unknown[]): Promise<unknown> {
        return (await callThrift(targetOf(this), description, method, args)).result;
      },
      writable: true,
      configurable: true,
    });
  }
  return ThriftServiceClient as unknown as ThriftClientClass<M>;
}

/**
 * Makes one method of a Thrift service (tchannel-python's `generate_method`), as a function taking
 * the call target (`{ channel, service, hostport? }`) and then the method's arguments and optional
 * ThriftCallOptions.
 *
 * @param serviceModule the module `thrift --gen js:node,ts` generated for the service
 * @param serviceName the Thrift service name (arg1 is `<serviceName>::<methodName>`)
 * @param methodName the method, inherited ones included
 * @throws TChannelError if the module has no such method
 * @throws OneWayNotSupportedError if the method is `oneway`
 *
 * @example
 * const get = generateMethod(KeyValue, 'KeyValue', 'get');
 * const value = await get({ channel, service: 'keyvalue', hostport }, 'k');
 */
export function generateMethod<M extends ThriftServiceModule, K extends ThriftMethodName<M>>(
  serviceModule: M,
  serviceName: string,
  methodName: K,
): ThriftMethod<M, K> {
  const description = describeService(serviceModule, serviceName);
  const method = description.methods.get(methodName);
  if (method === undefined) throw new TChannelError(`the Thrift service ${serviceName} has no method "${methodName}"`);
  const endpoint = `${serviceName}::${methodName}`;
  if (method.oneway) throw new OneWayNotSupportedError(`${endpoint} is oneway: the thrift scheme of TChannel has no oneway calls`);
  const withHeaders = (target: ThriftCallTarget, ...args: unknown[]): Promise<ThriftResponse<unknown>> => callThrift(target, description, method, args);
  const call = async (target: ThriftCallTarget, ...args: unknown[]): Promise<unknown> => (await withHeaders(target, ...args)).result;
  return Object.assign(call, { withHeaders, endpoint }) as unknown as ThriftMethod<M, K>;
}

import { BadRequestError, type ArgScheme, type TChannel } from '@tchannel/core';
import { decodeThriftHeaders } from './app-headers';
import Meta = require('./gen/meta/Meta');
import { META_SERVICE, metaHandler, type HealthCheck } from './health';
import { describeService } from './service-module';
import type { ThriftServiceModule } from './service-types';
import { THRIFT_SCHEME, messageOf } from './thrift-call';
import type { ThriftHeaders } from './thrift-errors';
import { registerService, type ThriftHandler, type ThriftRegisterOptions } from './thrift-server';

/**
 * The thrift arg scheme (uber/tchannel docs/thrift.md) on one channel: arg1 `<Service>::<method>`,
 * arg2 application headers `nh:2 (k~2 v~2)`, arg3 a bare TBinaryProtocol struct (the method's
 * `_args` on a request, its `_result` on a response).
 *
 * Constructing it registers it on the channel (so core's `request.getHeader()` decodes thrift
 * headers for `as: thrift` requests) and serves Meta::health there, answering `{ ok: true }` until
 * the application sets a health check. Clients come from clientFor, which needs no scheme object.
 *
 * @example
 * const thrift = new ThriftArgScheme(channel);
 * thrift.register(KeyValue, {
 *   async get(key, context) { return store.get(key) ?? Promise.reject(new KeyNotFound({ key })); },
 *   ...
 * });
 * thrift.setHealthCheck(() => (warmedUp ? { ok: true } : { ok: false, message: 'warming up' }));
 */
export class ThriftArgScheme implements ArgScheme {
  readonly name = THRIFT_SCHEME;
  private healthCheck: HealthCheck | undefined;

  /** @throws TChannelError if another `thrift` scheme is already registered on the channel. */
  constructor(readonly channel: TChannel) {
    channel.schemes.register(this);
    this.register(Meta, metaHandler(() => this.healthCheck), { serviceName: META_SERVICE });
  }

  /** The channel's ThriftArgScheme, constructed (and registered) if it has none yet. */
  static of(channel: TChannel): ThriftArgScheme {
    const existing = channel.schemes.find(THRIFT_SCHEME);
    return existing instanceof ThriftArgScheme ? existing : new ThriftArgScheme(channel);
  }

  /**
   * Serves a Thrift service: each of its methods (inherited ones too, `oneway` ones excepted) is
   * registered as `<Service>::<method>` for `as: thrift` requests, the leaf service's name for
   * inherited methods. A request whose arg2 or arg3 cannot be decoded is answered bad request
   * without running the handler. Registering an endpoint again replaces its handler.
   * @param serviceModule the module `thrift --gen js:node,ts` generated for the service
   * @param handler the implementation (see ThriftHandler)
   * @throws TChannelError if the handler lacks a method or the module is not a generated service
   */
  register<M extends ThriftServiceModule>(serviceModule: M, handler: ThriftHandler<M>, options: ThriftRegisterOptions = {}): this {
    registerService(this.channel, describeService(serviceModule, options.serviceName), handler);
    return this;
  }

  /**
   * Sets the hook Meta::health answers with (`undefined`: always `{ ok: true }`). It is called on
   * every Meta::health request with the request type (process or traffic).
   */
  setHealthCheck(check: HealthCheck | undefined): this {
    this.healthCheck = check;
    return this;
  }

  /**
   * arg2 of an `as: thrift` request as a null-prototype object of strings (for `request.getHeader()`).
   * @throws BadRequestError if it is not `nh:2 (k~2 v~2)`
   */
  decodeHeaders(arg2: Buffer): ThriftHeaders {
    try {
      return decodeThriftHeaders(arg2);
    } catch (err) {
      throw new BadRequestError(messageOf(err), { cause: err });
    }
  }
}

/**
 * Serves a Thrift service on a channel in one call: `ThriftArgScheme.of(channel).register(...)`.
 * The channel gets the thrift scheme (and Meta::health) if it has none yet, which is returned.
 * @throws TChannelError if the handler lacks a method or the module is not a generated service
 */
export function registerThriftService<M extends ThriftServiceModule>(
  channel: TChannel,
  serviceModule: M,
  handler: ThriftHandler<M>,
  options: ThriftRegisterOptions = {},
): ThriftArgScheme {
  return ThriftArgScheme.of(channel).register(serviceModule, handler, options);
}

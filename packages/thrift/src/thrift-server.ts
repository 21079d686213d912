import { BadRequestError, TChannelError, type HandlerResult, type Request, type TChannel } from '@tchannel/core';
import { decodeThriftHeaders, encodeThriftHeaders } from './app-headers';
import { decodeCall, type MethodDescription, type ServiceDescription } from './service-module';
import type { ThriftMethodArgs, ThriftMethodName, ThriftMethodResult, ThriftServiceModule } from './service-types';
import { THRIFT_SCHEME, messageOf } from './thrift-call';
import type { ThriftHeaders } from './thrift-errors';

/** What a thrift handler method receives after the method's arguments. */
export interface ThriftContext {
  /** The TChannel service called (call req `service~1`). */
  readonly service: string;
  /** arg1: `<Service>::<method>`. */
  readonly endpoint: string;
  /** The Thrift method. */
  readonly method: string;
  /** Application headers of the request (arg2), as a null-prototype object. */
  readonly headers: Readonly<ThriftHeaders>;
  /** Application headers to answer with (arg2 of the response): set entries in it. */
  readonly responseHeaders: ThriftHeaders;
  /** Aborted when the caller cancels, the deadline passes or the connection closes. */
  readonly signal: AbortSignal;
  /** The core request: caller name, tracing, deadline (`timeLeft`), transport headers, raw args. */
  readonly request: Request;
}

/**
 * An implementation of a Thrift service: one method per Thrift method (inherited ones included),
 * taking the method's arguments and a ThriftContext, returning the result or a Promise of it.
 *
 * Throwing an instance of one of the method's declared exception classes answers it (call res
 * code 1, the exception's field set in the `_result` struct). Throwing anything else answers an
 * error frame: a TChannelError's code, otherwise unexpected error (0x05).
 *
 * `oneway` methods are not served (TChannel's thrift scheme has no one-way calls): their
 * implementation is never called and may be left out at run time, though this type asks for one
 * (the generated `.d.ts` does not tell them from void methods).
 */
export type ThriftHandler<M extends ThriftServiceModule> = {
  readonly [K in ThriftMethodName<M>]: (
    ...args: [...ThriftMethodArgs<M, K>, context: ThriftContext]
  ) => ThriftMethodResult<M, K> | Promise<ThriftMethodResult<M, K>>;
};

/** Options of registering a Thrift service. */
export interface ThriftRegisterOptions {
  /** The Thrift service name endpoints are registered under; by default read from the generated code. */
  readonly serviceName?: string;
}

type HandlerMethod = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Registers every method of a service but `oneway` ones on the channel as `<Service>::<method>`,
 * for `as: thrift` requests only.
 * @throws TChannelError if the handler lacks a method
 */
export function registerService(channel: TChannel, service: ServiceDescription, handler: object): void {
  const served = [...service.methods.values()].filter((method) => !method.oneway);
  const missing = served.filter((method) => typeof (handler as Record<string, unknown>)[method.name] !== 'function');
  if (missing.length > 0) {
    throw new TChannelError(`the handler for the Thrift service ${service.name} lacks ${missing.map((method) => method.name).join(', ')}`);
  }
  for (const method of served) {
    channel.register(`${service.name}::${method.name}`, (request) => serveMethod(service, method, handler, request), { scheme: THRIFT_SCHEME });
  }
}

async function serveMethod(service: ServiceDescription, method: MethodDescription, handler: object, request: Request): Promise<HandlerResult> {
  const endpoint = request.endpoint;
  // Both args are decoded before the handler runs: a malformed request is the caller's fault.
  const headers = decodeRequestArg(request, 'arg2', () => decodeThriftHeaders(request.arg2));
  const call = decodeRequestArg(request, 'arg3', () => decodeCall(service, method, request.arg3));
  const responseHeaders = Object.create(null) as ThriftHeaders;
  const context: ThriftContext = {
    service: request.service,
    endpoint,
    method: method.name,
    headers,
    responseHeaders,
    // A getter: the request creates its AbortSignal on first use only.
    get signal() {
      return request.signal;
    },
    request,
  };
  let outcome: { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };
  try {
    // Looked up on each call, as the generated Processor does: the handler may replace a method.
    const implementation = (handler as Record<string, HandlerMethod>)[method.name] as HandlerMethod;
    outcome = { ok: true, value: await implementation.apply(handler, [...call.args, context]) };
  } catch (error) {
    if (error === null || error === undefined) throw new Error(`the handler of ${endpoint} threw ${String(error)}`);
    outcome = { ok: false, error };
  }
  let answer: { readonly declared: boolean; readonly arg3: Buffer };
  try {
    answer = call.answer(outcome);
  } catch (err) {
    throw new Error(`cannot encode the ${outcome.ok ? 'result' : 'exception'} of ${endpoint}: ${messageOf(err)}`, { cause: err });
  }
  // Not a declared exception: the generated code wrote a TApplicationException, which the thrift
  // scheme does not carry; the error itself becomes the error frame (docs/thrift.md, "Uncaught
  // Exceptions").
  if (!answer.declared && !outcome.ok) throw outcome.error;
  return { code: outcome.ok ? 0 : 1, arg2: encodeThriftHeaders(responseHeaders), arg3: answer.arg3 };
}

function decodeRequestArg<T>(request: Request, arg: 'arg2' | 'arg3', decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new BadRequestError(`thrift ${arg} of the request to endpoint "${request.endpoint}" cannot be decoded: ${messageOf(err)}`, {
      cause: err,
      service: request.service,
      endpoint: request.endpoint,
    });
  }
}

import { TChannelApplicationError, TChannelError, type CallOptions, type Headers, type TChannel } from '@tchannel/core';
import { decodeThriftHeaders, encodeThriftHeaders } from './app-headers';
import { decodeResult, encodeArgs, type MethodDescription, type ServiceDescription } from './service-module';
import { OneWayNotSupportedError, ThriftDecodeError, ThriftEncodeError, ValueExpectedError, type ThriftHeaders } from './thrift-errors';

/** The `as` value of the thrift scheme. */
export const THRIFT_SCHEME = 'thrift';

/**
 * The optional last argument of a thrift client method: application headers and every option of
 * `channel.call()` (the call goes through it, so deadlines, retries and tracing apply).
 */
export interface ThriftCallOptions extends Omit<CallOptions, 'scheme' | 'service' | 'arg1' | 'arg2' | 'arg3' | 'headers'> {
  /** Application headers (arg2, `nh:2 (k~2 v~2)`); none is sent as `00 00`. */
  readonly headers?: Readonly<ThriftHeaders>;
  /** Extra transport headers (`sk`, `rd`...). */
  readonly transportHeaders?: Headers;
}

/** A thrift call's result with what came with it (the `withHeaders` form of client methods). */
export interface ThriftResponse<T> {
  /** The method's result (`undefined` for a void method). */
  readonly result: T;
  /** Application headers of the response (arg2), as a null-prototype object. */
  readonly headers: ThriftHeaders;
  /** Transport headers of the response. */
  readonly transportHeaders: Headers;
  /** The peer that answered. */
  readonly hostPort: string;
}

/** Where a client method sends its calls: the channel, the TChannel service, and optionally a peer. */
export interface ThriftCallTarget {
  readonly channel: TChannel;
  /** The TChannel service name (call req `service~1`), not necessarily the Thrift service's. */
  readonly service: string;
  /** Call this peer instead of one of the channel's known peers (a call option overrides it). */
  readonly hostport?: string;
}

/**
 * Calls one method: encodes `args` (the method's arguments, then optionally ThriftCallOptions) as
 * the `_args` struct, calls `<Service>::<method>` with `channel.call`, and decodes the `_result`.
 * @throws the declared exception (an instance of the generated class) when the server set one
 * @throws ValueExpectedError when a non-void method's successful result holds no value
 * @throws TChannelApplicationError for a code 1 answer without a declared exception
 * @throws OneWayNotSupportedError for a oneway method (nothing is sent)
 * @throws ThriftEncodeError (before sending) for arguments or headers that cannot be written
 * @throws ThriftDecodeError for a response that is not the method's `_result` struct
 * @throws whatever `channel.call` throws: BadRequestError, UnexpectedError, TimeoutError...
 */
export async function callThrift(
  target: ThriftCallTarget,
  service: ServiceDescription,
  method: MethodDescription,
  args: readonly unknown[],
): Promise<ThriftResponse<unknown>> {
  const endpoint = `${service.name}::${method.name}`;
  if (method.oneway) throw new OneWayNotSupportedError(`${endpoint} is oneway: the thrift scheme of TChannel has no oneway calls`);
  const { values, options } = splitArgs(endpoint, method, args);
  const { headers, transportHeaders, hostport, ...callOptions } = options;
  const arg2 = encodeThriftHeaders(headers);
  const arg3 = encodeArgsOf(endpoint, service, method, values);
  const peer = hostport ?? target.hostport;
  const response = await target.channel.call({
    ...callOptions,
    scheme: THRIFT_SCHEME,
    service: target.service,
    arg1: endpoint,
    arg2,
    arg3,
    ...(peer === undefined ? {} : { hostport: peer }),
    ...(transportHeaders === undefined ? {} : { headers: transportHeaders }),
  });
  const describe = `response from service "${target.service}" endpoint "${endpoint}"`;
  const responseHeaders = decodeResponse('arg2', describe, () => decodeThriftHeaders(response.arg2));
  const outcome = decodeResponse('arg3', describe, () => decodeResult(service, method, response.arg3));
  if (outcome.kind === 'exception') throw outcome.error;
  if (response.code !== 0) {
    throw new TChannelApplicationError(
      `application error (code ${response.code}) in ${describe} without a declared exception of ${endpoint}`,
      response.code,
      responseHeaders,
      response.arg3,
    );
  }
  if (outcome.kind === 'missing') {
    throw new ValueExpectedError(`${describe}: ${endpoint} returns a value but the result struct has none (no field 0)`);
  }
  return { result: outcome.value, headers: responseHeaders, transportHeaders: response.headers, hostPort: response.hostPort };
}

/** The method's arguments and the call options after them, if given. */
function splitArgs(endpoint: string, method: MethodDescription, args: readonly unknown[]): { values: readonly unknown[]; options: ThriftCallOptions } {
  if (args.length <= method.argCount) return { values: args, options: {} };
  if (args.length > method.argCount + 1) {
    throw new ThriftEncodeError(`${endpoint} takes ${method.argCount} arguments and call options, got ${args.length} values`, { arg: 'arg3' });
  }
  const options = args[method.argCount];
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
    throw new ThriftEncodeError(`the call options of ${endpoint} (after its ${method.argCount} arguments) must be an object`, { arg: 'arg3' });
  }
  return { values: args.slice(0, method.argCount), options: (options ?? {}) as ThriftCallOptions };
}

function encodeArgsOf(endpoint: string, service: ServiceDescription, method: MethodDescription, values: readonly unknown[]): Buffer {
  try {
    return encodeArgs(service, method, values);
  } catch (err) {
    if (err instanceof TChannelError) throw err;
    throw new ThriftEncodeError(`cannot encode the arguments of ${endpoint}: ${messageOf(err)}`, { arg: 'arg3', cause: err });
  }
}

function decodeResponse<T>(arg: 'arg2' | 'arg3', describe: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    throw new ThriftDecodeError(`${arg} of the ${describe} cannot be decoded: ${messageOf(err)}`, { arg, cause: err });
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

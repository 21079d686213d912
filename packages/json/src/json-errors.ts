import { TChannelApplicationError, TChannelError, type TChannelErrorOptions } from '@tchannel/core';

/** Which arg of a json call a codec error is about. */
export type JsonArg = 'arg2' | 'arg3';

/** Application headers of the json scheme (arg2): string keys, string values. */
export type JsonHeaders = Record<string, string>;

/** Options of JsonDecodeError and JsonEncodeError. */
export interface JsonCodecErrorOptions extends TChannelErrorOptions {
  /** The arg concerned: arg2 (headers) or arg3 (body). */
  readonly arg: JsonArg;
}

/**
 * Bytes received as a json arg that are not what the json scheme allows: not UTF-8, not JSON,
 * or (arg2) not an object of string values. A caller sees it when a response cannot be decoded;
 * a server never lets it reach the wire (an undecodable request is answered bad request).
 */
export class JsonDecodeError extends TChannelError {
  static override readonly kind: string = 'JsonDecodeError';
  /** arg2 (headers) or arg3 (body). */
  readonly arg: JsonArg;

  constructor(message: string, options: JsonCodecErrorOptions) {
    super(message, options);
    this.arg = options.arg;
  }
}

/** A value that cannot be sent as a json arg: not serializable (BigInt, cycle), or a non-string header. */
export class JsonEncodeError extends TChannelError {
  static override readonly kind: string = 'JsonEncodeError';
  /** arg2 (headers) or arg3 (body). */
  readonly arg: JsonArg;

  constructor(message: string, options: JsonCodecErrorOptions) {
    super(message, options);
    this.arg = options.arg;
  }
}

/** Options of JsonApplicationError. */
export interface JsonApplicationErrorOptions {
  /** Application headers (arg2) of the error response. Default none (`{}` on the wire). */
  readonly headers?: JsonHeaders;
  /** Defaults to the body's `type` and `message` (see JsonApplicationError). */
  readonly message?: string;
  /** The call res code. Default 1, the only non-zero code peers send. */
  readonly responseCode?: number;
}

/**
 * An application error of the json scheme: a call res with code 1 whose arg3 is a JSON body,
 * conventionally `{ type, message }` (uber/tchannel docs/json.md).
 *
 * A json handler throws it to answer with that body; a json call rejects with it when the peer
 * answers code 1, carrying the decoded body and headers. It is a TChannelApplicationError, so
 * code written against that class catches it too.
 *
 * @example
 * throw new JsonApplicationError({ type: 'kv.not-found', message: 'no such key' });
 */
export class JsonApplicationError<TBody = unknown> extends TChannelApplicationError<TBody, JsonHeaders> {
  static override readonly kind: string = 'JsonApplicationError';

  constructor(body: TBody, options: JsonApplicationErrorOptions = {}) {
    super(options.message ?? describeErrorBody(body), options.responseCode ?? 1, options.headers ?? nullProtoRecord(), body);
  }

  /** The body's `type` field when it is a string (the error kind by convention). */
  get type(): string | undefined {
    return stringField(this.body, 'type');
  }
}

/**
 * A message for an error body: `"<type>: <message>"`, either field alone when only one is a
 * string, else a generic message.
 */
export function describeErrorBody(body: unknown, fallback = 'json application error'): string {
  const type = stringField(body, 'type');
  const message = stringField(body, 'message');
  if (type !== undefined && message !== undefined) return `${type}: ${message}`;
  return message ?? type ?? fallback;
}

function stringField(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
  const field: unknown = (value as Record<string, unknown>)[key];
  return typeof field === 'string' ? field : undefined;
}

/** An empty object without a prototype: `__proto__`, `constructor`... are plain keys in it. */
export function nullProtoRecord(): JsonHeaders {
  return Object.create(null) as JsonHeaders;
}

import {
  BadRequestError,
  TChannelApplicationError,
  type ArgScheme,
  type CallOptions,
  type Headers,
  type HandlerResult,
  type RegisterOptions,
  type Request,
  type TChannel,
} from '@tchannel/core';
import { decodeJsonBody, decodeJsonHeaders, encodeJsonBody, encodeJsonHeaders } from './json-codec';
import { JsonApplicationError, JsonDecodeError, describeErrorBody, type JsonHeaders } from './json-errors';

/** The `as` value of the json scheme. */
export const JSON_SCHEME = 'json';

/** A json call: application headers and a body, sent as JSON in arg2 and arg3. */
export interface JsonCallOptions<TBody = unknown> extends Omit<CallOptions, 'scheme' | 'arg1' | 'arg2' | 'arg3' | 'headers'> {
  /** arg1. */
  readonly endpoint: string;
  /** arg3, JSON-encoded; absent (undefined) is sent as `null`. */
  readonly body?: TBody;
  /** arg2: application headers, string values only; none is sent as `{}`. */
  readonly headers?: Readonly<JsonHeaders>;
  /** Extra transport headers (`sk`, `rd`...). */
  readonly transportHeaders?: Headers;
}

/** A successful json response (call res code 0). */
export interface JsonResponse<TResult = unknown> {
  /** arg3 decoded. Not validated: `TResult` is what the caller asserts the peer returns. */
  readonly body: TResult;
  /** arg2 decoded, as a null-prototype object. */
  readonly headers: JsonHeaders;
  /** Transport headers of the response. */
  readonly transportHeaders: Headers;
  /** The peer that answered. */
  readonly hostPort: string;
}

/** What a json handler receives. */
export interface JsonRequest<TBody = unknown> {
  readonly endpoint: string;
  readonly service: string;
  /** arg3 decoded. Not validated: `TBody` is what the handler expects callers to send. */
  readonly body: TBody;
  /** arg2 decoded, as a null-prototype object. */
  readonly headers: JsonHeaders;
  /** The full request: caller, tracing, deadline (`timeLeft`), abort signal, raw args. */
  readonly request: Request;
}

/**
 * What a json handler answers (call res code 0). To answer an application error (code 1), throw
 * JsonApplicationError (or any TChannelApplicationError).
 */
export interface JsonHandlerResult<TResult = unknown> {
  /** arg3, JSON-encoded; absent is sent as `null`. */
  readonly body?: TResult;
  /** arg2; none is sent as `{}`. */
  readonly headers?: Readonly<JsonHeaders>;
}

export type JsonHandler<TBody = unknown, TResult = unknown> = (
  request: JsonRequest<TBody>,
) => JsonHandlerResult<TResult> | Promise<JsonHandlerResult<TResult>>;

/**
 * The json arg scheme (uber/tchannel docs/json.md): arg1 is the endpoint, arg2 a JSON object of
 * string headers, arg3 a JSON body; code 1 answers carry a JSON error body, conventionally
 * `{ type, message }`. Constructing it registers it on the channel, which also makes core's
 * `request.getHeader()` and `request.getBody()` decode JSON for `as: json` requests.
 *
 * @example
 * const json = new JsonArgScheme(channel);
 * json.register('add', ({ body }: JsonRequest<{ a: number; b: number }>) => ({ body: body.a + body.b }));
 * const { body } = await json.call<{ a: number; b: number }, number>({ service: 'calc', endpoint: 'add', body: { a: 1, b: 2 }, hostport });
 */
export class JsonArgScheme implements ArgScheme {
  readonly name = JSON_SCHEME;

  /** @throws TChannelError if another `json` scheme is already registered on the channel. */
  constructor(readonly channel: TChannel) {
    channel.schemes.register(this);
  }

  /**
   * Calls `endpoint` with a JSON body and headers.
   * @throws JsonEncodeError (before sending) if the body cannot be serialized or a header is not a string
   * @throws JsonApplicationError when the peer answers code 1, with its decoded body and headers
   * @throws JsonDecodeError when the response's arg2 or arg3 is not valid for the json scheme
   * @throws the ProtocolError subclass of an error frame (BadRequestError for an unknown
   *   endpoint...), TimeoutError, CancelledError, NetworkError...
   */
  async call<TBody = unknown, TResult = unknown>(options: JsonCallOptions<TBody>): Promise<JsonResponse<TResult>> {
    const { endpoint, headers, body, transportHeaders, ...rest } = options;
    const arg2 = encodeJsonHeaders(headers);
    const arg3 = encodeJsonBody(body);
    const response = await this.channel.call({
      ...rest,
      scheme: JSON_SCHEME,
      arg1: endpoint,
      arg2,
      arg3,
      ...(transportHeaders === undefined ? {} : { headers: transportHeaders }),
    });
    const describe = `response from service "${options.service}" endpoint "${endpoint}"`;
    const responseHeaders = decodeResponse(() => decodeJsonHeaders(response.arg2), describe);
    const responseBody = decodeResponse(() => decodeJsonBody(response.arg3), describe);
    if (response.code !== 0) {
      throw new JsonApplicationError(responseBody, {
        headers: responseHeaders,
        responseCode: response.code,
        message: describeErrorBody(responseBody, `application error from service "${options.service}" endpoint "${endpoint}"`),
      });
    }
    return {
      body: responseBody as TResult,
      headers: responseHeaders,
      transportHeaders: response.headers,
      hostPort: response.hostPort,
    };
  }

  /**
   * Serves `endpoint` with a json handler; only calls with `as: json` reach it. A request whose
   * arg2 or arg3 cannot be decoded is answered bad request without running the handler.
   */
  register<TBody = unknown, TResult = unknown>(
    endpoint: string,
    handler: JsonHandler<TBody, TResult>,
    options: Omit<RegisterOptions, 'scheme'> = {},
  ): this {
    this.channel.register(endpoint, (request) => serveJson(handler, request), { ...options, scheme: JSON_SCHEME });
    return this;
  }

  /**
   * arg2 of an `as: json` request as a null-prototype object of strings (for `request.getHeader()`).
   * @throws BadRequestError if it is not a JSON object of string values
   */
  decodeHeaders(arg2: Buffer): JsonHeaders {
    return decodeRequestArg(() => decodeJsonHeaders(arg2));
  }

  /**
   * arg3 of an `as: json` request, JSON-decoded (for `request.getBody()`).
   * @throws BadRequestError if it is not JSON
   */
  decodeBody(arg3: Buffer): unknown {
    return decodeRequestArg(() => decodeJsonBody(arg3));
  }

  /**
   * A plain core handler's `headers` as arg2 (`{}` when absent), for handlers registered on the
   * channel with `{ scheme: 'json' }` that answer `{ headers, body }`.
   * @throws JsonEncodeError for headers that are not an object of strings
   */
  encodeHeaders(headers: unknown): Buffer {
    // encodeJsonHeaders checks the shape at run time (an object of strings).
    return encodeJsonHeaders(headers as Readonly<JsonHeaders> | undefined);
  }

  /** A plain core handler's `body` as arg3 (JSON). @throws JsonEncodeError for values JSON cannot hold */
  encodeBody(body: unknown): Buffer {
    return encodeJsonBody(body);
  }
}

async function serveJson<TBody, TResult>(handler: JsonHandler<TBody, TResult>, request: Request): Promise<HandlerResult> {
  // Both args are decoded before the handler runs: a malformed request is the caller's fault.
  const headers = decodeRequestArg(() => decodeJsonHeaders(request.arg2), request);
  const body = decodeRequestArg(() => decodeJsonBody(request.arg3), request) as TBody;
  try {
    const result = await handler({ endpoint: request.endpoint, service: request.service, headers, body, request });
    return { code: 0, arg2: encodeJsonHeaders(result.headers), arg3: encodeJsonBody(result.body) };
  } catch (err) {
    if (err instanceof TChannelApplicationError) return applicationErrorResult(err);
    throw err;
  }
}

/**
 * The code 1 answer for an application error thrown by a handler. Buffer headers or body are
 * taken as already-encoded JSON (as a raw-scheme error carries them); anything else is encoded.
 */
function applicationErrorResult(err: TChannelApplicationError<unknown, unknown>): HandlerResult {
  const arg2 = Buffer.isBuffer(err.headers)
    ? err.headers.length === 0 ? encodeJsonHeaders(undefined) : err.headers
    : encodeJsonHeaders(isHeaders(err.headers) ? err.headers : undefined);
  const arg3 = Buffer.isBuffer(err.body) ? err.body : encodeJsonBody(err.body);
  // The responseCode is kept when it is a valid non-zero code; peers only ever send 1.
  const code = Number.isInteger(err.responseCode) && err.responseCode > 0 && err.responseCode <= 0xff ? err.responseCode : 1;
  return { code, arg2, arg3 };
}

function isHeaders(value: unknown): value is JsonHeaders {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function decodeRequestArg<T>(decode: () => T, request?: Request): T {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof JsonDecodeError)) throw err;
    const where = request === undefined ? '' : ` of request to endpoint "${request.endpoint}"`;
    throw new BadRequestError(`${err.message}${where}`, {
      cause: err,
      ...(request === undefined ? {} : { service: request.service, endpoint: request.endpoint }),
    });
  }
}

function decodeResponse<T>(decode: () => T, describe: string): T {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof JsonDecodeError)) throw err;
    throw new JsonDecodeError(`${err.message} in ${describe}`, { arg: err.arg, cause: err });
  }
}

import {
  TChannelApplicationError,
  type ArgScheme,
  type CallOptions,
  type Headers,
  type HandlerResult,
  type RegisterOptions,
  type Request,
  type TChannel,
} from '@tchannel/core';

/** The `as` value of the raw scheme. */
export const RAW = 'raw';

/** A raw call: arg2 and arg3 are bytes (or strings, sent as UTF-8). */
export interface RawCallOptions extends Omit<CallOptions, 'scheme' | 'arg1' | 'arg2' | 'arg3' | 'headers'> {
  /** arg1. */
  readonly endpoint: string;
  /** arg2: application headers, opaque to the raw scheme. */
  readonly headers?: Buffer | string;
  /** arg3: the body. */
  readonly body?: Buffer | string;
  /** Extra transport headers (`sk`, `rd`...). */
  readonly transportHeaders?: Headers;
}

/** A successful raw response. */
export interface RawResponse {
  readonly headers: Buffer;
  readonly body: Buffer;
  /** Transport headers of the response. */
  readonly transportHeaders: Headers;
  /** The peer that answered. */
  readonly hostPort: string;
}

/** What a raw handler receives. */
export interface RawRequest {
  readonly endpoint: string;
  readonly service: string;
  /** arg2. */
  readonly headers: Buffer;
  /** arg3. */
  readonly body: Buffer;
  /** The full request: caller, tracing, deadline, abort signal. */
  readonly request: Request;
}

/** What a raw handler answers. To answer an application error (code 1), throw TChannelApplicationError. */
export interface RawHandlerResult {
  readonly headers?: Buffer | string;
  readonly body?: Buffer | string;
}

export type RawHandler = (request: RawRequest) => RawHandlerResult | Promise<RawHandlerResult>;

/**
 * The raw arg scheme (uber/tchannel docs/raw.md): arg1 is the endpoint, arg2 and arg3 are bytes the
 * application interprets. Constructing it registers it on the channel.
 *
 * @example
 * const raw = new RawArgScheme(channel);
 * raw.register('echo', ({ headers, body }) => ({ headers, body }));
 * const res = await raw.call({ service: 'svc', endpoint: 'echo', body: 'hi', hostport });
 */
export class RawArgScheme implements ArgScheme {
  readonly name = RAW;

  constructor(readonly channel: TChannel) {
    channel.schemes.register(this);
  }

  /**
   * Calls `endpoint` with raw args.
   * @throws TChannelApplicationError<Buffer, Buffer> when the peer answers with a non-zero code
   * @throws the ProtocolError subclass for an error frame, TimeoutError, NetworkError...
   */
  call(options: RawCallOptions): Promise<RawResponse> {
    const { endpoint } = options;
    // One literal with every field (one object shape, no spreads): this runs for every call.
    const call: CallOptions = {
      scheme: RAW,
      service: options.service,
      arg1: endpoint,
      arg2: options.headers,
      arg3: options.body,
      timeout: options.timeout,
      retryOn: options.retryOn,
      retryLimit: options.retryLimit,
      hostport: options.hostport,
      headers: options.transportHeaders,
      signal: options.signal,
      checksumType: options.checksumType,
      parentTracing: options.parentTracing,
      parent: options.parent,
      trace: options.trace,
    };
    return this.channel
      .call(call)
      .then((response) => {
        if (response.code !== 0) {
          throw new TChannelApplicationError(
            `application error from service "${options.service}" endpoint "${endpoint}"`,
            response.code,
            response.arg2,
            response.arg3,
          );
        }
        return { headers: response.arg2, body: response.arg3, transportHeaders: response.headers, hostPort: response.hostPort };
      });
  }

  /** Serves `endpoint` with a raw handler; only calls with `as: raw` reach it. */
  register(endpoint: string, handler: RawHandler, options: Omit<RegisterOptions, 'scheme'> = {}): this {
    this.channel.register(endpoint, (request) => serveRaw(handler, request), { ...options, scheme: RAW });
    return this;
  }
}

async function serveRaw(handler: RawHandler, request: Request): Promise<HandlerResult> {
  try {
    const result = await handler({
      endpoint: request.endpoint,
      service: request.service,
      headers: request.arg2,
      body: request.arg3,
      request,
    });
    return { code: 0, arg2: result.headers ?? EMPTY, arg3: result.body ?? EMPTY };
  } catch (err) {
    if (err instanceof TChannelApplicationError) {
      return { code: 1, arg2: toBytes(err.headers), arg3: toBytes(err.body) };
    }
    throw err;
  }
}

const EMPTY = Buffer.alloc(0);

function toBytes(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value);
  return EMPTY;
}

import type { Headers } from '../wire/headers';
import type { Request } from './request';
import type { Response } from './response';

/**
 * A plain handler's answer: `{ headers, body }` in the request's scheme (encoded with the scheme's
 * `encodeHeaders`/`encodeBody`; Buffers and strings are sent as they are), or already-encoded
 * `arg2`/`arg3`, which take precedence.
 */
export interface HandlerResult {
  /** Call res code: 0 (default) ok, 1 application error. */
  readonly code?: number;
  /** Application headers, encoded by the request's scheme into arg2. */
  readonly headers?: unknown;
  /** The body, encoded by the request's scheme into arg3. */
  readonly body?: unknown;
  /** arg2 as bytes (or UTF-8), already encoded. */
  readonly arg2?: Buffer | string;
  /** arg3 as bytes (or UTF-8), already encoded. */
  readonly arg3?: Buffer | string;
  /** Extra response transport headers (`as` is the request's). */
  readonly transportHeaders?: Headers;
}

/**
 * The common case: called once the request is complete; returns the whole response.
 * Throwing a TChannelError answers with an error frame of its code; anything else thrown answers
 * unexpected error (0x05).
 */
export type PlainHandler = (request: Request) => HandlerResult | Promise<HandlerResult>;

/**
 * Full control: called as soon as arg1 arrives, with a Response to write or stream into. Args may
 * still be arriving (read them with `request.getBodyStream()` etc.). The response is flushed when
 * the returned promise settles, if the handler did not flush it.
 */
export type StreamingHandler = (request: Request, response: Response) => void | Promise<void>;

/** Either form. A function declaring two parameters is a StreamingHandler. */
export type Handler = PlainHandler | StreamingHandler;

/** Whether a handler takes (request, response). */
export function isStreamingHandler(handler: Handler): handler is StreamingHandler {
  return handler.length >= 2;
}

import type { Headers } from '../wire/headers';
import type { Request } from './request';
import type { Response } from './response';

/** A plain handler's answer at the transport level. */
export interface HandlerResult {
  /** Call res code: 0 (default) ok, 1 application error. */
  readonly code?: number;
  /** arg2: application headers, already encoded by the scheme. */
  readonly arg2?: Buffer | string;
  /** arg3: the body, already encoded by the scheme. */
  readonly arg3?: Buffer | string;
  /** Extra response transport headers. */
  readonly headers?: Headers;
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

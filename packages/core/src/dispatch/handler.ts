import type { Headers } from '../wire/headers';
import type { Request } from './request';

/** A handler's answer at the transport level. */
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
 * Serves one endpoint. Throwing a TChannelError answers with an error frame of its code;
 * anything else thrown answers unexpected error (0x05).
 */
export type Handler = (request: Request) => HandlerResult | Promise<HandlerResult>;

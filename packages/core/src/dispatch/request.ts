import type { InboundCall } from '../connection/inbound-call';
import type { SchemeRegistry } from '../scheme/scheme-registry';
import type { ChecksumType } from '../wire/checksum-type';
import type { Headers } from '../wire/headers';
import type { Tracing } from '../wire/tracing';

/**
 * An incoming request as a handler sees it: who called what, with which deadline, and the args.
 * `arg2`/`arg3` are the raw bytes; `getHeader()`/`getBody()` decode them with the request's scheme.
 */
export class Request {
  /** The called service (call req `service`). */
  readonly service: string;
  /** arg1, the endpoint. */
  readonly endpoint: string;
  /** The arg scheme (`as` transport header). */
  readonly scheme: string;
  /** The caller's service name (`cn` transport header), if sent. */
  readonly callerName: string | undefined;
  readonly transportHeaders: Headers;
  readonly tracing: Tracing;
  /** The ttl the caller sent, in ms. */
  readonly timeout: number;
  readonly checksumType: ChecksumType;
  /** Raw arg2 (application headers in the request's scheme). */
  readonly arg2: Buffer;
  /** Raw arg3 (the body in the request's scheme). */
  readonly arg3: Buffer;

  constructor(
    private readonly call: InboundCall,
    private readonly schemes: SchemeRegistry,
  ) {
    const [arg1, arg2, arg3] = call.args;
    this.service = call.service;
    this.endpoint = arg1.toString('utf8');
    this.scheme = call.scheme ?? 'raw';
    this.callerName = call.callerName;
    this.transportHeaders = call.transportHeaders;
    this.tracing = call.tracing;
    this.timeout = call.ttl;
    this.checksumType = call.checksumType;
    this.arg2 = arg2;
    this.arg3 = arg3;
  }

  /** Milliseconds left before the caller's deadline. */
  get timeLeft(): number {
    return this.call.timeLeft;
  }

  /** Aborted if the caller cancels, the ttl expires or the connection closes before the answer. */
  get signal(): AbortSignal {
    return this.call.signal;
  }

  /** arg2 decoded by the request's scheme (raw: the bytes). */
  async getHeader(): Promise<unknown> {
    const scheme = this.schemes.find(this.scheme);
    return scheme?.decodeHeaders ? scheme.decodeHeaders(this.arg2) : this.arg2;
  }

  /** arg3 decoded by the request's scheme (raw: the bytes). */
  async getBody(): Promise<unknown> {
    const scheme = this.schemes.find(this.scheme);
    return scheme?.decodeBody ? scheme.decodeBody(this.arg3) : this.arg3;
  }
}

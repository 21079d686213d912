import type { Readable } from 'node:stream';
import { shouldRetry, isRetryOn } from '../channel/retry-policy';
import type { InboundCall } from '../connection/inbound-call';
import { StreamingError } from '../errors/local-errors';
import type { SchemeRegistry } from '../scheme/scheme-registry';
import type { ChecksumType } from '../wire/checksum-type';
import type { Headers } from '../wire/headers';
import type { Tracing } from '../wire/tracing';

const ARG2 = 1;
const ARG3 = 2;

/**
 * An incoming request as a handler sees it: who called what, with which deadline, and the args.
 *
 * arg2 (headers) and arg3 (body) can be read whole, decoded by the request's scheme (`getHeader`,
 * `getBody`) or as bytes (`getHeaderBytes`, `getBodyBytes`), or as streams of chunks as frames
 * arrive (`getHeaderStream`, `getBodyStream`) — each arg one way or the other, not both.
 * Plain handlers are called once the request is complete, so `arg2`/`arg3` are also available
 * synchronously to them.
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

  constructor(
    private readonly call: InboundCall,
    private readonly schemes: SchemeRegistry,
  ) {
    this.service = call.service;
    this.endpoint = call.endpoint;
    this.scheme = call.scheme ?? 'raw';
    this.callerName = call.callerName;
    this.transportHeaders = call.transportHeaders;
    this.tracing = call.tracing;
    this.timeout = call.ttl;
    this.checksumType = call.checksumType;
  }

  /** Milliseconds left before the caller's deadline. */
  get timeLeft(): number {
    return this.call.timeLeft;
  }

  /** The absolute deadline (ms, `performance.now()` clock). */
  get deadline(): number {
    return this.call.receivedAt + this.call.ttl;
  }

  /** Aborted if the caller cancels, the ttl expires or the connection closes before the answer. */
  get signal(): AbortSignal {
    return this.call.signal;
  }

  /** Whether the request's args have all arrived. */
  get isComplete(): boolean {
    return this.call.args.isEnded(ARG3);
  }

  /**
   * Raw arg2, once complete.
   * @throws StreamingError if it has not all arrived yet (streaming handlers: use getHeaderBytes())
   */
  get arg2(): Buffer {
    return this.completed(ARG2, 'getHeaderBytes()');
  }

  /**
   * Raw arg3, once complete.
   * @throws StreamingError if it has not all arrived yet (streaming handlers: use getBodyBytes())
   */
  get arg3(): Buffer {
    return this.completed(ARG3, 'getBodyBytes()');
  }

  /** arg2 whole, as bytes. */
  getHeaderBytes(): Promise<Buffer> {
    return this.call.args.arg(ARG2);
  }

  /** arg3 whole, as bytes. */
  getBodyBytes(): Promise<Buffer> {
    return this.call.args.arg(ARG3);
  }

  /** arg2 decoded by the request's scheme (raw: the bytes). */
  async getHeader(): Promise<unknown> {
    const bytes = await this.getHeaderBytes();
    const scheme = this.schemes.find(this.scheme);
    return scheme?.decodeHeaders ? scheme.decodeHeaders(bytes) : bytes;
  }

  /** arg3 decoded by the request's scheme (raw: the bytes). */
  async getBody(): Promise<unknown> {
    const bytes = await this.getBodyBytes();
    const scheme = this.schemes.find(this.scheme);
    return scheme?.decodeBody ? scheme.decodeBody(bytes) : bytes;
  }

  /** arg2 as a stream of chunks as they arrive (a Readable, also an async iterable). */
  getHeaderStream(): Readable {
    return this.call.args.stream(ARG2);
  }

  /** arg3 as a stream of chunks as they arrive (a Readable, also an async iterable). */
  getBodyStream(): Readable {
    return this.call.args.stream(ARG3);
  }

  /**
   * Whether the caller's retry flags (`re` transport header) allow retrying after `error`, should
   * this handler pass the call on: busy and declined unless 'n', network errors under 'c',
   * timeouts under 't'.
   */
  shouldRetryOnError(error: unknown): boolean {
    const flags = this.transportHeaders['re'] ?? 'c';
    return shouldRetry(error, isRetryOn(flags) ? flags : 'c');
  }

  private completed(index: number, alternative: string): Buffer {
    const value = this.call.args.completed(index);
    if (value === undefined) throw new StreamingError(`arg${index + 1} has not fully arrived or is being streamed; use ${alternative}`);
    return value;
  }
}

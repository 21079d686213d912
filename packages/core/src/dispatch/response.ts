import type { Readable } from 'node:stream';
import type { InboundCall } from '../connection/inbound-call';
import { pumpArg, type OutgoingMessage } from '../connection/outgoing-message';
import { StreamingError } from '../errors/local-errors';
import type { Headers } from '../wire/headers';
import { EMPTY, toBytes } from '../message/bytes';

/** A byte source for a streamed arg: a Node Readable or any async iterable of chunks. */
export type ArgSource = Readable | AsyncIterable<Buffer | Uint8Array | string>;

type Phase = 'header' | 'body' | 'flushing' | 'flushed';

const ARG2 = 1;
const ARG3 = 2;

/**
 * The response to a request, written in parts (tchannel-python's Response, with its rules):
 * - `writeHeader` is allowed until the body starts; `writeBody` closes the header;
 * - nothing may be written or set after `flush()`;
 * - a stream set with `setHeaderStream`/`setBodyStream` may be replaced until it is being sent.
 * Each violation throws StreamingError. Written chunks go out as they are written (in the same
 * event-loop turn's frames); `writeBody` resolves when the socket has room again, so a producer that
 * awaits it is paused by a slow peer instead of buffering without bound.
 */
export class Response {
  /** Call res code: 0 ok (default), 1 application error. Settable until the first byte is sent. */
  code = 0;
  /** Extra transport headers for the call res (`as` defaults to the request's). */
  transportHeaders: Headers = {};

  private phase: Phase = 'header';
  private message: OutgoingMessage | undefined;
  private headerStream: ArgSource | undefined;
  private bodyStream: ArgSource | undefined;
  private flushing: Promise<void> | undefined;

  constructor(private readonly call: InboundCall) {}

  /** Whether `flush()` has been called. */
  get isFlushed(): boolean {
    return this.phase === 'flushing' || this.phase === 'flushed';
  }

  /** Bytes queued on the connection for the peer and not yet taken by the kernel (0 before the first write). */
  get queuedBytes(): number {
    return this.message?.queuedBytes ?? 0;
  }

  /** Whether any part of the response has been sent. */
  get isStarted(): boolean {
    return this.message !== undefined;
  }

  /**
   * Appends to arg2 (headers in the request's scheme).
   * @throws StreamingError after the body started, after flush, or when a header stream is set
   */
  writeHeader(chunk: Buffer | string): void {
    this.assertWritable('header');
    if (this.phase !== 'header') throw new StreamingError('cannot write the header after the body started');
    if (this.headerStream !== undefined) throw new StreamingError('cannot write the header: a header stream is set');
    this.start().write(ARG2, toBytes(chunk));
  }

  /**
   * Appends to arg3 (the body) and closes the header. Resolves when the peer has room for more.
   * @throws StreamingError after flush, or when a stream is set for the header or body
   */
  writeBody(chunk: Buffer | string): Promise<void> {
    this.assertWritable('body');
    if (this.bodyStream !== undefined) throw new StreamingError('cannot write the body: a body stream is set');
    if (this.headerStream !== undefined) throw new StreamingError('cannot write the body before the header stream is sent; call flush()');
    this.phase = 'body';
    const message = this.start();
    message.write(ARG3, toBytes(chunk));
    return message.overHighWater ? message.drained() : Promise.resolve();
  }

  /**
   * Sets arg2 to be read from `stream` when the response is flushed.
   * @throws StreamingError once the header is being sent or after the body started
   */
  setHeaderStream(stream: ArgSource): void {
    this.assertWritable('header stream');
    if (this.phase !== 'header' || this.message !== undefined) {
      throw new StreamingError('cannot set the header stream: the header is already being sent');
    }
    this.headerStream = stream;
  }

  /**
   * Sets arg3 to be read from `stream` when the response is flushed.
   * @throws StreamingError once the body is being sent
   */
  setBodyStream(stream: ArgSource): void {
    this.assertWritable('body stream');
    if (this.phase === 'body') throw new StreamingError('cannot set the body stream: the body is already being sent');
    this.bodyStream = stream;
  }

  /**
   * Sends everything: set streams are read to their end (paced by the peer), then the response
   * ends. Nothing may be written afterwards. Calling it again returns the same promise.
   */
  flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    this.phase = 'flushing';
    this.flushing = this.send().then(() => {
      this.phase = 'flushed';
    });
    return this.flushing;
  }

  private async send(): Promise<void> {
    if (this.message === undefined && this.headerStream === undefined && this.bodyStream === undefined) {
      // Nothing streamed: one whole response, the fast path.
      this.call.respond({ code: this.code, arg2: EMPTY, arg3: EMPTY, headers: this.transportHeaders });
      return;
    }
    const message = this.start();
    if (this.headerStream !== undefined) await pumpArg(message, ARG2, this.headerStream);
    if (this.bodyStream !== undefined) await pumpArg(message, ARG3, this.bodyStream);
    message.end();
  }

  private start(): OutgoingMessage {
    if (this.message === undefined) this.message = this.call.beginResponse(this.code, this.transportHeaders);
    return this.message;
  }

  private assertWritable(what: string): void {
    if (this.isFlushed) throw new StreamingError(`cannot write the ${what} after flush()`);
    if (this.call.isAnswered && this.message === undefined) {
      throw new StreamingError(`cannot write the ${what}: the call already ended (${this.call.signal.reason instanceof Error ? this.call.signal.reason.message : 'answered'})`);
    }
  }
}


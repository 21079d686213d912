import { CancelledError, TimeoutError } from '../errors/protocol-errors';
import type { TChannelError } from '../errors/tchannel-error';
import { IncomingArgs, type FlowControl } from '../message/incoming-args';
import type { MessageAssembler } from '../message/message-assembler';
import type { CallArgs, CallResponseHead } from '../message/message-head';
import type { ChecksumType } from '../wire/checksum-type';
import { ErrorCode } from '../wire/error-code';
import type { CallRequestFrame } from '../wire/frames';
import type { Headers } from '../wire/headers';
import type { Tracing } from '../wire/tracing';
import { scheduleDeadline, type Deadline } from './deadline-timer';
import type { OutgoingMessage } from './outgoing-message';
import { EMPTY } from '../message/bytes';

/** What a handler answers at the transport level, whole. */
export interface CallResult {
  /** Call res code: 0 ok, 1 application error. */
  readonly code: number;
  readonly arg2: Buffer;
  readonly arg3: Buffer;
  /** Extra transport headers for the response; `as` defaults to the request's. */
  readonly headers?: Headers;
}

/** What an inbound call needs from its connection. */
export interface InboundCallOwner {
  /** Sends a whole call res. */
  sendResponse(id: number, head: CallResponseHead, args: CallArgs, checksumType: ChecksumType): void;
  /** Starts a streamed call res; `onEnd` runs when the message's last frame is sent. */
  startResponse(id: number, head: CallResponseHead, checksumType: ChecksumType, onEnd: () => void): OutgoingMessage;
  /** Sends an error frame for the call. */
  sendCallError(id: number, code: ErrorCode, message: string, tracing: Tracing): void;
  /** The call needs no more frames in either direction. */
  release(id: number): void;
}

type ResponseState = 'none' | 'streaming' | 'done';

/**
 * A call req received on a connection. Its args arrive through `args` (whole or streamed); the
 * connection hands the call to the channel as soon as arg1 is complete.
 *
 * It is answered once: whole (`respond`), streamed (`beginResponse`), with an error frame
 * (`sendError`), or by the connection itself (ttl expired, cancelled, connection closed). Later
 * answers are ignored. `signal` aborts whenever the call ends without the handler's answer completing.
 */
export class InboundCall {
  readonly id: number;
  readonly service: string;
  readonly transportHeaders: Headers;
  readonly tracing: Tracing;
  readonly ttl: number;
  readonly checksumType: ChecksumType;
  readonly flags: number;
  /** When the first frame arrived (ms, `performance.now()` clock). */
  readonly receivedAt: number;
  readonly args: IncomingArgs;
  /** Set while request frames are still expected. */
  assembler: MessageAssembler | undefined;

  /** Created on first use of `signal`: most handlers never look at it, and it is costly per call. */
  private controller: AbortController | undefined;
  private abortReason: TChannelError | undefined;
  private response: ResponseState = 'none';
  private outgoing: OutgoingMessage | undefined;
  private requestDone = false;
  private readonly deadline: Deadline;

  constructor(
    private readonly owner: InboundCallOwner,
    frame: CallRequestFrame,
    onArgEnd: (call: InboundCall, index: number) => void,
    flow: FlowControl,
  ) {
    this.id = frame.id;
    this.service = frame.service;
    this.transportHeaders = frame.headers;
    this.tracing = frame.tracing;
    this.ttl = frame.ttl;
    this.checksumType = frame.checksumType;
    this.flags = frame.flags;
    this.receivedAt = performance.now();
    this.args = new IncomingArgs((index) => {
      if (index === 2) this.requestComplete();
      onArgEnd(this, index);
    }, flow);
    this.deadline = scheduleDeadline(frame.ttl, () => this.expire());
  }

  /** arg1 as a string: the endpoint for every arg scheme (complete once the call is dispatched). */
  get endpoint(): string {
    return (this.args.completed(0) ?? EMPTY).toString('utf8');
  }

  /** The `as` transport header. */
  get scheme(): string | undefined {
    return this.transportHeaders['as'];
  }

  /** The `cn` transport header: who is calling. */
  get callerName(): string | undefined {
    return this.transportHeaders['cn'];
  }

  /** Aborted when the call is cancelled, times out or its connection closes before the answer is sent. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  /** Milliseconds left before the ttl expires. */
  get timeLeft(): number {
    return Math.max(0, this.ttl - (performance.now() - this.receivedAt));
  }

  /** Whether an answer has started (or the call ended without one). */
  get isAnswered(): boolean {
    return this.response !== 'none';
  }

  /** Sends the whole call res with the request's checksum type. */
  respond(result: CallResult): void {
    if (this.response !== 'none') return;
    this.response = 'done';
    this.deadline.cancel();
    this.owner.sendResponse(this.id, this.head(result.code, result.headers), [EMPTY, result.arg2, result.arg3], this.checksumType);
    this.maybeRelease();
  }

  /**
   * Starts a streamed call res; the caller writes arg2/arg3 into the returned message and ends it.
   * The ttl still applies: if it expires mid-stream the call is answered with a timeout error.
   */
  beginResponse(code: number, headers: Headers | undefined): OutgoingMessage {
    if (this.response !== 'none' || this.outgoing !== undefined) throw new Error('response already started');
    this.response = 'streaming';
    this.outgoing = this.owner.startResponse(this.id, this.head(code, headers), this.checksumType, () => {
      if (this.response !== 'streaming') return;
      this.response = 'done';
      this.deadline.cancel();
      this.maybeRelease();
    });
    return this.outgoing;
  }

  /** Answers with an error frame (also mid-stream: the peer fails the call). */
  sendError(code: ErrorCode, message: string): void {
    if (this.response === 'done') return;
    this.finishWithError(code, message, undefined);
  }

  /** The peer sent a cancel frame: stop the handler and answer cancelled. */
  cancel(why: string): void {
    if (this.response === 'done') return;
    const error = new CancelledError(`call cancelled by caller${why ? `: ${why}` : ''}`, { id: this.id, service: this.service });
    this.finishWithError(ErrorCode.Cancelled, why || 'cancelled', error);
  }

  /** Ends the call without an answer (connection closed): aborts the handler, sends nothing. */
  abort(reason: TChannelError): void {
    if (this.response === 'done' && this.requestDone) return;
    this.response = 'done';
    this.requestDone = true;
    this.deadline.cancel();
    this.outgoing?.close(reason);
    this.args.fail(reason);
    if (this.abortReason === undefined) {
      this.abortReason = reason;
      this.controller?.abort(reason);
    }
  }

  /** Ends the call with an error frame: request frames still to come are dropped. */
  failRequest(error: TChannelError, code: ErrorCode): void {
    this.finishWithError(code, error.message, error);
  }

  private finishWithError(code: ErrorCode, message: string, error: TChannelError | undefined): void {
    const reason = error ?? new CancelledError(message, { id: this.id });
    this.abort(reason);
    this.owner.sendCallError(this.id, code, message, this.tracing);
    this.owner.release(this.id);
  }

  private expire(): void {
    if (this.response === 'done') return;
    const error = new TimeoutError(`call to service "${this.service}" endpoint "${this.endpoint}" exceeded its ttl of ${this.ttl} ms`, {
      id: this.id,
      service: this.service,
    });
    this.finishWithError(ErrorCode.Timeout, error.message, error);
  }

  private requestComplete(): void {
    this.requestDone = true;
    this.assembler = undefined;
    this.maybeRelease();
  }

  private maybeRelease(): void {
    if (this.requestDone && this.response === 'done') this.owner.release(this.id);
  }

  private head(code: number, headers: Headers | undefined): CallResponseHead {
    // Responses always carry `as`: tchannel-node rejects a call res without it.
    const scheme = this.scheme ?? 'raw';
    return { kind: 'response', code, tracing: this.tracing, headers: headers === undefined || isEmpty(headers) ? responseHeadersFor(scheme) : { as: scheme, ...headers } };
  }
}

/** Frozen `{ as }` response headers per scheme, so their encoding is cached (see headers.ts). */
const RESPONSE_HEADERS = new Map<string, Headers>();

function responseHeadersFor(scheme: string): Headers {
  let headers = RESPONSE_HEADERS.get(scheme);
  if (headers === undefined) {
    headers = Object.freeze({ as: scheme });
    // Scheme names come from the wire: keep only a bounded number of them.
    if (RESPONSE_HEADERS.size < 64) RESPONSE_HEADERS.set(scheme, headers);
  }
  return headers;
}

function isEmpty(headers: Headers): boolean {
  for (const _ in headers) return false;
  return true;
}

import { CancelledError, TimeoutError } from '../errors/protocol-errors';
import type { TChannelError } from '../errors/tchannel-error';
import type { BufferedArgs, MessageAssembler } from '../message/message-assembler';
import type { CallArgs } from '../message/message-head';
import type { ChecksumType } from '../wire/checksum-type';
import { ErrorCode } from '../wire/error-code';
import type { CallRequestFrame } from '../wire/frames';
import type { Headers } from '../wire/headers';
import type { Tracing } from '../wire/tracing';
import type { Connection } from './connection';
import { scheduleDeadline, type Deadline } from './deadline-timer';

/** What a handler answers at the transport level. */
export interface CallResult {
  /** Call res code: 0 ok, 1 application error. */
  readonly code: number;
  readonly arg2: Buffer;
  readonly arg3: Buffer;
  /** Extra transport headers for the response; `as` defaults to the request's. */
  readonly headers?: Headers;
}

/**
 * A call req received on a connection. It is answered exactly once: with `respond`, with
 * `sendError`, or by the connection itself (ttl expired, cancelled, connection closed), after which
 * later answers are ignored. `signal` aborts whenever the call ends without the handler answering.
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
  /** Set while continuation frames are still expected. */
  assembler: MessageAssembler | undefined;

  private readonly controller = new AbortController();
  private answered = false;
  private readonly deadline: Deadline;

  constructor(
    private readonly connection: Connection,
    frame: CallRequestFrame,
    private readonly sink: BufferedArgs,
  ) {
    this.id = frame.id;
    this.service = frame.service;
    this.transportHeaders = frame.headers;
    this.tracing = frame.tracing;
    this.ttl = frame.ttl;
    this.checksumType = frame.checksumType;
    this.flags = frame.flags;
    this.receivedAt = performance.now();
    this.deadline = scheduleDeadline(frame.ttl, () => this.expire());
  }

  /** The three args, once complete (the connection hands the call over only then). */
  get args(): CallArgs {
    const [a1, a2, a3] = this.sink.args;
    return [a1 as Buffer, a2 as Buffer, a3 as Buffer];
  }

  /** arg1 as a string: the endpoint for every arg scheme. */
  get endpoint(): string {
    return this.args[0].toString('utf8');
  }

  /** The `as` transport header. */
  get scheme(): string | undefined {
    return this.transportHeaders['as'];
  }

  /** The `cn` transport header: who is calling. */
  get callerName(): string | undefined {
    return this.transportHeaders['cn'];
  }

  /** Aborted when the call is cancelled, times out or its connection closes before an answer. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Milliseconds left before the ttl expires. */
  get timeLeft(): number {
    return Math.max(0, this.ttl - (performance.now() - this.receivedAt));
  }

  get isAnswered(): boolean {
    return this.answered;
  }

  /** Sends the call res (code, arg2, arg3) with the request's checksum type. */
  respond(result: CallResult): void {
    if (!this.finish()) return;
    const headers: Headers = { as: this.scheme ?? 'raw', ...result.headers };
    this.connection.sendResponse(
      this.id,
      { kind: 'response', code: result.code, tracing: this.tracing, headers },
      [EMPTY, result.arg2, result.arg3],
      this.checksumType,
    );
  }

  /** Answers with an error frame. */
  sendError(code: ErrorCode, message: string): void {
    if (!this.finish()) return;
    this.connection.sendCallError(this.id, code, message, this.tracing);
  }

  /** The peer sent a cancel frame: stop the handler and answer cancelled. */
  cancel(why: string): void {
    if (this.answered) return;
    this.abort(new CancelledError(`call cancelled by caller${why ? `: ${why}` : ''}`, { id: this.id }));
    this.connection.sendCallError(this.id, ErrorCode.Cancelled, why || 'cancelled', this.tracing);
  }

  /** Ends the call without an answer from the handler (connection closed, bad frames...). */
  abort(reason: TChannelError): void {
    if (!this.finish()) return;
    this.controller.abort(reason);
  }

  private expire(): void {
    if (this.answered) return;
    const error = new TimeoutError(`call to ${this.service} exceeded its ttl of ${this.ttl} ms`, { id: this.id, service: this.service });
    this.abort(error);
    this.connection.sendCallError(this.id, ErrorCode.Timeout, error.message, this.tracing);
  }

  private finish(): boolean {
    if (this.answered) return false;
    this.answered = true;
    this.deadline.cancel();
    this.assembler = undefined;
    return true;
  }
}

const EMPTY = Buffer.alloc(0);

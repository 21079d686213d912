import type { Socket } from 'node:net';
import { InvalidMessageError } from '../errors/local-errors';
import {
  FatalProtocolError,
  NetworkError,
  ProtocolError,
  protocolErrorFor,
} from '../errors/protocol-errors';
import { TChannelError } from '../errors/tchannel-error';
import { IncomingArgs, type FlowControl } from '../message/incoming-args';
import { MessageAssembler } from '../message/message-assembler';
import { fragmentMessage } from '../message/message-fragmenter';
import type { CallArgs, CallRequestHead, CallResponseHead } from '../message/message-head';
import type { ChecksumType } from '../wire/checksum-type';
import { ErrorCode } from '../wire/error-code';
import { decodeFrame, readFrameHeader } from '../wire/frame-codec';
import { createFrameSplitter } from '../wire/frame-splitter';
import { FrameType } from '../wire/frame-type';
import {
  NO_MESSAGE_ID,
  PROTOCOL_VERSION,
  type CallContinueFrame,
  type CallRequestFrame,
  type CallResponseFrame,
  type ErrorFrame,
  type Frame,
  type InitFrame,
} from '../wire/frames';
import type { Headers } from '../wire/headers';
import { EMPTY_TRACING, type Tracing } from '../wire/tracing';
import { scheduleDeadline, type Deadline } from './deadline-timer';
import { FrameWriter } from './frame-writer';
import { InboundCall, type InboundCallOwner } from './inbound-call';
import { OutgoingMessage, type FrameOutlet } from './outgoing-message';
import { EPHEMERAL_HOST_PORT, ourInitHeaders, readPeerIdentity, type PeerIdentity } from './init-headers';
import { MessageIds } from './message-ids';
import { EMPTY } from '../message/bytes';

/** Which side opened the TCP connection. */
export type ConnectionDirection = 'outbound' | 'inbound';

export interface ConnectionOptions {
  readonly direction: ConnectionDirection;
  /** Our host_port for init: the listening address, or 0.0.0.0:0 for a client-only channel. */
  readonly localHostPort: string;
  /** For outbound connections: the host:port dialled (names the peer in errors before init). */
  readonly remoteHostPort?: string;
  readonly processName: string;
  /** Cap on one message's buffered args. */
  readonly maxMessageBytes: number;
  /** How long the init handshake may take before the socket is closed. */
  readonly initTimeoutMs: number;
  /**
   * Cap on inbound calls in progress on this connection (received, not yet answered or failed):
   * call reqs beyond it are answered busy. Default DEFAULT_MAX_INBOUND_CALLS.
   */
  readonly maxInboundCalls?: number;
  /** Called when a call req's args are complete. */
  readonly onInboundCall: (call: InboundCall) => void;
  /** Called once when the connection is closed, with the reason if it was not a clean close. */
  readonly onClose?: (connection: Connection, error: TChannelError | undefined) => void;
}

/** A call response as received: the code, transport headers and the three args. */
export interface CallResponse {
  readonly code: number;
  readonly headers: Headers;
  readonly tracing: Tracing;
  readonly checksumType: ChecksumType;
  readonly args: CallArgs;
}

/** The head of a call response, with its args arriving (streamed calls resolve with this at the first frame). */
export interface ResponseHead {
  readonly code: number;
  readonly headers: Headers;
  readonly tracing: Tracing;
  readonly checksumType: ChecksumType;
  readonly args: IncomingArgs;
}

/** An outgoing call as the connection needs it, args aside. */
export interface OutboundCallStart {
  readonly head: CallRequestHead;
  readonly checksumType: ChecksumType;
  /** Local deadline; the call fails with `onTimeout()` when it passes. */
  readonly timeoutMs: number;
  /** Builds the timeout error (the channel knows service, endpoint and peer for its message). */
  readonly onTimeout: () => TChannelError;
  readonly signal?: AbortSignal | undefined;
  readonly onAbort?: (() => TChannelError) | undefined;
}

/** A call being streamed out: write arg2/arg3 into `message` (arg1 is written) and end it. */
export interface StreamingRequest {
  readonly message: OutgoingMessage;
  /** Resolves at the first response frame; later failures error the response's arg streams. */
  readonly response: Promise<ResponseHead>;
}

interface PendingCall {
  /** Resolve with the head at the first frame (streamed) or when complete (whole). */
  readonly streaming: boolean;
  readonly resolve: (head: ResponseHead) => void;
  readonly reject: (error: TChannelError) => void;
  readonly deadline: Deadline;
  head: ResponseHead | undefined;
  assembler: MessageAssembler | undefined;
  message: OutgoingMessage | undefined;
  cleanup: (() => void) | undefined;
}

type State = 'handshaking' | 'ready' | 'closing' | 'closed';

/** Default cap on one connection's inbound calls in progress (ConnectionOptions.maxInboundCalls). */
export const DEFAULT_MAX_INBOUND_CALLS = 10_000;

/**
 * One TChannel connection: the init handshake, then calls in both directions multiplexed by
 * message id, ping, cancel and error frames. I/O lives here; frames and messages are pure data
 * handled by the wire and message modules.
 */
export class Connection implements InboundCallOwner {
  readonly direction: ConnectionDirection;
  /** Set once init completes: what the peer said about itself. */
  peer: PeerIdentity | undefined;
  /** The peer's address: its init host_port once known, else the address dialled or accepted. */
  get remoteAddress(): string {
    const announced = this.peer?.hostPort;
    if (announced !== undefined && announced !== EPHEMERAL_HOST_PORT) return announced;
    if (this.socket.remoteAddress !== undefined) return formatHostPort(this.socket.remoteAddress, this.socket.remotePort ?? 0);
    return this.options.remoteHostPort ?? 'unknown peer';
  }

  private state: State = 'handshaking';
  private readonly writer: FrameWriter;
  private readonly splitter = createFrameSplitter();
  private readonly ids = new MessageIds();
  private readonly outbound = new Map<number, PendingCall>();
  private readonly inbound = new Map<number, InboundCall>();
  private readonly pings = new Map<number, () => void>();
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (error: TChannelError) => void;
  private initDeadline: Deadline | undefined;
  private closeError: TChannelError | undefined;
  /** Streamed args whose readers fell behind; while any, the socket is not read. */
  private pressured = 0;
  private readonly flow: FlowControl = {
    pressure: () => {
      if (this.pressured++ === 0) this.socket.pause();
    },
    relief: () => {
      if (--this.pressured === 0 && !this.isClosed) this.socket.resume();
    },
  };
  private readonly outlet: FrameOutlet;

  constructor(
    readonly socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.direction = options.direction;
    this.writer = new FrameWriter(socket);
    const writer = this.writer;
    this.outlet = {
      send: (frame) => writer.send(frame),
      get pendingBytes() {
        return writer.pendingBytes;
      },
      drained: () => writer.drained(),
    };
    this.readyPromise = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Nobody may be waiting on `ready` when a handshake fails; the failure is reported elsewhere too.
    this.readyPromise.catch(() => undefined);
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', (err) => this.destroy(new NetworkError(`socket error with ${this.remoteAddress}: ${err.message}`, { cause: err })));
    socket.on('close', () => this.destroy(new NetworkError(`connection to ${this.remoteAddress} closed`)));
    this.initDeadline = scheduleDeadline(options.initTimeoutMs, () => {
      const reason = `init handshake not completed within ${options.initTimeoutMs} ms`;
      // The acceptor must not send anything before an init req arrives: it just hangs up.
      if (this.direction === 'inbound') this.closeSilently(new FatalProtocolError(reason));
      else this.fatal(reason);
    });
    if (this.direction === 'outbound') {
      this.writer.send({
        type: FrameType.InitRequest,
        id: this.ids.allocate(this.outbound),
        version: PROTOCOL_VERSION,
        headers: ourInitHeaders(options.localHostPort, options.processName),
      });
    }
  }

  /** When bytes last arrived (ms, `performance.now()` clock): for health pings and idle reaping. */
  lastActivityAt = performance.now();

  /** Closes the connection at once because it is unusable (e.g. it stopped answering pings); its calls fail with `error`. */
  fail(error: TChannelError): void {
    if (this.state === 'closed') return;
    this.socket.destroy();
    this.destroy(error);
  }

  /** Resolves when the handshake is done; rejects if it fails or the connection closes first. */
  get ready(): Promise<void> {
    return this.readyPromise;
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  get isClosed(): boolean {
    return this.state === 'closing' || this.state === 'closed';
  }

  /** Outbound calls awaiting a response. */
  get pendingOutbound(): number {
    return this.outbound.size;
  }

  /** Inbound calls being received or handled. */
  get pendingInbound(): number {
    return this.inbound.size;
  }

  /** Sends a whole call and resolves with its whole response (whatever its code) or rejects with a TChannelError. */
  request(start: OutboundCallStart, args: CallArgs): Promise<CallResponse>;
  /** As above, resolving with `deliver(head)` (all args complete) instead: saves a `.then` per call. */
  request<T>(start: OutboundCallStart, args: CallArgs, deliver: (head: ResponseHead) => T): Promise<T>;
  request<T>(start: OutboundCallStart, args: CallArgs, deliver?: (head: ResponseHead) => T): Promise<T | CallResponse> {
    const { id, response } = this.startCall<T | CallResponse>(start, false, deliver ?? wholeResponse);
    if (id !== undefined) {
      try {
        for (const frame of fragmentMessage(id, start.head, args, start.checksumType)) this.writer.send(frame);
      } catch (err) {
        this.outbound.get(id)?.reject(TChannelError.from(err));
      }
    }
    return response;
  }

  /**
   * Starts a call whose args are written as they are produced, and whose response resolves at its
   * first frame with args readable as streams. arg1 is written here.
   */
  requestStreaming(start: OutboundCallStart, arg1: Buffer): StreamingRequest {
    const { id, response } = this.startCall(start, true, (head) => head);
    const message = new OutgoingMessage(this.outlet, id ?? 0, start.head, start.checksumType);
    if (id === undefined) {
      message.close(new NetworkError(`connection to ${this.remoteAddress} is not ready`));
    } else {
      const pending = this.outbound.get(id);
      if (pending !== undefined) pending.message = message;
      message.write(0, arg1);
      // Start arg2 so the first frame ends arg1: peers route on arg1 from the first frame.
      message.write(1, EMPTY);
    }
    return { message, response };
  }

  /** Registers an outbound call; its promise resolves with `deliver(head)` (see PendingCall.streaming). */
  private startCall<T>(start: OutboundCallStart, streaming: boolean, deliver: (head: ResponseHead) => T): { id: number | undefined; response: Promise<T> } {
    if (this.state !== 'ready') {
      return { id: undefined, response: Promise.reject(this.closeError ?? new NetworkError(`connection to ${this.remoteAddress} is not ready`)) };
    }
    const id = this.ids.allocate(this.outbound);
    let resolveHead!: (value: T) => void;
    let rejectHead!: (error: TChannelError) => void;
    const response = new Promise<T>((resolve, reject) => {
      resolveHead = resolve;
      rejectHead = reject;
    });
    let delivered = false;
    const finish = (): PendingCall | undefined => {
      const pending = this.outbound.get(id);
      if (pending === undefined) return undefined;
      this.outbound.delete(id);
      pending.deadline.cancel();
      pending.cleanup?.();
      return pending;
    };
    const pending: PendingCall = {
      streaming,
      resolve: (head) => {
        if (!delivered) {
          delivered = true;
          resolveHead(deliver(head));
        }
        // A call is over once its whole response arrived; the streamed case resolves earlier.
        if (head.args.isEnded(2)) finish()?.message?.close(new TChannelError('the response already completed'));
      },
      reject: (error) => {
        const done = finish();
        done?.message?.close(error);
        if (!delivered) {
          delivered = true;
          rejectHead(error);
        } else {
          done?.head?.args.fail(error);
        }
      },
      deadline: scheduleDeadline(start.timeoutMs, () => pending.reject(start.onTimeout())),
      head: undefined,
      assembler: undefined,
      message: undefined,
      cleanup: undefined,
    };
    this.outbound.set(id, pending);
    const signal = start.signal;
    if (signal !== undefined) {
      const onAbort = (): void => {
        if (!this.outbound.has(id)) return;
        this.writer.send({ type: FrameType.Cancel, id, ttl: start.head.ttl, tracing: start.head.tracing, why: 'aborted by caller' });
        pending.reject(start.onAbort?.() ?? new TChannelError('call aborted'));
      };
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        pending.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
    }
    return { id: this.outbound.has(id) ? id : undefined, response };
  }

  /** Sends a ping req and resolves when the ping res arrives. */
  ping(timeoutMs = 5000): Promise<void> {
    if (this.state !== 'ready') return Promise.reject(new NetworkError(`connection to ${this.remoteAddress} is not ready`));
    const id = this.ids.allocate(this.pings);
    return new Promise<void>((resolve, reject) => {
      const deadline = scheduleDeadline(timeoutMs, () => {
        this.pings.delete(id);
        reject(new NetworkError(`no ping response from ${this.remoteAddress} within ${timeoutMs} ms`));
      });
      this.pings.set(id, () => {
        deadline.cancel();
        resolve();
      });
      this.writer.send({ type: FrameType.PingRequest, id });
    });
  }

  /** Sends a whole call res for an inbound call (InboundCallOwner). */
  sendResponse(id: number, head: CallResponseHead, args: CallArgs, checksumType: ChecksumType): void {
    if (this.isClosed) return;
    try {
      for (const frame of fragmentMessage(id, head, args, checksumType)) this.writer.send(frame);
    } catch (err) {
      // E.g. response transport headers that cannot be encoded: the caller still gets an answer.
      this.sendError(id, ErrorCode.UnexpectedError, `cannot send response: ${TChannelError.from(err).message}`, head.tracing);
    }
  }

  /** Starts a streamed call res for an inbound call (InboundCallOwner). */
  startResponse(id: number, head: CallResponseHead, checksumType: ChecksumType, onEnd: () => void): OutgoingMessage {
    const message = new OutgoingMessage(this.outlet, id, head, checksumType, onEnd);
    if (this.isClosed) message.close(this.closeError ?? new NetworkError('connection closed'));
    return message;
  }

  /** Sends an error frame for an inbound call (InboundCallOwner). */
  sendCallError(id: number, code: ErrorCode, message: string, tracing: Tracing): void {
    if (!this.isClosed) this.sendError(id, code, message, tracing);
  }

  /** Forgets an inbound call: later frames for its id are dropped (InboundCallOwner). */
  release(id: number): void {
    this.inbound.delete(id);
  }

  /** Closes the connection after queued frames are written. Outstanding outbound calls fail. */
  close(): void {
    if (this.isClosed) return;
    this.writer.flush();
    this.state = 'closing';
    this.socket.end();
    this.destroy(undefined);
  }

  private sendError(id: number, code: ErrorCode, message: string, tracing: Tracing): void {
    // Error messages are for logs; keep them well inside a frame.
    const text = message.length > 4096 ? `${message.slice(0, 4093)}...` : message;
    this.writer.send({ type: FrameType.Error, id, code, tracing, message: text });
  }

  /** Answers a protocol violation with a fatal error frame and closes only this connection. */
  private fatal(message: string): void {
    if (this.isClosed) return;
    this.sendError(NO_MESSAGE_ID, ErrorCode.FatalProtocolError, message, EMPTY_TRACING);
    this.writer.flush();
    this.state = 'closing';
    this.socket.end();
    // A peer that never reads must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
    this.destroy(new FatalProtocolError(`protocol error on connection with ${this.remoteAddress}: ${message}`));
  }

  private closeSilently(error: TChannelError): void {
    if (this.isClosed) return;
    this.state = 'closing';
    this.socket.destroy();
    this.destroy(error);
  }

  private destroy(error: TChannelError | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.closeError = error ?? new NetworkError(`connection to ${this.remoteAddress} was closed`);
    this.initDeadline?.cancel();
    this.writer.close();
    if (!this.socket.destroyed && this.socket.writableEnded === false) this.socket.destroy();
    this.rejectReady(this.closeError);
    for (const pending of [...this.outbound.values()]) pending.reject(this.closeError);
    this.pressured = 0;
    for (const call of [...this.inbound.values()]) call.abort(this.closeError);
    this.inbound.clear();
    this.pings.clear();
    this.options.onClose?.(this, error);
  }

  /** The batched writer's queued bytes (for tests and streaming producers). */
  get pendingWriteBytes(): number {
    return this.writer.pendingBytes;
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === 'closed') return;
    this.lastActivityAt = performance.now();
    if (this.state === 'handshaking' && this.splitter.buffered === 0 && chunk.length >= 3) {
      // Fail fast on a peer that does not speak TChannel (e.g. HTTP): the first frame's type is known.
      const expected = this.direction === 'inbound' ? FrameType.InitRequest : FrameType.InitResponse;
      const type = chunk[2] as number;
      if (type !== expected && type !== FrameType.Error) {
        this.fatal(`expected ${FrameType[expected]} as the first frame, got type 0x${type.toString(16).padStart(2, '0')}`);
        return;
      }
    }
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (err) {
      this.fatal(TChannelError.from(err).message);
      return;
    }
    for (const bytes of frames) {
      if (this.isClosed) return;
      this.onFrameBytes(bytes);
    }
    // Frames before a corrupt size were answered above; now the stream cannot be trusted.
    const corruption = this.splitter.takeError();
    if (corruption !== undefined) this.fatal(corruption.message);
  };

  private onFrameBytes(bytes: Buffer): void {
    let frame: Frame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      this.onUndecodableFrame(bytes, TChannelError.from(err));
      return;
    }
    try {
      this.onFrame(frame);
    } catch (err) {
      // A bug or a user callback failing must cost at most this connection, never the process.
      this.fatal(`internal error handling ${FrameType[frame.type]} frame: ${TChannelError.from(err).message}`);
    }
  }

  /**
   * A frame whose body breaks the rules. Inside a call (after init) only that call is answered
   * with bad request; anything else means the stream cannot be trusted and the connection closes.
   */
  private onUndecodableFrame(bytes: Buffer, error: TChannelError): void {
    const { type, id } = readFrameHeader(bytes);
    if (this.state !== 'ready') {
      this.fatal(`invalid frame during handshake: ${error.message}`);
      return;
    }
    switch (type) {
      case FrameType.CallRequest:
      case FrameType.CallRequestContinue: {
        const call = this.inbound.get(id);
        if (call !== undefined) {
          call.failRequest(error, ErrorCode.BadRequest);
        } else if (type === FrameType.CallRequest) {
          this.sendError(id, ErrorCode.BadRequest, `invalid call request: ${error.message}`, EMPTY_TRACING);
        }
        return;
      }
      case FrameType.CallResponse:
      case FrameType.CallResponseContinue:
        this.outbound.get(id)?.reject(new InvalidMessageError(`invalid call response from ${this.remoteAddress}: ${error.message}`, { cause: error }));
        return;
      default:
        this.fatal(error.message);
    }
  }

  private onFrame(frame: Frame): void {
    if (this.state === 'handshaking') {
      this.onHandshakeFrame(frame);
      return;
    }
    switch (frame.type) {
      case FrameType.InitRequest:
      case FrameType.InitResponse:
        this.fatal(`unexpected ${FrameType[frame.type]} after the handshake`);
        return;
      case FrameType.CallRequest:
        this.onCallRequest(frame);
        return;
      case FrameType.CallRequestContinue:
        this.onCallRequestContinue(frame);
        return;
      case FrameType.CallResponse:
      case FrameType.CallResponseContinue:
        this.onCallResponseFrame(frame);
        return;
      case FrameType.Cancel:
        this.inbound.get(frame.id)?.cancel(frame.why);
        return;
      case FrameType.Claim:
        // Claims serve speculative execution through a relay; a leaf node has nothing to do.
        return;
      case FrameType.PingRequest:
        this.writer.send({ type: FrameType.PingResponse, id: frame.id });
        return;
      case FrameType.PingResponse: {
        const done = this.pings.get(frame.id);
        this.pings.delete(frame.id);
        done?.();
        return;
      }
      case FrameType.Error:
        this.onErrorFrame(frame);
        return;
    }
  }

  private onHandshakeFrame(frame: Frame): void {
    const expected = this.direction === 'inbound' ? FrameType.InitRequest : FrameType.InitResponse;
    if (frame.type !== expected) {
      if (frame.type === FrameType.Error) {
        this.destroy(protocolErrorFor(frame.code, `handshake with ${this.remoteAddress} failed: ${frame.message}`));
        this.socket.destroy();
        return;
      }
      this.fatal(`expected ${FrameType[expected]} but got ${FrameType[frame.type]} before the handshake completed`);
      return;
    }
    const init = frame as InitFrame;
    if (init.version !== PROTOCOL_VERSION) {
      this.fatal(`unsupported protocol version ${init.version}; this peer speaks ${PROTOCOL_VERSION}`);
      return;
    }
    try {
      this.peer = readPeerIdentity(init.headers);
    } catch (err) {
      this.fatal(TChannelError.from(err).message);
      return;
    }
    if (this.direction === 'inbound') {
      this.writer.send({
        type: FrameType.InitResponse,
        id: init.id,
        version: PROTOCOL_VERSION,
        headers: ourInitHeaders(this.options.localHostPort, this.options.processName),
      });
    }
    this.initDeadline?.cancel();
    this.initDeadline = undefined;
    this.state = 'ready';
    this.resolveReady();
  }

  private onCallRequest(frame: CallRequestFrame): void {
    if (this.inbound.has(frame.id)) {
      this.fatal(`call request reuses message id ${frame.id}, which is still in progress`);
      return;
    }
    const limit = this.options.maxInboundCalls ?? DEFAULT_MAX_INBOUND_CALLS;
    if (this.inbound.size >= limit) {
      // Each call in progress holds state and buffered args: one peer must not pile up more than
      // this. Busy is retryable, and nothing is kept for the id, so its continues are dropped.
      this.sendError(frame.id, ErrorCode.Busy, `connection has ${this.inbound.size} calls in progress, its limit`, frame.tracing);
      return;
    }
    const call = new InboundCall(this, frame, this.onInboundArgEnd, this.flow);
    this.inbound.set(frame.id, call);
    if (frame.ttl === 0) {
      // The spec forbids ttl 0; answering bad request (not a fatal error, as tchannel-node does) keeps the connection.
      call.failRequest(new InvalidMessageError('call request has ttl 0; ttl must be positive'), ErrorCode.BadRequest);
      return;
    }
    call.assembler = new MessageAssembler(call.args, { maxMessageBytes: this.options.maxMessageBytes });
    this.acceptCallFrame(call, frame);
  }

  /** Dispatches a call as soon as its arg1 (the endpoint) is complete. */
  private readonly onInboundArgEnd = (call: InboundCall, index: number): void => {
    if (index === 0) this.options.onInboundCall(call);
  };

  private onCallRequestContinue(frame: CallContinueFrame): void {
    const call = this.inbound.get(frame.id);
    // Continuations of calls already answered with an error, timed out or cancelled are dropped.
    if (call === undefined || call.assembler === undefined) return;
    this.acceptCallFrame(call, frame);
  }

  private acceptCallFrame(call: InboundCall, frame: CallRequestFrame | CallContinueFrame): void {
    try {
      call.assembler?.accept(frame);
    } catch (err) {
      const error = TChannelError.from(err);
      call.failRequest(error, error.code === ErrorCode.FatalProtocolError ? ErrorCode.BadRequest : error.code);
    }
  }

  private onCallResponseFrame(frame: CallResponseFrame | CallContinueFrame): void {
    const pending = this.outbound.get(frame.id);
    // Late responses (after a timeout or cancel) are dropped without touching other calls.
    if (pending === undefined) return;
    if (frame.type === FrameType.CallResponse) {
      if (pending.assembler !== undefined) {
        pending.reject(new InvalidMessageError(`second call response for message ${frame.id} from ${this.remoteAddress}`));
        return;
      }
      const args = new IncomingArgs(undefined, this.flow);
      pending.head = { code: frame.code, headers: frame.headers, tracing: frame.tracing, checksumType: frame.checksumType, args };
      pending.assembler = new MessageAssembler(args, { maxMessageBytes: this.options.maxMessageBytes });
    } else if (pending.assembler === undefined) {
      pending.reject(new InvalidMessageError(`call response continuation before the call response for message ${frame.id}`));
      return;
    }
    let complete: boolean;
    try {
      complete = pending.assembler.accept(frame);
    } catch (err) {
      pending.reject(TChannelError.from(err));
      return;
    }
    if (complete || pending.streaming) pending.resolve(pending.head as ResponseHead);
  }

  private onErrorFrame(frame: ErrorFrame): void {
    const pending = this.outbound.get(frame.id);
    if (pending !== undefined && frame.code !== ErrorCode.FatalProtocolError) {
      pending.reject(protocolErrorFor(frame.code, frame.message, { id: frame.id, peer: this.remoteAddress }));
      return;
    }
    if (frame.id === NO_MESSAGE_ID || frame.code === ErrorCode.FatalProtocolError) {
      const error = protocolErrorFor(frame.code, `${this.remoteAddress} reported: ${frame.message}`);
      this.destroy(error instanceof ProtocolError ? error : new FatalProtocolError(frame.message));
      this.socket.destroy();
    }
    // An error frame for an id we no longer track (timed out, cancelled) is ignored.
  }
}

/** A whole call's response: every arg has arrived by the time it is delivered. */
function wholeResponse(head: ResponseHead): CallResponse {
  return {
    code: head.code,
    headers: head.headers,
    tracing: head.tracing,
    checksumType: head.checksumType,
    args: [EMPTY, head.args.completed(1) ?? EMPTY, head.args.completed(2) ?? EMPTY],
  };
}

/** `host:port`, with IPv6 hosts in brackets (docs/protocol.md: the port follows the last colon). */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

import { EventEmitter } from 'node:events';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { Connection, DEFAULT_MAX_INBOUND_CALLS, formatHostPort, type OutboundCallStart } from '../connection/connection';
import { scheduleDeadline } from '../connection/deadline-timer';
import { pumpArg, type OutgoingMessage } from '../connection/outgoing-message';
import type { ArgSource } from '../dispatch/response';
import type { InboundCall } from '../connection/inbound-call';
import { EPHEMERAL_HOST_PORT } from '../connection/init-headers';
import type { Handler, HandlerResult, PlainHandler, StreamingHandler } from '../dispatch/handler';
import { Request } from '../dispatch/request';
import { Response } from '../dispatch/response';
import { RequestDispatcher, type RegisterOptions } from '../dispatch/request-dispatcher';
import {
  AlreadyListeningError,
  ArgTooLargeError,
  ChannelClosedError,
  NoAvailablePeerError,
  StreamingError,
} from '../errors/local-errors';
import { CancelledError, NetworkError, ProtocolError, protocolErrorFor, TimeoutError } from '../errors/protocol-errors';
import { TChannelError } from '../errors/tchannel-error';
import { MAX_ARG1_BYTES } from '../message/message-head';
import type { ArgScheme } from '../scheme/arg-scheme';
import { SchemeRegistry } from '../scheme/scheme-registry';
import { ChecksumType } from '../wire/checksum-type';
import { ErrorCode } from '../wire/error-code';
import type { Headers } from '../wire/headers';
import type { Tracing } from '../wire/tracing';
import type { CallOptions, CallResponseResult, StreamingCallOptions } from './call-options';
import { ConnectionMonitor, type HealthOptions } from './connection-monitor';
import { chain, type IncomingInterceptor, type OutgoingCall, type OutgoingInterceptor } from './interceptors';
import { isHostPort, parseHostPort } from './host-port';
import { PeerPool, type PeerStats } from './peer-pool';
import { DEFAULT_RETRY_LIMIT, DEFAULT_RETRY_ON, isRetryOn, shouldRetry, type RetryOn } from './retry-policy';
import { StreamingCallResponse } from './streaming-call-response';
import { childSpan } from './trace-ids';
import { EMPTY, toBytes } from '../message/bytes';

/** Options of a channel. Only `name` is required. */
export interface TChannelOptions {
  /** This service's name: sent as `cn` on calls. */
  readonly name: string;
  /** Address to listen on, `host:port` (port 0 for any). Defaults to 127.0.0.1:0. */
  readonly hostport?: string;
  /** process_name for init; defaults to `<name>[<pid>]`. */
  readonly processName?: string;
  /** Peers to choose from for calls without `hostport`. */
  readonly knownPeers?: readonly string[];
  /** Whether new traces are sampled (trace flag 0x01). Default false. */
  readonly trace?: boolean;
  /** Default call deadline in ms. Default 30 000, as tchannel-python. */
  readonly timeout?: number;
  /** Checksum for outgoing calls. Default crc32c; responses use the request's type. */
  readonly checksumType?: ChecksumType;
  /** Cap on one message's args, in bytes. Default 64 MiB; larger messages get bad request. */
  readonly maxMessageBytes?: number;
  /** Time allowed for a connection's init handshake, in ms. Default 5 000. */
  readonly initTimeout?: number;
  /**
   * Cap on calls one peer may have in progress on one connection (received and not yet answered,
   * failed or timed out). Call requests beyond it are answered busy (0x03). Default 10 000.
   */
  readonly maxCallsPerConnection?: number;
  /**
   * Cap on accepted connections open at once (handshaking or ready). Sockets accepted beyond it
   * are closed at once, before anything is read. Outbound connections do not count. Default 10 000.
   */
  readonly maxConnections?: number;
  /** Arg schemes to register (scheme packages also register themselves when constructed). */
  readonly schemes?: readonly ArgScheme[];
  /** Load shedding: requests handled at once beyond this are answered busy. Default unlimited. */
  readonly maxConcurrentRequests?: number;
  /** Periodic pings and idle-connection reaping. Off by default. */
  readonly health?: HealthOptions;
  /** How long `close()` lets in-flight calls finish, in ms. Default 5 000. */
  readonly gracePeriod?: number;
}

/** Events a channel emits. */
export interface TChannelEvents {
  /** A connection was opened (outbound) or accepted (inbound); it may still be handshaking. */
  connection: [connection: Connection];
  /** A connection closed; `error` says why unless it was closed on purpose. */
  connectionClose: [connection: Connection, error: TChannelError | undefined];
  /** A peer was added to the known peers (or to `service`'s peers). */
  peerAdded: [hostPort: string, service: string | undefined];
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_INIT_TIMEOUT_MS = 5_000;
const DEFAULT_GRACE_PERIOD_MS = 5_000;
const DEFAULT_MAX_CONNECTIONS = 10_000;

type ChannelState = 'idle' | 'listening' | 'closing' | 'closed';

/**
 * A TChannel endpoint: calls out to peers and, once listening, serves requests through its
 * dispatcher. One channel holds one connection pool; connections are reused per host:port.
 */
export class TChannel extends EventEmitter<TChannelEvents> {
  readonly name: string;
  readonly processName: string;
  readonly schemes = new SchemeRegistry();
  readonly dispatcher = new RequestDispatcher();
  readonly timeout: number;
  readonly checksumType: ChecksumType;
  readonly maxMessageBytes: number;
  readonly trace: boolean;

  private state: ChannelState = 'idle';
  private server: Server | undefined;
  private listenHostPort: string | undefined;
  private readonly peers: PeerPool;
  private readonly connections = new Set<Connection>();
  private readonly initTimeout: number;
  private readonly monitor: ConnectionMonitor;
  private readonly outgoingInterceptors: OutgoingInterceptor[] = [];
  private readonly incomingInterceptors: IncomingInterceptor[] = [];
  private sendCall: (call: OutgoingCall) => Promise<CallResponseResult>;
  private dispatch: (request: Request, response: Response) => Promise<HandlerResult | undefined>;
  private inflightInbound = 0;
  private inflightOutbound = 0;
  private idleWaiters: Array<() => void> = [];
  private closing: Promise<void> | undefined;
  /** Frozen base transport headers by scheme, then retry flags (no key string built per call). */
  private readonly headerCache = new Map<string, Map<RetryOn, Headers>>();

  constructor(private readonly options: TChannelOptions) {
    super();
    if (!options.name) throw new TChannelError('a channel needs a service name');
    this.name = options.name;
    this.processName = options.processName ?? `${options.name}[${process.pid}]`;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.checksumType = options.checksumType ?? ChecksumType.Crc32c;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.initTimeout = options.initTimeout ?? DEFAULT_INIT_TIMEOUT_MS;
    this.trace = options.trace ?? false;
    this.peers = new PeerPool(
      (hostPort) => {
        const { host, port } = parseHostPort(hostPort);
        return this.track(netConnect({ host, port }), 'outbound', hostPort);
      },
      (hostPort, service) => this.emit('peerAdded', hostPort, service),
    );
    for (const hostPort of options.knownPeers ?? []) this.peers.add(hostPort);
    for (const scheme of options.schemes ?? []) this.schemes.register(scheme);
    this.monitor = new ConnectionMonitor(options.health ?? {}, () => this.connections);
    this.sendCall = (call) => this.callNow(call, toBytes(call.arg1), call.tracing);
    this.dispatch = (request, response) => this.dispatcher.dispatch(request, response);
  }

  /** Our host_port: the listening address, or 0.0.0.0:0 for a client-only channel. */
  get hostPort(): string {
    return this.listenHostPort ?? EPHEMERAL_HOST_PORT;
  }

  get isListening(): boolean {
    return this.state === 'listening';
  }

  /** True from the moment `close()` is called. */
  get isClosed(): boolean {
    return this.state === 'closed' || this.state === 'closing';
  }

  /** Requests being handled right now. */
  get activeRequests(): number {
    return this.inflightInbound;
  }

  /** Outgoing calls in flight right now. */
  get activeCalls(): number {
    return this.inflightOutbound;
  }

  /**
   * Adds an interceptor around every outgoing `call()` (not `callStreaming`, whose args are
   * streams). The first added runs outermost.
   */
  useOutgoing(interceptor: OutgoingInterceptor): this {
    this.outgoingInterceptors.push(interceptor);
    this.sendCall = chain(this.outgoingInterceptors, (call: OutgoingCall) => this.callNow(call, toBytes(call.arg1), call.tracing));
    return this;
  }

  /** Adds an interceptor around every incoming request. The first added runs outermost. */
  useIncoming(interceptor: IncomingInterceptor): this {
    this.incomingInterceptors.push(interceptor);
    const interceptors = this.incomingInterceptors;
    this.dispatch = (request, response) =>
      chain(interceptors, (req: Request) => this.dispatcher.dispatch(req, response))(request);
    return this;
  }

  /** Registers a handler on the channel's dispatcher (see RequestDispatcher.register). */
  register(rule: string | typeof RequestDispatcher.FALLBACK, handler: PlainHandler, options?: RegisterOptions): this;
  register(rule: string | typeof RequestDispatcher.FALLBACK, handler: StreamingHandler, options?: RegisterOptions): this;
  register(rule: string | typeof RequestDispatcher.FALLBACK, handler: Handler, options: RegisterOptions = {}): this {
    // One implementation for both forms; the dispatcher tells them apart by arity.
    this.dispatcher.register(rule, handler as PlainHandler, options);
    return this;
  }

  /** Adds a peer for calls without `hostport`: for every service, or only for calls to `service`. */
  addPeer(hostPort: string, service?: string): void {
    this.peers.add(hostPort, service);
  }

  /** Removes a peer added with `addPeer` or `knownPeers`. */
  removePeer(hostPort: string, service?: string): void {
    this.peers.remove(hostPort, service);
  }

  /**
   * Starts accepting connections. Resolves with the bound `host:port`.
   * @throws AlreadyListeningError if the channel already listens.
   */
  async listen(options: { host?: string; port?: number } = {}): Promise<string> {
    if (this.state === 'listening') throw new AlreadyListeningError(`channel "${this.name}" already listens on ${this.hostPort}`);
    if (this.isClosed) throw new ChannelClosedError(`channel "${this.name}" is closed`);
    const configured = this.options.hostport === undefined ? undefined : parseHostPort(this.options.hostport);
    const host = options.host ?? configured?.host ?? '127.0.0.1';
    const port = options.port ?? configured?.port ?? 0;
    const server = createServer((socket) => this.accept(socket));
    // Node closes sockets past the cap itself, before a Connection (or any buffer) exists for them.
    server.maxConnections = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new TChannelError('listening socket has no TCP address');
    this.server = server;
    this.listenHostPort = formatHostPort(address.address, address.port);
    this.state = 'listening';
    return this.listenHostPort;
  }

  /**
   * Makes a call with raw args. Resolves with the response whatever its code (schemes turn a
   * non-zero code into TChannelApplicationError); rejects with a TChannelError for protocol
   * errors, timeouts, cancellation and network failures, after retries allowed by `retryOn`.
   */
  call(options: CallOptions): Promise<CallResponseResult> {
    if (this.isClosed) return Promise.reject(new ChannelClosedError(`channel "${this.name}" is closed`));
    const arg1 = toBytes(options.arg1);
    const tracing = childSpan(options.parentTracing ?? options.parent?.tracing, options.trace ?? this.trace);
    if (this.outgoingInterceptors.length === 0) return this.callNow(options, arg1, tracing);
    return this.sendCall({ ...options, arg1, endpoint: arg1.toString('utf8'), tracing });
  }

  /** The call after interceptors: plan, then attempts with retries. */
  private callNow(options: CallOptions, arg1: Buffer, tracing: Tracing): Promise<CallResponseResult> {
    let plan: CallPlan;
    try {
      plan = this.plan(options, tracing, arg1);
    } catch (err) {
      return Promise.reject(err);
    }
    const args = [plan.arg1, toBytes(options.arg2), toBytes(options.arg3)] as const;
    const retryLimit = options.retryLimit ?? (options.hostport === undefined ? DEFAULT_RETRY_LIMIT : 0);
    return this.attempt(plan, retryLimit, (connection, start, hostPort) =>
      connection.request(start, args, (head) => ({
        code: head.code,
        arg2: head.args.completed(1) ?? EMPTY,
        arg3: head.args.completed(2) ?? EMPTY,
        headers: head.headers,
        hostPort,
        tracing: plan.tracing,
      })),
    );
  }

  /**
   * Makes a call whose arg2/arg3 may be streams (Readables or async iterables, sent as they are
   * produced and paced by the peer), and resolves at the first response frame with a response
   * whose args can be read as streams as they arrive. A streamed call is never retried (its
   * body cannot be replayed); `timeout` bounds the whole exchange.
   */
  async callStreaming(options: StreamingCallOptions): Promise<StreamingCallResponse> {
    const plan = this.plan(options, childSpan(options.parentTracing ?? options.parent?.tracing, options.trace ?? this.trace), toBytes(options.arg1));
    const failure = new AbortController();
    const signal = plan.signal === undefined ? failure.signal : AbortSignal.any([plan.signal, failure.signal]);
    return this.attempt({ ...plan, signal }, 0, async (connection, start, hostPort) => {
      const { message, response } = connection.requestStreaming(start, plan.arg1);
      void (async () => {
        await writeArg(message, 1, options.arg2);
        await writeArg(message, 2, options.arg3);
        message.end();
      })().catch((err: unknown) =>
        failure.abort(new StreamingError(`request stream failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })),
      );
      const head = await response;
      return new StreamingCallResponse(head, hostPort, plan.tracing);
    });
  }

  /**
   * Validates options and fixes what every attempt of a call shares. A call made with `parent`
   * (the request being handled) inherits its deadline, its cancellation and its trace.
   */
  private plan(options: CallOptions | StreamingCallOptions, tracing: Tracing, arg1: Buffer): CallPlan {
    if (this.isClosed) throw new ChannelClosedError(`channel "${this.name}" is closed`);
    const parent = options.parent;
    let timeout = options.timeout ?? (parent === undefined ? this.timeout : parent.timeLeft);
    if (parent !== undefined) timeout = Math.min(timeout, parent.timeLeft);
    if (!(timeout >= 0) || !Number.isFinite(timeout)) throw new TChannelError(`timeout must be a positive number of ms, got ${timeout}`);
    const retryOn = options.retryOn ?? DEFAULT_RETRY_ON;
    if (!isRetryOn(retryOn)) throw new TChannelError(`invalid retryOn "${String(retryOn)}": use 'c', 't', 'ct', 'tc' or 'n'`);
    if (arg1.length > MAX_ARG1_BYTES) throw new ArgTooLargeError(`arg1 is ${arg1.length} bytes; the limit is 16 KiB`);
    const startedAt = performance.now();
    const signals = [options.signal, parent?.signal].filter((s): s is AbortSignal => s !== undefined);
    return {
      service: options.service,
      hostport: options.hostport,
      arg1,
      endpoint: arg1.toString('utf8'),
      timeout,
      retryOn,
      startedAt,
      deadline: startedAt + timeout,
      tracing,
      headers: options.headers === undefined ? this.baseHeaders(options.scheme, retryOn) : { ...options.headers, as: options.scheme, cn: this.name, re: retryOn },
      checksumType: options.checksumType ?? this.checksumType,
      signal: signals.length === 0 ? undefined : signals.length === 1 ? signals[0] : AbortSignal.any(signals),
    };
  }

  /**
   * Runs `send` on a peer's connection, and again on peers not yet tried while the error is
   * retryable, attempts remain and the deadline has not passed. Each attempt's ttl is the time left.
   */
  private async attempt<T>(
    plan: CallPlan,
    retryLimit: number,
    send: (connection: Connection, start: OutboundCallStart, hostPort: string) => Promise<T>,
  ): Promise<T> {
    // One async function per call that also counts itself in flight: each extra async layer on
    // this path costs a promise per call.
    this.inflightOutbound++;
    try {
      const { service, endpoint, signal } = plan;
      let tried: Set<string> | undefined;
      let lastError: TChannelError | undefined;
      for (let attempt = 0; ; attempt++) {
        const timeLeft = plan.deadline - performance.now();
        const peer = plan.hostport === undefined ? this.peers.choose(service, tried ?? NONE_TRIED) : this.peers.peerFor(plan.hostport);
        // Built only when an error needs it: this runs for every call.
        const describe = (): string => `call to service "${service}" endpoint "${endpoint}" at ${peer?.hostPort ?? 'no peer'}`;
        const timeoutError = (): TimeoutError =>
          new TimeoutError(`${describe()} timed out after ${Math.round(performance.now() - plan.startedAt)} ms (timeout ${plan.timeout} ms)`, {
            service,
            endpoint,
            ...(peer === undefined ? {} : { peer: peer.hostPort }),
          });
        try {
          if (signal?.aborted) throw abortError(signal, `${describe()} was aborted`, service, endpoint);
          if (timeLeft <= 0) throw timeoutError();
          if (peer === undefined) {
            // Out of peers after attempts that were answered (busy, declined, timeout): that answer is
            // the call's outcome. NoAvailablePeerError only when no peer could be reached at all.
            if (lastError !== undefined && !(lastError instanceof NetworkError)) throw lastError;
            throw new NoAvailablePeerError(
              this.peers.candidates(service).length === 0
                ? `no peers to call service "${service}": pass hostport, knownPeers or addPeer()`
                : `no available peer for service "${service}" (tried ${[...(tried ?? NONE_TRIED)].join(', ')}${lastError === undefined ? '' : `; last error: ${lastError.message}`})`,
              lastError === undefined ? {} : { cause: lastError },
            );
          }
          if (retryLimit > 0) (tried ??= new Set()).add(peer.hostPort);
          const onAbort = signal === undefined ? undefined : () => abortError(signal, `${describe()} was aborted`, service, endpoint, peer.hostPort);
          const ready = peer.readyConnection();
          const connection =
            ready ?? (await withTimeout(peer.getConnection(), timeLeft, timeoutError, signal === undefined || onAbort === undefined ? undefined : { signal, onAbort }));
          // No wait happened on a ready connection: the time left is still `timeLeft`.
          const left = ready === undefined ? plan.deadline - performance.now() : timeLeft;
          // One object shape for every call (no conditional spreads): this runs per call.
          const start: OutboundCallStart = {
            head: { kind: 'request', ttl: Math.max(1, Math.ceil(left)), tracing: plan.tracing, service, headers: plan.headers },
            checksumType: plan.checksumType,
            timeoutMs: left,
            onTimeout: timeoutError,
            signal,
            onAbort,
          };
          return await send(connection, start, peer.hostPort);
        } catch (err) {
          const error = withCallContext(TChannelError.from(err), describe(), service, endpoint, peer?.hostPort);
          // No peer left is final: retrying would only choose none again.
          if (attempt >= retryLimit || signal?.aborted || peer === undefined || !shouldRetry(err, plan.retryOn)) throw error;
          lastError = error;
        }
      }
    } finally {
      this.inflightOutbound--;
      this.notifyIdle();
    }
  }

  /**
   * Closes gracefully: stops accepting connections and calls at once (new requests are answered
   * declined, new calls rejected with ChannelClosedError), lets calls in flight finish for up to
   * `gracePeriod` ms, then closes every connection; calls still running then fail with a network
   * error. Calling it again returns the same promise.
   */
  close(options: { gracePeriod?: number } = {}): Promise<void> {
    if (this.closing === undefined) this.closing = this.shutDown(options.gracePeriod ?? this.options.gracePeriod ?? DEFAULT_GRACE_PERIOD_MS);
    return this.closing;
  }

  private async shutDown(gracePeriod: number): Promise<void> {
    this.state = 'closing';
    const server = this.server;
    this.server = undefined;
    const serverClosed = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.inflightInbound + this.inflightOutbound > 0 && gracePeriod > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, gracePeriod);
        }),
      ]);
      clearTimeout(timer);
    }
    this.state = 'closed';
    this.monitor.stop();
    for (const connection of [...this.connections]) connection.close();
    this.connections.clear();
    this.peers.closeAll();
    await serverClosed;
  }

  /** The transport headers of calls without extra headers: one frozen object per scheme and retry flags, encoded once. */
  private baseHeaders(scheme: string, retryOn: RetryOn): Headers {
    let byRetry = this.headerCache.get(scheme);
    if (byRetry === undefined) {
      byRetry = new Map();
      this.headerCache.set(scheme, byRetry);
    }
    let headers = byRetry.get(retryOn);
    if (headers === undefined) {
      headers = Object.freeze({ as: scheme, cn: this.name, re: retryOn });
      byRetry.set(retryOn, headers);
    }
    return headers;
  }

  private notifyIdle(): void {
    if (this.inflightInbound + this.inflightOutbound > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Peers the channel has talked to and their load, for inspection. */
  peerStats(): PeerStats[] {
    return this.peers.stats();
  }

  private accept(socket: Socket): void {
    if (this.isClosed) {
      socket.destroy();
      return;
    }
    const connection = this.track(socket, 'inbound');
    connection.ready.then(
      () => {
        const peerHostPort = connection.peer?.hostPort;
        // A peer that listens can be called back over the connection it opened. host_port is the
        // peer's own claim: one that does not parse is not an address to call (and peerFor would
        // throw it here as an unhandled rejection, which ends the process).
        if (peerHostPort !== undefined && peerHostPort !== EPHEMERAL_HOST_PORT && !connection.isClosed && isHostPort(peerHostPort)) {
          this.peers.peerFor(peerHostPort).add(connection);
        }
      },
      () => undefined,
    );
  }

  private track(socket: Socket, direction: 'inbound' | 'outbound', remoteHostPort?: string): Connection {
    const connection = new Connection(socket, {
      direction,
      ...(remoteHostPort === undefined ? {} : { remoteHostPort }),
      localHostPort: this.hostPort,
      processName: this.processName,
      maxMessageBytes: this.maxMessageBytes,
      initTimeoutMs: this.initTimeout,
      maxInboundCalls: this.options.maxCallsPerConnection ?? DEFAULT_MAX_INBOUND_CALLS,
      onInboundCall: this.onInboundCall,
      onClose: (closed, error) => {
        this.connections.delete(closed);
        this.peers.detach(closed);
        this.emit('connectionClose', closed, error);
      },
    });
    this.connections.add(connection);
    this.emit('connection', connection);
    return connection;
  }

  private readonly onInboundCall = (call: InboundCall): void => {
    if (this.isClosed) {
      call.sendError(ErrorCode.Declined, `channel "${this.name}" is closing`);
      return;
    }
    const limit = this.options.maxConcurrentRequests;
    if (limit !== undefined && this.inflightInbound >= limit) {
      call.sendError(ErrorCode.Busy, `channel "${this.name}" is handling ${this.inflightInbound} requests, its limit`);
      return;
    }
    this.inflightInbound++;
    const request = new Request(call, this.schemes);
    const response = new Response(call);
    this.dispatch(request, response)
      .then(
        (result) => {
          if (result === undefined) return;
          try {
            const scheme = this.schemes.find(request.scheme);
            call.respond({
              code: result.code ?? 0,
              arg2: result.arg2 !== undefined ? toBytes(result.arg2) : encodeValue(result.headers, scheme?.encodeHeaders?.bind(scheme), 'headers'),
              arg3: result.arg3 !== undefined ? toBytes(result.arg3) : encodeValue(result.body, scheme?.encodeBody?.bind(scheme), 'body'),
              ...(result.transportHeaders === undefined ? {} : { headers: result.transportHeaders }),
            });
          } catch (err) {
            // A result the scheme cannot encode is the handler's failure: answer, never crash.
            answerWithError(call, request, err);
          }
        },
        (err: unknown) => answerWithError(call, request, err),
      )
      .finally(() => {
        this.inflightInbound--;
        this.notifyIdle();
      });
  };
}

/**
 * Turns a handler's failure into an error frame (also mid-stream: the caller's call then fails).
 * A TChannelError answers with its code; anything else is unexpected (0x05), with the message.
 */
function answerWithError(call: InboundCall, request: Request, err: unknown): void {
  if (err instanceof TChannelError) {
    // A fatal code is about a connection, not a call; a handler cannot close the connection.
    const code = err.code === ErrorCode.FatalProtocolError || err.code === ErrorCode.Invalid ? ErrorCode.UnexpectedError : err.code;
    call.sendError(code, err.message);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  call.sendError(ErrorCode.UnexpectedError, `handler for endpoint "${request.endpoint}" failed: ${message}`);
}

/** A plain handler's `headers` or `body`: the scheme encodes it; without an encoder, bytes or a string are sent as they are. */
function encodeValue(value: unknown, encode: ((value: unknown) => Buffer) | undefined, what: string): Buffer {
  if (value === undefined) return EMPTY;
  if (encode !== undefined) return encode(value);
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value);
  throw new TChannelError(`the handler's ${what} must be a Buffer or string: the request's scheme has no encoder for it`);
}
const NONE_TRIED: ReadonlySet<string> = new Set();

/** What every attempt of one call shares. */
interface CallPlan {
  readonly service: string;
  readonly hostport: string | undefined;
  readonly arg1: Buffer;
  readonly endpoint: string;
  readonly timeout: number;
  readonly retryOn: RetryOn;
  readonly startedAt: number;
  readonly deadline: number;
  readonly tracing: Tracing;
  readonly headers: Headers;
  readonly checksumType: ChecksumType;
  readonly signal: AbortSignal | undefined;
}

/**
 * Error frames carry only the peer's text; name the call in the message so a log line says which
 * service, endpoint and peer failed.
 */
function withCallContext(error: TChannelError, describe: string, service: string, endpoint: string, peer: string | undefined): TChannelError {
  if (!(error instanceof ProtocolError) || error.service !== undefined) return error;
  return protocolErrorFor(error.code, `${describe} failed: ${error.message}`, {
    service,
    endpoint,
    ...(peer === undefined ? {} : { peer }),
    ...(error.id === undefined ? {} : { id: error.id }),
    cause: error,
  });
}

/** The error for an aborted call: the signal's reason if it is a TChannelError, else CancelledError. */
function abortError(signal: AbortSignal, message: string, service: string, endpoint: string, peer?: string): TChannelError {
  if (signal.reason instanceof TChannelError) return signal.reason;
  return new CancelledError(message, { service, endpoint, ...(peer === undefined ? {} : { peer }), cause: signal.reason });
}

async function writeArg(message: OutgoingMessage, index: number, value: Buffer | string | ArgSource | undefined): Promise<void> {
  if (value === undefined) return;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    message.write(index, toBytes(value));
    return;
  }
  await pumpArg(message, index, value);
}

/** `promise`, or `onTimeout()` after `ms`, or `abort.onAbort()` as soon as its signal aborts (e.g. while a connection is being set up). */
function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  onTimeout: () => TChannelError,
  abort?: { readonly signal: AbortSignal; readonly onAbort: () => TChannelError },
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    // On the shared timer wheel, like every other deadline.
    const deadline = scheduleDeadline(ms, () => reject(onTimeout()));
    const signal = abort?.signal;
    const aborted = (): void => {
      deadline.cancel();
      if (abort !== undefined) reject(abort.onAbort());
    };
    signal?.addEventListener('abort', aborted, { once: true });
    promise.then(
      (value) => {
        deadline.cancel();
        signal?.removeEventListener('abort', aborted);
        resolve(value);
      },
      (err: unknown) => {
        deadline.cancel();
        signal?.removeEventListener('abort', aborted);
        reject(err instanceof TChannelError ? err : new NetworkError(String(err)));
      },
    );
  });
}

import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { Connection, formatHostPort, type OutboundCallStart } from '../connection/connection';
import { pumpArg, type OutgoingMessage } from '../connection/outgoing-message';
import type { ArgSource } from '../dispatch/response';
import type { InboundCall } from '../connection/inbound-call';
import { EPHEMERAL_HOST_PORT } from '../connection/init-headers';
import type { Handler, PlainHandler, StreamingHandler } from '../dispatch/handler';
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
import { CancelledError, NetworkError, TimeoutError } from '../errors/protocol-errors';
import { TChannelError } from '../errors/tchannel-error';
import { MAX_ARG1_BYTES } from '../message/message-head';
import type { ArgScheme } from '../scheme/arg-scheme';
import { SchemeRegistry } from '../scheme/scheme-registry';
import { ChecksumType } from '../wire/checksum-type';
import { ErrorCode } from '../wire/error-code';
import type { Headers } from '../wire/headers';
import type { Tracing } from '../wire/tracing';
import type { CallOptions, CallResponseResult, StreamingCallOptions } from './call-options';
import { parseHostPort } from './host-port';
import { Peer } from './peer';
import { DEFAULT_RETRY_LIMIT, DEFAULT_RETRY_ON, isRetryOn, shouldRetry, type RetryOn } from './retry-policy';
import { StreamingCallResponse } from './streaming-call-response';
import { childSpan } from './trace-ids';

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
  /** Arg schemes to register (scheme packages also register themselves when constructed). */
  readonly schemes?: readonly ArgScheme[];
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_INIT_TIMEOUT_MS = 5_000;
/** A peer whose last connect failed this recently is tried only when no other peer is left. */
const FAILED_PEER_BACKOFF_MS = 1_000;

type ChannelState = 'idle' | 'listening' | 'closed';

/**
 * A TChannel endpoint: calls out to peers and, once listening, serves requests through its
 * dispatcher. One channel holds one connection pool; connections are reused per host:port.
 */
export class TChannel {
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
  private readonly peers = new Map<string, Peer>();
  private readonly knownPeers: string[];
  private readonly connections = new Set<Connection>();
  private readonly initTimeout: number;

  constructor(private readonly options: TChannelOptions) {
    if (!options.name) throw new TChannelError('a channel needs a service name');
    this.name = options.name;
    this.processName = options.processName ?? `${options.name}[${process.pid}]`;
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT_MS;
    this.checksumType = options.checksumType ?? ChecksumType.Crc32c;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.initTimeout = options.initTimeout ?? DEFAULT_INIT_TIMEOUT_MS;
    this.trace = options.trace ?? false;
    this.knownPeers = [...(options.knownPeers ?? [])];
    for (const scheme of options.schemes ?? []) this.schemes.register(scheme);
  }

  /** Our host_port: the listening address, or 0.0.0.0:0 for a client-only channel. */
  get hostPort(): string {
    return this.listenHostPort ?? EPHEMERAL_HOST_PORT;
  }

  get isListening(): boolean {
    return this.state === 'listening';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Registers a handler on the channel's dispatcher (see RequestDispatcher.register). */
  register(rule: string | typeof RequestDispatcher.FALLBACK, handler: PlainHandler, options?: RegisterOptions): this;
  register(rule: string | typeof RequestDispatcher.FALLBACK, handler: StreamingHandler, options?: RegisterOptions): this;
  register(rule: string | typeof RequestDispatcher.FALLBACK, handler: Handler, options: RegisterOptions = {}): this {
    // One implementation for both forms; the dispatcher tells them apart by arity.
    this.dispatcher.register(rule, handler as PlainHandler, options);
    return this;
  }

  /** Adds a peer for calls without `hostport`. */
  addPeer(hostPort: string): void {
    parseHostPort(hostPort);
    if (!this.knownPeers.includes(hostPort)) this.knownPeers.push(hostPort);
  }

  /**
   * Starts accepting connections. Resolves with the bound `host:port`.
   * @throws AlreadyListeningError if the channel already listens.
   */
  async listen(options: { host?: string; port?: number } = {}): Promise<string> {
    if (this.state === 'listening') throw new AlreadyListeningError(`channel "${this.name}" already listens on ${this.hostPort}`);
    if (this.state === 'closed') throw new ChannelClosedError(`channel "${this.name}" is closed`);
    const configured = this.options.hostport === undefined ? undefined : parseHostPort(this.options.hostport);
    const host = options.host ?? configured?.host ?? '127.0.0.1';
    const port = options.port ?? configured?.port ?? 0;
    const server = createServer((socket) => this.accept(socket));
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
  async call(options: CallOptions): Promise<CallResponseResult> {
    const plan = this.plan(options);
    const args = [plan.arg1, toBuffer(options.arg2), toBuffer(options.arg3)] as const;
    const retryLimit = options.retryLimit ?? (options.hostport === undefined ? DEFAULT_RETRY_LIMIT : 0);
    return this.attempt(plan, retryLimit, async (connection, start, hostPort) => {
      const response = await connection.request({ ...start, args });
      return { code: response.code, arg2: response.args[1], arg3: response.args[2], headers: response.headers, hostPort, tracing: plan.tracing };
    });
  }

  /**
   * Makes a call whose arg2/arg3 may be streams (Readables or async iterables, sent as they are
   * produced and paced by the peer), and resolves at the first response frame with a response
   * whose args can be read as streams as they arrive. A streamed call is never retried (its
   * body cannot be replayed); `timeout` bounds the whole exchange.
   */
  async callStreaming(options: StreamingCallOptions): Promise<StreamingCallResponse> {
    const plan = this.plan(options);
    const failure = new AbortController();
    const signal = options.signal === undefined ? failure.signal : AbortSignal.any([options.signal, failure.signal]);
    return this.attempt({ ...plan, signal }, 0, async (connection, start, hostPort) => {
      const { message, response } = connection.requestStreaming(start, plan.arg1);
      void (async () => {
        await writeArg(message, 1, options.arg2);
        await writeArg(message, 2, options.arg3);
        message.end();
      })().catch((err: unknown) => failure.abort(new StreamingError(`request stream failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })));
      const head = await response;
      return new StreamingCallResponse(head, hostPort, plan.tracing);
    });
  }

  /** Validates options and fixes what every attempt of a call shares. */
  private plan(options: CallOptions | StreamingCallOptions): CallPlan {
    if (this.state === 'closed') throw new ChannelClosedError(`channel "${this.name}" is closed`);
    const timeout = options.timeout ?? this.timeout;
    if (!(timeout > 0) || !Number.isFinite(timeout)) throw new TChannelError(`timeout must be a positive number of ms, got ${timeout}`);
    const retryOn = options.retryOn ?? DEFAULT_RETRY_ON;
    if (!isRetryOn(retryOn)) throw new TChannelError(`invalid retryOn "${String(retryOn)}": use 'c', 't', 'ct', 'tc' or 'n'`);
    const arg1 = toBuffer(options.arg1);
    if (arg1.length > MAX_ARG1_BYTES) throw new ArgTooLargeError(`arg1 is ${arg1.length} bytes; the limit is 16 KiB`);
    const startedAt = performance.now();
    return {
      service: options.service,
      hostport: options.hostport,
      arg1,
      endpoint: arg1.toString('utf8'),
      timeout,
      retryOn,
      startedAt,
      deadline: startedAt + timeout,
      tracing: childSpan(options.parentTracing, options.trace ?? this.trace),
      headers: { ...options.headers, as: options.scheme, cn: this.name, re: retryOn },
      checksumType: options.checksumType ?? this.checksumType,
      signal: options.signal,
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
    const { service, endpoint, signal } = plan;
    const tried = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const timeLeft = plan.deadline - performance.now();
      const peer = plan.hostport === undefined ? this.choosePeer(tried) : this.peerFor(plan.hostport);
      const describe = `call to service "${service}" endpoint "${endpoint}" at ${peer?.hostPort ?? 'no peer'}`;
      const timeoutError = (): TimeoutError =>
        new TimeoutError(`${describe} timed out after ${Math.round(performance.now() - plan.startedAt)} ms (timeout ${plan.timeout} ms)`, {
          service,
          endpoint,
          ...(peer === undefined ? {} : { peer: peer.hostPort }),
        });
      try {
        if (signal?.aborted) throw abortError(signal, `${describe} was aborted`, service, endpoint);
        if (timeLeft <= 0) throw timeoutError();
        if (peer === undefined) {
          throw new NoAvailablePeerError(
            this.knownPeers.length === 0
              ? `no peers to call service "${service}": pass hostport or knownPeers`
              : `no available peer for service "${service}" (tried ${[...tried].join(', ')})`,
          );
        }
        tried.add(peer.hostPort);
        const connection = await withTimeout(peer.getConnection(), timeLeft, timeoutError);
        const start: OutboundCallStart = {
          head: { kind: 'request', ttl: Math.max(1, Math.ceil(plan.deadline - performance.now())), tracing: plan.tracing, service, headers: plan.headers },
          checksumType: plan.checksumType,
          timeoutMs: plan.deadline - performance.now(),
          onTimeout: timeoutError,
          ...(signal === undefined ? {} : { signal, onAbort: () => abortError(signal, `${describe} was aborted`, service, endpoint, peer.hostPort) }),
        };
        return await send(connection, start, peer.hostPort);
      } catch (err) {
        if (attempt >= retryLimit || signal?.aborted || !shouldRetry(err, plan.retryOn)) throw TChannelError.from(err);
      }
    }
  }

  /**
   * Stops listening and closes every connection. Outstanding calls fail with a network error.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    const server = this.server;
    this.server = undefined;
    for (const connection of [...this.connections]) connection.close();
    this.connections.clear();
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Peers known to the channel and their load, for inspection. */
  peerStats(): Array<{ hostPort: string; connected: boolean; pending: number; connections: number }> {
    return [...this.peers.values()].map((peer) => ({
      hostPort: peer.hostPort,
      connected: peer.isConnected,
      pending: peer.pending,
      connections: peer.connectionCount,
    }));
  }

  private accept(socket: Socket): void {
    if (this.state === 'closed') {
      socket.destroy();
      return;
    }
    const connection = this.track(socket, 'inbound');
    connection.ready.then(
      () => {
        const peerHostPort = connection.peer?.hostPort;
        // A peer that listens can be called back over the connection it opened.
        if (peerHostPort !== undefined && peerHostPort !== EPHEMERAL_HOST_PORT && !connection.isClosed) {
          this.peerFor(peerHostPort).add(connection);
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
      onInboundCall: this.onInboundCall,
      onClose: (closed) => {
        this.connections.delete(closed);
        const hostPort = closed.peer?.hostPort;
        if (hostPort !== undefined) this.peers.get(hostPort)?.remove(closed);
      },
    });
    this.connections.add(connection);
    return connection;
  }

  private peerFor(hostPort: string): Peer {
    let peer = this.peers.get(hostPort);
    if (peer === undefined) {
      const { host, port } = parseHostPort(hostPort);
      peer = new Peer(hostPort, () => {
        return this.track(netConnect({ host, port }), 'outbound', hostPort);
      });
      this.peers.set(hostPort, peer);
    }
    return peer;
  }

  /**
   * Chooses a known peer not yet tried by this call: connected peers before unconnected ones,
   * then the fewest calls in flight, ties broken at random so load spreads. Peers that failed to
   * connect in the last second come last.
   */
  private choosePeer(tried: ReadonlySet<string>): Peer | undefined {
    let best: Peer | undefined;
    let bestScore = Infinity;
    const now = Date.now();
    for (const hostPort of this.knownPeers) {
      if (tried.has(hostPort)) continue;
      const peer = this.peerFor(hostPort);
      const recentlyFailed = now - peer.lastFailureAt < FAILED_PEER_BACKOFF_MS;
      const score = (recentlyFailed ? 1e9 : 0) + (peer.isConnected ? 0 : 1e6) + peer.pending + Math.random();
      if (score < bestScore) {
        best = peer;
        bestScore = score;
      }
    }
    return best;
  }

  private readonly onInboundCall = (call: InboundCall): void => {
    if (this.state === 'closed') {
      call.sendError(ErrorCode.Declined, `channel "${this.name}" is closing`);
      return;
    }
    const request = new Request(call, this.schemes);
    const response = new Response(call);
    this.dispatcher.dispatch(request, response).then(
      (result) => {
        if (result === undefined) return;
        call.respond({
          code: result.code ?? 0,
          arg2: toBuffer(result.arg2),
          arg3: toBuffer(result.arg3),
          ...(result.headers === undefined ? {} : { headers: result.headers }),
        });
      },
      (err: unknown) => answerWithError(call, request, err),
    );
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

const EMPTY = Buffer.alloc(0);

function toBuffer(value: Buffer | string | undefined): Buffer {
  if (value === undefined) return EMPTY;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

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

/** The error for an aborted call: the signal's reason if it is a TChannelError, else CancelledError. */
function abortError(signal: AbortSignal, message: string, service: string, endpoint: string, peer?: string): TChannelError {
  if (signal.reason instanceof TChannelError) return signal.reason;
  return new CancelledError(message, { service, endpoint, ...(peer === undefined ? {} : { peer }), cause: signal.reason });
}

async function writeArg(message: OutgoingMessage, index: number, value: Buffer | string | ArgSource | undefined): Promise<void> {
  if (value === undefined) return;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    message.write(index, toBuffer(value));
    return;
  }
  await pumpArg(message, index, value);
}

function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => TChannelError): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof TChannelError ? err : new NetworkError(String(err)));
      },
    );
  });
}

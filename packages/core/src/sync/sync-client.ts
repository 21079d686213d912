import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import { parseHostPort } from '../channel/host-port';
import type { RetryOn } from '../channel/retry-policy';
import { TChannelApplicationError } from '../errors/application-error';
import { ChannelClosedError } from '../errors/local-errors';
import { TimeoutError } from '../errors/protocol-errors';
import { TChannelError } from '../errors/tchannel-error';
import type { ChecksumType } from '../wire/checksum-type';
import type { Headers } from '../wire/headers';
import { reviveError } from './sync-errors';
import { SyncFuture, type SyncOutcome } from './sync-future';
import {
  CONTROL_WORDS,
  SEQ,
  toTransferable,
  type CallMessage,
  type MainToWorker,
  type SyncChannelOptions,
  type WireArg,
  type WorkerToMain,
} from './sync-protocol';
import { startSyncWorker } from './worker-loader';

/**
 * Options of a TChannelSyncClient: those of tchannel-python's `TChannelSyncClient(name,
 * process_name, known_peers, trace)` plus the default call timeout and a few transport settings,
 * with the meaning they have on TChannel.
 */
export type TChannelSyncClientOptions = SyncChannelOptions;

/** One call target, as tchannel-python's `TChannelSyncClient.request(hostport, service)`. */
export interface SyncRequestOptions {
  /** The service to call. */
  readonly service: string;
  /** Call this peer; otherwise one of the client's `knownPeers` is chosen. */
  readonly hostport?: string | undefined;
  /** The `as` transport header. Defaults to 'raw'; args are sent as given whatever the scheme. */
  readonly scheme?: string | undefined;
  /** Deadline in ms for the call, retries included. Defaults to the client's `timeout`. */
  readonly timeout?: number | undefined;
  /** When to retry (see CallOptions.retryOn). */
  readonly retryOn?: RetryOn | undefined;
  /** Extra attempts allowed after the first (see CallOptions.retryLimit). */
  readonly retryLimit?: number | undefined;
  /** Extra transport headers (`sk`, `rd`...). */
  readonly headers?: Headers | undefined;
  /** Checksum for the request's frames. */
  readonly checksumType?: ChecksumType | undefined;
  /** Whether the call's trace is sampled. Defaults to the client's `trace`. */
  readonly trace?: boolean | undefined;
}

/** An arg of `send()`: bytes, a UTF-8 string, or nothing (sent empty, as Python's None). */
export type SyncArg = string | Uint8Array | null | undefined;

/** How long `close()` waits beyond the grace period for the worker to confirm it has closed. */
const CLOSE_CONFIRM_MS = 2_000;

/**
 * A call target bound to a client; `send()` makes the call. Made by `TChannelSyncClient.request()`.
 */
export class SyncClientOperation {
  /** @internal */
  constructor(
    readonly options: SyncRequestOptions,
    private readonly start: (options: SyncRequestOptions, args: readonly [SyncArg, SyncArg, SyncArg]) => SyncFuture,
  ) {}

  /**
   * Sends the triple. Never blocks: the call starts in the worker thread at once and the returned
   * future's `result()` blocks until it ends.
   * @param arg1 the endpoint.
   * @param arg2 application headers, encoded for the scheme (empty when null/undefined).
   * @param arg3 the body, encoded for the scheme (empty when null/undefined).
   * @throws TChannelError (synchronously) when an arg is not a string, bytes, null or undefined.
   */
  send(arg1: SyncArg, arg2?: SyncArg, arg3?: SyncArg): SyncFuture {
    return this.start(this.options, [arg1, arg2, arg3]);
  }
}

interface Pending {
  readonly settle: (outcome: SyncOutcome) => void;
  readonly service: string;
  readonly endpoint: string;
}

/**
 * A client whose calls block the calling thread, as tchannel-python's
 * `tchannel.sync.client.TChannelSyncClient`: for scripts and code that cannot await.
 *
 * ```ts
 * const client = new TChannelSyncClient({ name: 'my-script' });
 * const future = client.request({ hostport: '127.0.0.1:4040', service: 'echo' }).send('echo', null, 'hi');
 * const { header, body } = future.result(); // blocks
 * client.close();
 * ```
 *
 * How: a worker thread (node:worker_threads) owns a real TChannel and runs its event loop. `send()`
 * posts the call to it over a MessagePort; `result()` blocks with `Atomics.wait` on a shared control
 * word that the worker bumps after posting each outcome, then reads the outcomes synchronously with
 * `receiveMessageOnPort`. Errors cross as data and are rebuilt as the same TChannelError subclass
 * in the calling thread, so `instanceof BadRequestError` etc. hold. See worker-loader.ts for how the
 * worker loads its code from `dist/` or from the TypeScript sources.
 *
 * Like Python's, it is a client only: it neither listens nor serves.
 *
 * Not provided: tchannel-python's `advertise(routers, name, timeout)`. Advertising is Hyperbahn's
 * protocol, which lives in @tchannel/hyperbahn, and @tchannel/core must not depend on it; advertise
 * with @tchannel/hyperbahn on an async TChannel instead.
 *
 * The worker does not keep the process alive; call `close()` to end it and its connections.
 */
export class TChannelSyncClient {
  /** The client's service name (the `cn` of its calls). */
  readonly name: string;
  /** Resolves with the worker thread's exit code once it has ended (after `close()`, or if it dies). */
  readonly exited: Promise<number>;

  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * Int32Array.BYTES_PER_ELEMENT));
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** Set when the worker reported 'closed'. */
  private workerClosed = false;
  /** Set when the worker can no longer answer: every pending and later call fails with it. */
  private failure: TChannelError | undefined;

  /**
   * Starts the worker thread (non-blocking). A worker that fails to start fails every call with
   * the reason.
   * @throws TChannelError when `name` is empty or a known peer is not a `host:port`.
   */
  constructor(options: TChannelSyncClientOptions) {
    if (!options.name) throw new TChannelError('a channel needs a service name');
    // Checked here so a bad peer throws now rather than failing the worker's TChannel later.
    for (const hostPort of options.knownPeers ?? []) parseHostPort(hostPort);
    this.name = options.name;
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = startSyncWorker({ port: port2, control: this.control, channel: channelOptions(options) });
    this.worker.unref();
    this.worker.on('error', (err) => this.fail(TChannelError.from(err)));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        if (this.state !== 'closed') {
          this.drain();
          this.fail(new ChannelClosedError(`the sync client worker exited (code ${code})`));
        }
        resolve(code);
      });
    });
  }

  /**
   * A call target: `client.request({ hostport, service }).send(arg1, arg2, arg3)`.
   * @throws TChannelError when `service` is not a string.
   */
  request(options: SyncRequestOptions): SyncClientOperation {
    if (typeof options.service !== 'string') throw new TChannelError('request() needs a service name');
    return new SyncClientOperation(options, (opts, args) => this.start(opts, args));
  }

  /**
   * Closes the client, blocking until the worker has closed its channel (calls still running get
   * `gracePeriod` ms to finish, then fail with a network or channel-closed error that their futures
   * report), then terminates the worker. Later `send()`s fail with ChannelClosedError. Idempotent.
   * @param options.gracePeriod ms that calls in flight may still take; default 0.
   */
  close(options: { readonly gracePeriod?: number } = {}): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    const gracePeriod = options.gracePeriod ?? 0;
    if (this.failure === undefined) {
      this.send({ type: 'close', gracePeriod });
      try {
        this.wait(() => this.workerClosed || this.failure !== undefined, gracePeriod + CLOSE_CONFIRM_MS);
      } catch {
        // The worker did not confirm in time: it is terminated below all the same.
      }
    }
    this.state = 'closed';
    this.failPending(new ChannelClosedError(`sync client "${this.name}" is closed`));
    this.port.close();
    this.worker.terminate().then(undefined, () => undefined);
  }

  private start(options: SyncRequestOptions, args: readonly [SyncArg, SyncArg, SyncArg]): SyncFuture {
    const transfer: ArrayBuffer[] = [];
    const [arg1, arg2, arg3] = args.map((arg) => wireArg(arg, transfer)) as [WireArg, WireArg, WireArg];
    const id = this.nextId++;
    let settle: (outcome: SyncOutcome) => void = () => undefined;
    const future = new SyncFuture(
      (isDone, timeoutMs) => this.wait(isDone, timeoutMs),
      (settler) => {
        settle = settler;
      },
    );
    if (this.state !== 'open') {
      settle({ ok: false, error: new ChannelClosedError(`sync client "${this.name}" is closed`) });
      return future;
    }
    if (this.failure !== undefined) {
      settle({ ok: false, error: this.failure });
      return future;
    }
    const endpoint = typeof arg1 === 'string' ? arg1 : Buffer.from(arg1).toString('utf8');
    this.pending.set(id, { settle, service: options.service, endpoint });
    const message: CallMessage = {
      type: 'call',
      id,
      service: options.service,
      scheme: options.scheme ?? 'raw',
      arg1,
      arg2,
      arg3,
      hostport: options.hostport,
      timeout: options.timeout,
      retryOn: options.retryOn,
      retryLimit: options.retryLimit,
      headers: options.headers === undefined ? undefined : { ...options.headers },
      checksumType: options.checksumType,
      trace: options.trace,
    };
    this.send(message, transfer);
    return future;
  }

  private send(message: MainToWorker, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(message, transfer);
  }

  /** Blocks the thread until `isDone()` (see SyncWaiter and sync-protocol.ts for the signalling). */
  private wait(isDone: () => boolean, timeoutMs: number | undefined): void {
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) throw new TChannelError(`timeout must be a positive number of ms, got ${timeoutMs}`);
    const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
    for (;;) {
      // Read the word before draining: an outcome posted after the drain has changed it, so the
      // wait below returns at once instead of sleeping through it.
      const seen = Atomics.load(this.control, SEQ);
      this.drain();
      if (isDone()) return;
      const left = deadline - performance.now();
      if (left <= 0) throw new TimeoutError(`no result within ${timeoutMs} ms; the call is still running`);
      Atomics.wait(this.control, SEQ, seen, left);
    }
  }

  /** Takes every message the worker has posted (never blocks). */
  private drain(): void {
    if (this.state === 'closed') return;
    for (let received = receiveMessageOnPort(this.port); received !== undefined; received = receiveMessageOnPort(this.port)) {
      this.handle(received.message as WorkerToMain);
    }
  }

  private handle(message: WorkerToMain): void {
    switch (message.type) {
      case 'result': {
        const pending = this.take(message.id);
        if (pending === undefined) return;
        const header = Buffer.from(message.arg2);
        const body = Buffer.from(message.arg3);
        if (message.code !== 0) {
          const error = new TChannelApplicationError(
            `application error from service "${pending.service}" endpoint "${pending.endpoint}"`,
            message.code,
            header,
            body,
          );
          pending.settle({ ok: false, error });
          return;
        }
        const transportHeaders = Object.freeze({ ...message.headers });
        pending.settle({ ok: true, response: { header, body, code: message.code, hostPort: message.hostPort, transportHeaders } });
        return;
      }
      case 'failure':
        this.take(message.id)?.settle({ ok: false, error: reviveError(message.error) });
        return;
      case 'closed':
        this.workerClosed = true;
        return;
      case 'fatal':
        this.fail(reviveError(message.error));
        return;
    }
  }

  private take(id: number): Pending | undefined {
    const pending = this.pending.get(id);
    this.pending.delete(id);
    return pending;
  }

  /** The worker is gone or broken: fail what is pending and everything sent later. */
  private fail(error: TChannelError): void {
    this.failure ??= error;
    this.failPending(this.failure);
  }

  private failPending(error: TChannelError): void {
    for (const pending of this.pending.values()) pending.settle({ ok: false, error });
    this.pending.clear();
  }
}

/** The cloneable channel options, without keys set to undefined (and nothing else a caller passed). */
function channelOptions(options: TChannelSyncClientOptions): SyncChannelOptions {
  const { name, processName, knownPeers, trace, timeout, checksumType, maxMessageBytes, initTimeout } = options;
  return {
    name,
    ...(processName === undefined ? {} : { processName }),
    ...(knownPeers === undefined ? {} : { knownPeers: [...knownPeers] }),
    ...(trace === undefined ? {} : { trace }),
    ...(timeout === undefined ? {} : { timeout }),
    ...(checksumType === undefined ? {} : { checksumType }),
    ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    ...(initTimeout === undefined ? {} : { initTimeout }),
  };
}

/** An arg as it crosses to the worker: strings as they are, bytes copied into a transferred buffer. */
function wireArg(arg: SyncArg, transfer: ArrayBuffer[]): WireArg {
  if (arg === null || arg === undefined) return '';
  if (typeof arg === 'string') return arg;
  // isView, not instanceof: a Buffer made in another realm (jest's sandbox) is still bytes.
  if (ArrayBuffer.isView(arg)) {
    const copy = toTransferable(new Uint8Array(arg.buffer, arg.byteOffset, arg.byteLength));
    transfer.push(copy);
    return copy;
  }
  throw new TChannelError(`send() args must be strings, bytes, null or undefined, not ${typeof arg}`);
}

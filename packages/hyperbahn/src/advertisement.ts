import { EventEmitter } from 'node:events';
import type { TChannel } from '@tchannel/core';
import { AdvertiseError } from './advertise-error';
import { backoffDelay, intervalDelay, type AdvertiseBackoff, type AdvertiseInterval } from './backoff';
import { HyperbahnEndpoint, type AdvertiseRequestBody } from './hyperbahn-wire';
import { callRouter, type AdvertiseResult } from './router-call';

/** Why an Advertisement stopped. */
export type AdvertisementStopReason =
  /** `stop()` was called. */
  | 'stopped'
  /** The `signal` passed to `advertise()` aborted. */
  | 'aborted'
  /** The channel closed (no `unad` is sent: there is no connection left to send it on). */
  | 'channel-closed';

/** Events an Advertisement emits. There is no `error` event: a failure is never fatal to the loop. */
export interface AdvertisementEvents {
  /** A re-advertisement succeeded. */
  advertised: [result: AdvertiseResult];
  /** A re-advertisement failed on every router tried; the next attempt is in `retryInMs`. */
  failed: [error: AdvertiseError, retryInMs: number];
  /** The advertisement stopped; nothing more is sent (but the `unad` of `stop()`). */
  stopped: [reason: AdvertisementStopReason];
}

/** What an Advertisement needs to keep going, options resolved. */
export interface AdvertisementConfig {
  readonly service: string;
  readonly cost: number;
  readonly routers: readonly string[];
  readonly requestTimeout: number;
  readonly interval: AdvertiseInterval;
  readonly backoff: AdvertiseBackoff;
  readonly signal: AbortSignal | undefined;
  readonly body: AdvertiseRequestBody;
  readonly retryLimit: number;
}

/**
 * A service advertised to Hyperbahn, kept advertised: `ad` again every `interval` (tchannel-go:
 * 50 s + up to 20 s), after a failure sooner, backing off exponentially, until `stop()`, the
 * `signal` aborts or the channel closes. `connectionCount` and `router` are those of the latest
 * successful advertisement.
 *
 * Its timer does not keep the process alive (the channel's listening socket does).
 */
export class Advertisement extends EventEmitter<AdvertisementEvents> implements AdvertiseResult {
  readonly service: string;
  readonly cost: number;
  readonly routers: readonly string[];
  /** Resolves when the advertisement stops, with the reason. Never rejects. */
  readonly stopped: Promise<AdvertisementStopReason>;

  private latest: AdvertiseResult;
  private failures = 0;
  private latestError: AdvertiseError | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<unknown> | undefined;
  private active = true;
  private stopping: Promise<boolean> | undefined;
  private readonly lifetime = new AbortController();
  private readonly resolveStopped: (reason: AdvertisementStopReason) => void;

  /** Made by `advertise()` once the first advertisement succeeded; not meant to be built by hand. */
  constructor(
    private readonly channel: TChannel,
    private readonly config: AdvertisementConfig,
    first: AdvertiseResult,
  ) {
    super();
    this.service = config.service;
    this.cost = config.cost;
    this.routers = config.routers;
    this.latest = first;
    let resolve!: (reason: AdvertisementStopReason) => void;
    this.stopped = new Promise((r) => (resolve = r));
    this.resolveStopped = resolve;
    channel.on('connectionClose', this.onConnectionClose);
    config.signal?.addEventListener('abort', this.onAbort, { once: true });
    if (config.signal?.aborted) this.onAbort();
    else this.schedule(intervalDelay(config.interval));
  }

  /** The latest router's connection count. */
  get connectionCount(): number {
    return this.latest.connectionCount;
  }

  /** The router that answered the latest successful advertisement. */
  get router(): string {
    return this.latest.router;
  }

  /** Failures since the latest success (0 after a success). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** The latest re-advertisement failure, cleared by a success. */
  get lastError(): AdvertiseError | undefined {
    return this.latestError;
  }

  /** True until the advertisement stops. */
  get isActive(): boolean {
    return this.active;
  }

  /**
   * Stops re-advertising (an `ad` in flight is cancelled) and withdraws the service with `unad`,
   * best effort: resolves true when a router acknowledged it, false when it failed or could not
   * be sent (the channel is closed, or the advertisement had already stopped). Never rejects;
   * calling it again returns the same promise.
   */
  stop(): Promise<boolean> {
    return this.stopWith('stopped');
  }

  private stopWith(reason: AdvertisementStopReason): Promise<boolean> {
    if (this.stopping === undefined) this.stopping = this.active ? this.withdraw(reason) : Promise.resolve(false);
    return this.stopping;
  }

  private readonly onAbort = (): void => {
    void this.stopWith('aborted');
  };

  private readonly onConnectionClose = (): void => {
    // The channel has no close event; closing it closes every connection, ours to the routers too.
    if (this.channel.isClosed) this.finish('channel-closed');
  };

  private async withdraw(reason: AdvertisementStopReason): Promise<boolean> {
    const inFlight = this.inFlight;
    this.finish(reason);
    if (this.channel.isClosed) return false;
    // Let the cancelled `ad` settle first, so the router does not see it after the `unad`.
    await inFlight;
    const outcome = await callRouter(this.channel, HyperbahnEndpoint.Unadvertise, this.config.body, {
      timeout: this.config.requestTimeout,
      retryLimit: this.config.retryLimit,
    });
    return outcome.ok;
  }

  /** Stops for good: no timer, no call in flight, no listener left on the channel or the signal. */
  private finish(reason: AdvertisementStopReason): void {
    if (!this.active) return;
    this.active = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lifetime.abort();
    this.channel.off('connectionClose', this.onConnectionClose);
    this.config.signal?.removeEventListener('abort', this.onAbort);
    this.resolveStopped(reason);
    this.emit('stopped', reason);
  }

  private schedule(delay: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.advertiseAgain();
    }, delay);
    this.timer.unref();
  }

  private async advertiseAgain(): Promise<void> {
    if (this.channel.isClosed) {
      this.finish('channel-closed');
      return;
    }
    const call = callRouter(this.channel, HyperbahnEndpoint.Advertise, this.config.body, {
      timeout: this.config.requestTimeout,
      retryLimit: this.config.retryLimit,
      signal: this.lifetime.signal,
    });
    this.inFlight = call;
    const outcome = await call;
    this.inFlight = undefined;
    if (!this.active) return;
    if (this.channel.isClosed) {
      this.finish('channel-closed');
      return;
    }
    if (outcome.ok) {
      this.latest = outcome.value;
      this.failures = 0;
      this.latestError = undefined;
      this.schedule(intervalDelay(this.config.interval));
      this.emit('advertised', outcome.value);
      return;
    }
    this.failures++;
    const delay = backoffDelay(this.config.backoff, this.failures);
    const error = new AdvertiseError(
      `re-advertising service "${this.service}" to Hyperbahn failed (${this.failures} in a row; next attempt in ${delay} ms): ${outcome.error.name}: ${outcome.error.message}`,
      { service: this.service, routers: this.routers, failures: [{ router: outcome.router, error: outcome.error }], attempts: this.failures, cause: outcome.error },
    );
    this.latestError = error;
    this.schedule(delay);
    this.emit('failed', error, delay);
  }
}

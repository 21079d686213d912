import { setTimeout as delay } from 'node:timers/promises';
import { parseHostPort, TChannelError, type TChannel } from '@tchannel/core';
import { AdvertiseError, describeFailures } from './advertise-error';
import { Advertisement, type AdvertisementConfig } from './advertisement';
import {
  backoffDelay,
  DEFAULT_ADVERTISE_BACKOFF,
  DEFAULT_ADVERTISE_INTERVAL,
  type AdvertiseBackoff,
  type AdvertiseInterval,
} from './backoff';
import { advertiseRequestBody, HYPERBAHN_SERVICE, HyperbahnEndpoint, type AdvertiseRequestBody } from './hyperbahn-wire';
import { callRouter, FailureLog, type AdvertiseResult } from './router-call';

/** How long `advertise()` keeps trying for its first advertisement, in ms (tchannel-python's 30 s). */
export const DEFAULT_ADVERTISE_TIMEOUT = 30_000;
/** The deadline of one `ad`/`unad` call, in ms, retries on other routers included. */
export const DEFAULT_REQUEST_TIMEOUT = 2_000;

/** What to advertise, and where. */
export interface AdvertiseTarget {
  /** Hyperbahn routers, `host:port`. They are added as the channel's peers for service `hyperbahn`. */
  readonly routers: readonly string[];
  /** The service name to advertise. Default the channel's `name`. */
  readonly service?: string;
  /** The cost sent with the service: a non-negative integer. Default 0, as every client sends. */
  readonly cost?: number;
  /** Aborting cancels the call in flight; see each function for what else it does. */
  readonly signal?: AbortSignal;
}

/** Options of `advertise()`. */
export interface AdvertiseOptions extends AdvertiseTarget {
  /**
   * How long to keep trying for the first advertisement, in ms, retries and backoff included;
   * `advertise()` rejects with AdvertiseError once no attempt can be made before it. Default 30 000.
   */
  readonly timeout?: number;
  /** Deadline of each `ad` (and of the final `unad`), in ms. Default 2 000, capped by what is left of `timeout`. */
  readonly requestTimeout?: number;
  /** Wait between successful advertisements. Default `{ minMs: 50_000, jitterMs: 20_000 }` (tchannel-go). */
  readonly interval?: AdvertiseInterval;
  /** Wait after a failed one, doubling per failure. Default `{ initialMs: 200, maxMs: 10_000 }`. */
  readonly backoff?: AdvertiseBackoff;
}

/** Options of `advertiseOnce()` and `unadvertise()`. */
export interface AdvertiseOnceOptions extends AdvertiseTarget {
  /** Deadline of the call, in ms, retries on other routers included. Default 2 000. */
  readonly timeout?: number;
}

/**
 * Advertises `channel` to Hyperbahn and keeps it advertised (tchannel-python
 * `TChannelSyncClient.advertise(routers, name, timeout)`; WIRE-NOTES "Hyperbahn advertise").
 *
 * Sends `ad` (service `hyperbahn`, json, `{"services":[{"serviceName":…,"cost":0}]}`) to one
 * of `routers` (busy, declined and unreachable routers are skipped for another at once), retrying
 * with backoff until a router accepts or `timeout` passes. Once advertised, re-advertises every
 * `interval` until `stop()` (which sends `unad`), `signal` aborts (same as `stop()`) or the
 * channel closes.
 *
 * The router registers the `host_port` our connection's init announced, so the channel must listen.
 *
 * @returns the advertisement, carrying the first router's `connectionCount`
 * @throws AdvertiseError if the channel does not listen or is closed, the options are invalid, no
 *   router accepted the advertisement within `timeout` (`failures` holds each router's last
 *   error), or `signal` aborted first
 *
 * @example
 * const hostport = await channel.listen({ host: '10.0.0.5', port: 0 });
 * const advertisement = await advertise(channel, { routers: ['10.0.0.1:21300', '10.0.0.2:21300'] });
 * advertisement.on('failed', (err, retryInMs) => log.warn(err.message));
 * // ... on shutdown:
 * await advertisement.stop();
 * await channel.close();
 */
export async function advertise(channel: TChannel, options: AdvertiseOptions): Promise<Advertisement> {
  const target = resolveTarget(channel, options);
  const fail = (message: string): AdvertiseError =>
    new AdvertiseError(`cannot advertise service "${target.service}": ${message}`, { service: target.service, routers: target.routers });
  const timeout = positive(options.timeout, DEFAULT_ADVERTISE_TIMEOUT, 'timeout', fail);
  const requestTimeout = positive(options.requestTimeout, DEFAULT_REQUEST_TIMEOUT, 'requestTimeout', fail);
  const interval = options.interval ?? DEFAULT_ADVERTISE_INTERVAL;
  if (!(interval.minMs > 0) || !Number.isFinite(interval.minMs) || !(interval.jitterMs >= 0) || !Number.isFinite(interval.jitterMs)) {
    throw fail(`interval must have minMs > 0 and jitterMs >= 0, got ${JSON.stringify(interval)}`);
  }
  const backoff = options.backoff ?? DEFAULT_ADVERTISE_BACKOFF;
  if (!(backoff.initialMs > 0) || !(backoff.maxMs >= backoff.initialMs) || !Number.isFinite(backoff.maxMs)) {
    throw fail(`backoff must have 0 < initialMs <= maxMs, got ${JSON.stringify(backoff)}`);
  }
  const config: AdvertisementConfig = { ...target, requestTimeout, interval, backoff, signal: options.signal };
  addRouters(channel, target.routers);
  const first = await firstAdvertisement(channel, config, timeout);
  return new Advertisement(channel, config, first);
}

/**
 * Sends one `ad` (busy, declined and unreachable routers are skipped for another within the
 * deadline) and does not re-advertise: for callers that schedule advertisements themselves.
 * @throws AdvertiseError as `advertise()` does, after the one call
 */
export async function advertiseOnce(channel: TChannel, options: AdvertiseOnceOptions): Promise<AdvertiseResult> {
  return callOnce(channel, options, HyperbahnEndpoint.Advertise);
}

/**
 * Sends one `unad`, withdrawing a service advertised with `advertiseOnce()` (an Advertisement's
 * `stop()` does it for `advertise()`).
 * @throws AdvertiseError if the channel does not listen, the options are invalid or the call fails
 */
export async function unadvertise(channel: TChannel, options: AdvertiseOnceOptions): Promise<void> {
  await callOnce(channel, options, HyperbahnEndpoint.Unadvertise);
}

async function callOnce(channel: TChannel, options: AdvertiseOnceOptions, endpoint: HyperbahnEndpoint): Promise<AdvertiseResult> {
  const target = resolveTarget(channel, options);
  const timeout = positive(options.timeout, DEFAULT_REQUEST_TIMEOUT, 'timeout', (message) =>
    new AdvertiseError(`cannot ${endpoint} service "${target.service}": ${message}`, { service: target.service, routers: target.routers }),
  );
  addRouters(channel, target.routers);
  const outcome = await callRouter(channel, endpoint, target.body, { timeout, retryLimit: target.retryLimit, signal: options.signal });
  if (outcome.ok) return outcome.value;
  const failure = { router: outcome.router, error: outcome.error };
  throw new AdvertiseError(`"${endpoint}" of service "${target.service}" to Hyperbahn failed: ${describeFailures([failure])}`, {
    service: target.service,
    routers: target.routers,
    failures: [failure],
    attempts: 1,
    cause: outcome.error,
  });
}

/**
 * `ad` until a router accepts: each failure (every router the call could try having failed) is
 * followed by a backoff, as long as another attempt can start before the deadline.
 */
async function firstAdvertisement(channel: TChannel, config: AdvertisementConfig, timeout: number): Promise<AdvertiseResult> {
  const { signal } = config;
  const deadline = performance.now() + timeout;
  const log = new FailureLog();
  let attempts = 0;
  const fail = (reason: string, cause?: unknown): AdvertiseError => {
    const failures = log.all();
    const errors = failures.length === 0 ? '' : `; last error per router: ${describeFailures(failures)}`;
    return new AdvertiseError(
      `could not advertise service "${config.service}" to Hyperbahn (routers ${config.routers.join(', ')}): ${reason} after ${attempts} attempt${attempts === 1 ? '' : 's'}${errors}`,
      { service: config.service, routers: config.routers, failures, attempts, cause: cause ?? log.last?.error },
    );
  };
  for (;;) {
    attempts++;
    const left = deadline - performance.now();
    const outcome = await callRouter(channel, HyperbahnEndpoint.Advertise, config.body, {
      timeout: Math.max(1, Math.min(config.requestTimeout, left)),
      retryLimit: config.retryLimit,
      signal,
    });
    if (outcome.ok) return outcome.value;
    log.add({ router: outcome.router, error: outcome.error });
    if (signal?.aborted) throw fail('aborted', signal.reason);
    if (channel.isClosed) throw fail(`channel "${channel.name}" closed`);
    const wait = backoffDelay(config.backoff, attempts);
    if (performance.now() + wait >= deadline) throw fail(`no router accepted it within ${timeout} ms`);
    try {
      await delay(wait, undefined, signal === undefined ? {} : { signal });
    } catch {
      throw fail('aborted', signal?.reason);
    }
    if (channel.isClosed) throw fail(`channel "${channel.name}" closed`);
  }
}

/** What every advertise function needs, validated. */
interface ResolvedTarget {
  readonly service: string;
  readonly cost: number;
  readonly routers: readonly string[];
  readonly body: AdvertiseRequestBody;
  /** A call may try every router once. */
  readonly retryLimit: number;
}

/** @throws AdvertiseError for invalid options, a closed channel or one that does not listen */
function resolveTarget(channel: TChannel, options: AdvertiseTarget): ResolvedTarget {
  const service = options.service ?? channel.name;
  const routers = Array.isArray(options.routers) ? [...options.routers] : [];
  const cost = options.cost ?? 0;
  const fail = (message: string, cause?: unknown): AdvertiseError =>
    new AdvertiseError(`cannot advertise service "${String(service)}": ${message}`, { service: String(service), routers, cause });
  if (typeof service !== 'string' || service === '') throw fail('the service name must be a non-empty string');
  if (routers.length === 0) throw fail('no routers given: pass the Hyperbahn routers as `routers: ["host:port", ...]`');
  for (const router of routers) {
    try {
      parseHostPort(router);
    } catch (err) {
      throw fail(`router ${JSON.stringify(router)} is not host:port`, err);
    }
  }
  if (!Number.isInteger(cost) || cost < 0) throw fail(`cost must be a non-negative integer, got ${String(cost)}`);
  if (channel.isClosed) throw fail(`channel "${channel.name}" is closed`);
  if (options.signal?.aborted) throw fail('aborted before it started', options.signal.reason);
  if (!channel.isListening) {
    // Hyperbahn forwards to the host_port our init announced; a client-only channel announces 0.0.0.0:0.
    throw fail(`channel "${channel.name}" does not listen: Hyperbahn routes to the host_port the channel announces, so call listen() first`);
  }
  return { service, cost, routers, body: advertiseRequestBody(service, cost), retryLimit: routers.length - 1 };
}

/** The routers become the channel's peers for `hyperbahn` (adding one twice is a no-op). */
function addRouters(channel: TChannel, routers: readonly string[]): void {
  for (const router of routers) channel.addPeer(router, HYPERBAHN_SERVICE);
}

function positive(value: number | undefined, fallback: number, name: string, fail: (message: string) => TChannelError): number {
  const resolved = value ?? fallback;
  if (!(resolved > 0) || !Number.isFinite(resolved)) throw fail(`${name} must be a positive number of ms, got ${String(value)}`);
  return resolved;
}

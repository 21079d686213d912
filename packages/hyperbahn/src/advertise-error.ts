import { TChannelError, type TChannelErrorOptions } from '@tchannel/core';

/** One router's failure, as an AdvertiseError reports it. */
export interface AdvertiseFailure {
  /** The router that failed, when the error names one (undefined: no router was reached). */
  readonly router: string | undefined;
  readonly error: TChannelError;
}

/** Options of AdvertiseError. */
export interface AdvertiseErrorOptions extends TChannelErrorOptions {
  /** The service being advertised. */
  readonly service: string;
  /** The routers it was advertised to. */
  readonly routers: readonly string[];
  /** The last failure of each router tried, oldest first. Default none. */
  readonly failures?: readonly AdvertiseFailure[];
  /** `ad` calls made (each may have tried several routers). Default 0. */
  readonly attempts?: number;
}

/**
 * Advertising to Hyperbahn failed (tchannel-python `tchannel.errors.AdvertiseError`): no router
 * accepted the first advertisement before the timeout, the channel does not listen or closed,
 * the options are invalid, or the caller aborted. Also what an Advertisement's `failed` event
 * carries when a re-advertisement fails.
 *
 * `cause` is the last failure's error; `failures` holds the last error of every router tried.
 */
export class AdvertiseError extends TChannelError {
  static override readonly kind: string = 'AdvertiseError';
  readonly service: string;
  readonly routers: readonly string[];
  readonly failures: readonly AdvertiseFailure[];
  readonly attempts: number;

  constructor(message: string, options: AdvertiseErrorOptions) {
    const { service, routers, failures = [], attempts = 0, ...rest } = options;
    super(message, rest);
    this.service = service;
    this.routers = routers;
    this.failures = failures;
    this.attempts = attempts;
  }
}

/** The failures' errors for a message: `BusyError: ...; NetworkError: ...`. */
export function describeFailures(failures: readonly AdvertiseFailure[]): string {
  return failures.map(({ error }) => `${error.name}: ${error.message}`).join('; ');
}

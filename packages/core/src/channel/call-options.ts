import type { Request } from '../dispatch/request';
import type { ArgSource } from '../dispatch/response';
import type { ChecksumType } from '../wire/checksum-type';
import type { Headers } from '../wire/headers';
import type { Tracing } from '../wire/tracing';
import type { RetryOn } from './retry-policy';

/**
 * A low-level call: the three args as bytes, with transport options. Optional fields accept an
 * explicit `undefined` (meaning absent), so scheme packages can forward their options field by field.
 */
export interface CallOptions {
  /** The `as` transport header: 'raw', 'json', 'thrift'... */
  readonly scheme: string;
  /** The service to call. */
  readonly service: string;
  /** arg1: the endpoint. */
  readonly arg1: Buffer | string;
  /** arg2: application headers, encoded by the scheme. */
  readonly arg2?: Buffer | string | undefined;
  /** arg3: the body, encoded by the scheme. */
  readonly arg3?: Buffer | string | undefined;
  /** Deadline in ms for the whole call, retries included. Defaults to the channel's `timeout`. */
  readonly timeout?: number | undefined;
  /** When to retry: 'c' connection errors (default), 't' timeouts, 'ct'/'tc' both, 'n' never. */
  readonly retryOn?: RetryOn | undefined;
  /** Extra attempts allowed after the first. Defaults to 4, or 0 for a call pinned to `hostport`. */
  readonly retryLimit?: number | undefined;
  /** Call this peer directly instead of choosing one of the known peers. */
  readonly hostport?: string | undefined;
  /** Extra transport headers (`sk`, `rd`, `fd`...). `as`, `cn` and `re` are set from the options. */
  readonly headers?: Headers | undefined;
  /** Aborting rejects the call at once and sends a cancel frame. */
  readonly signal?: AbortSignal | undefined;
  /** Checksum for the request's frames. Defaults to the channel's (crc32c). */
  readonly checksumType?: ChecksumType | undefined;
  /** The parent span: the call becomes its child (same trace id). */
  readonly parentTracing?: Tracing | undefined;
  /**
   * The request being handled, when calling out from a handler: the call inherits its deadline
   * (the time left, never more), its cancellation and its trace (the call is a child span).
   */
  readonly parent?: Request | undefined;
  /** Whether the trace is sampled. Defaults to the channel's `trace` option. */
  readonly trace?: boolean | undefined;
}

/** What a low-level call resolves with, whatever the response code. */
export interface CallResponseResult {
  /** Call res code: 0 ok, non-zero an application error (the scheme decides what to do with it). */
  readonly code: number;
  readonly arg2: Buffer;
  readonly arg3: Buffer;
  /** Transport headers of the response. */
  readonly headers: Headers;
  /** The peer that answered. */
  readonly hostPort: string;
  /** The span this call used. */
  readonly tracing: Tracing;
}

/** A call whose arg2/arg3 may be streamed (see TChannel.callStreaming). */
export interface StreamingCallOptions extends Omit<CallOptions, 'arg2' | 'arg3' | 'retryLimit'> {
  readonly arg2?: Buffer | string | ArgSource;
  readonly arg3?: Buffer | string | ArgSource;
}

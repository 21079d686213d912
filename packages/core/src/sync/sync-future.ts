import type { TChannelError } from '../errors/tchannel-error';
import type { Headers } from '../wire/headers';

/**
 * A successful response, as tchannel-python's `sync.client.Response(header, body)`: the raw arg2
 * and arg3 bytes (decode them for the scheme you called with).
 */
export interface SyncResponse {
  /** arg2: application headers, as sent by the server. */
  readonly header: Buffer;
  /** arg3: the body. */
  readonly body: Buffer;
  /** Call res code: always 0 here (non-zero codes throw TChannelApplicationError). */
  readonly code: number;
  /** The peer that answered. */
  readonly hostPort: string;
  /** Transport headers of the response. */
  readonly transportHeaders: Headers;
}

/** How a future ended. */
export type SyncOutcome =
  | { readonly ok: true; readonly response: SyncResponse }
  | { readonly ok: false; readonly error: TChannelError };

/**
 * Blocks the calling thread until `isDone()` holds, for at most `timeoutMs` (forever when absent).
 * @throws TimeoutError when `timeoutMs` passes first.
 */
export type SyncWaiter = (isDone: () => boolean, timeoutMs: number | undefined) => void;

/**
 * The pending result of `SyncClientOperation.send()`, like the `concurrent.futures.Future`
 * tchannel-python returns. The call runs in the client's worker thread from the moment `send()`
 * returns; `result()` blocks until it has finished. Any number of futures may be outstanding.
 */
export class SyncFuture {
  private outcome: SyncOutcome | undefined;

  /**
   * @internal Futures are made by `SyncClientOperation.send()`. `executor` receives the function
   * that settles the future (the first call wins).
   */
  constructor(
    private readonly waiter: SyncWaiter,
    executor: (settle: (outcome: SyncOutcome) => void) => void,
  ) {
    executor((outcome) => {
      this.outcome ??= outcome;
    });
  }

  /** Whether the call has finished, as far as this thread has seen (never blocks). */
  get done(): boolean {
    return this.outcome !== undefined;
  }

  /**
   * Blocks until the call has finished and returns its response; every later call returns the
   * same response (or throws the same error) at once.
   * @param timeoutMs how long to block at most; absent means until the call ends (which its own
   *   call timeout bounds). When it passes, the call keeps running and `result()` may be called again.
   * @throws TimeoutError when `timeoutMs` passes first, or when the call itself timed out.
   * @throws TChannelApplicationError when the server answered with a non-zero code (its `headers`
   *   and `body` are the raw arg2/arg3).
   * @throws the TChannelError subclass the call failed with (BadRequestError, NetworkError,
   *   ChannelClosedError when the client was closed first...).
   */
  result(timeoutMs?: number): SyncResponse {
    const outcome = this.settled(timeoutMs);
    if (outcome.ok) return outcome.response;
    throw outcome.error;
  }

  /**
   * Blocks like `result()` but returns the error the call failed with instead of throwing it,
   * or undefined when it succeeded.
   * @throws TimeoutError when `timeoutMs` passes first.
   */
  exception(timeoutMs?: number): TChannelError | undefined {
    const outcome = this.settled(timeoutMs);
    return outcome.ok ? undefined : outcome.error;
  }

  private settled(timeoutMs: number | undefined): SyncOutcome {
    if (this.outcome === undefined) this.waiter(() => this.outcome !== undefined, timeoutMs);
    // The waiter returns only once the outcome is set (or throws).
    return this.outcome as SyncOutcome;
  }
}

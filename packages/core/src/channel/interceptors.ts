import type { HandlerResult } from '../dispatch/handler';
import type { Request } from '../dispatch/request';
import type { Tracing } from '../wire/tracing';
import type { CallOptions, CallResponseResult } from './call-options';

/** An outgoing call as interceptors see it: the call's options, its span, and its endpoint. */
export interface OutgoingCall extends CallOptions {
  /** arg1 as a string. */
  readonly endpoint: string;
  /** The span the call will use (retries keep it). */
  readonly tracing: Tracing;
}

/** Sends the call on (to the next interceptor, or to the network). */
export type OutgoingNext = (call: OutgoingCall) => Promise<CallResponseResult>;

/**
 * Wraps every whole outgoing call of a channel (after peer choice is planned, around all retry
 * attempts). Call `next` to proceed, possibly with a modified call; return or throw to answer
 * without the network (record/replay); observe the result or error (metrics, logging, tracing).
 */
export type OutgoingInterceptor = (call: OutgoingCall, next: OutgoingNext) => Promise<CallResponseResult>;

/** Runs the handler (or the next interceptor). Resolves undefined when a streaming handler answered through its Response. */
export type IncomingNext = (request: Request) => Promise<HandlerResult | undefined>;

/** Wraps every incoming request a channel dispatches, seeing the request and its result or error. */
export type IncomingInterceptor = (request: Request, next: IncomingNext) => Promise<HandlerResult | undefined>;

/** Composes interceptors around `last`: the first registered runs outermost. */
export function chain<T, R>(interceptors: readonly ((value: T, next: (value: T) => Promise<R>) => Promise<R>)[], last: (value: T) => Promise<R>): (value: T) => Promise<R> {
  let next = last;
  for (let i = interceptors.length - 1; i >= 0; i--) {
    const interceptor = interceptors[i] as (value: T, next: (value: T) => Promise<R>) => Promise<R>;
    const inner = next;
    next = (value) => interceptor(value, inner);
  }
  return next;
}

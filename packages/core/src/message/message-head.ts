import type { Headers } from '../wire/headers';
import type { Tracing } from '../wire/tracing';

/** The fields of a call req that precede its args (they all travel in the first frame). */
export interface CallRequestHead {
  readonly kind: 'request';
  readonly ttl: number;
  readonly tracing: Tracing;
  readonly service: string;
  readonly headers: Headers;
  /** Extra flag bits for the first frame (e.g. streaming). */
  readonly flags?: number;
}

/** The fields of a call res that precede its args. */
export interface CallResponseHead {
  readonly kind: 'response';
  readonly code: number;
  readonly tracing: Tracing;
  readonly headers: Headers;
  readonly flags?: number;
}

export type MessageHead = CallRequestHead | CallResponseHead;

/** The three args of a call. Non-streaming calls carry them whole. */
export type CallArgs = readonly [arg1: Buffer, arg2: Buffer, arg3: Buffer];

/** arg1 limit (docs/protocol.md: "The size of arg1 is at most 16KiB"). */
export const MAX_ARG1_BYTES = 16 * 1024;

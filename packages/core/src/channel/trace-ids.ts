import { randomBytes } from 'node:crypto';
import { TRACE_FLAG_ENABLED, type Tracing } from '../wire/tracing';

/**
 * Random non-zero 64-bit ids for spans and traces, drawn from a pooled crypto buffer so a call
 * costs no syscall.
 */
let pool = randomBytes(8 * 512);
let offset = pool.length;

export function randomId(): bigint {
  for (;;) {
    if (offset >= pool.length) {
      pool = randomBytes(pool.length);
      offset = 0;
    }
    const id = pool.readBigUInt64BE(offset);
    offset += 8;
    if (id !== 0n) return id;
  }
}

/** A new span: a child of `parent` (same trace, parent id = its span) or the root of a new trace. */
export function childSpan(parent: Tracing | undefined, sampled: boolean): Tracing {
  const spanId = randomId();
  if (parent === undefined) return { spanId, parentId: 0n, traceId: spanId, flags: sampled ? TRACE_FLAG_ENABLED : 0 };
  return { spanId, parentId: parent.spanId, traceId: parent.traceId, flags: parent.flags };
}

import type { ByteReader } from './byte-reader';
import type { ByteWriter } from './byte-writer';

/**
 * Zipkin-style tracing carried by call, cancel, claim and error frames:
 * `spanid:8 parentid:8 traceid:8 traceflags:1` (docs/protocol.md, "Tracing").
 */
export interface Tracing {
  readonly spanId: bigint;
  readonly parentId: bigint;
  readonly traceId: bigint;
  /** Bit 0x01: tracing enabled (sampled). */
  readonly flags: number;
}

/** Size of the tracing field on the wire. */
export const TRACING_SIZE = 25;

/** Trace flag: this request is sampled. */
export const TRACE_FLAG_ENABLED = 0b0000_0001;

/** The empty span, used where no tracing is known (e.g. errors about a bad init). */
export const EMPTY_TRACING: Tracing = Object.freeze({ spanId: 0n, parentId: 0n, traceId: 0n, flags: 0 });

export function readTracing(reader: ByteReader): Tracing {
  const spanId = reader.u64('tracing spanid');
  const parentId = reader.u64('tracing parentid');
  const traceId = reader.u64('tracing traceid');
  const flags = reader.u8('tracing flags');
  return { spanId, parentId, traceId, flags };
}

export function writeTracing(writer: ByteWriter, tracing: Tracing): void {
  writer.u64(tracing.spanId).u64(tracing.parentId).u64(tracing.traceId).u8(tracing.flags);
}

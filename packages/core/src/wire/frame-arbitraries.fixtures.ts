import fc from 'fast-check';
import { ChecksumType } from './checksum-type';
import { FrameType } from './frame-type';
import type { CallContinueFrame, CallRequestFrame, CallResponseFrame, CancelFrame, ClaimFrame, ErrorFrame, Frame, InitFrame, PingFrame } from './frames';
import type { Headers } from './headers';
import type { Tracing } from './tracing';

/**
 * fast-check arbitraries for every frame type, within the limits the codec enforces (so every
 * generated frame is encodable): transport header keys of 1..16 bytes, at most 128 headers,
 * values of at most 255 bytes, at most 3 arg chunks, frames under 64 KiB. Test-only.
 */

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });

/** Any Unicode text without lone surrogates (so it survives UTF-8), at most 4 bytes per unit. */
const text = (maxLength: number, minLength = 0): fc.Arbitrary<string> => fc.string({ unit: 'binary', minLength, maxLength });

export const tracingArb: fc.Arbitrary<Tracing> = fc.record({ spanId: u64, parentId: u64, traceId: u64, flags: u8 });

function toHeaders(entries: readonly (readonly [string, string])[]): Headers {
  const out = Object.create(null) as Record<string, string>;
  for (const [k, v] of entries) out[k] = v;
  return out;
}

/** A transport header key: 1..16 bytes of UTF-8. */
const transportKey = fc.oneof(
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 16 }),
  text(4, 1), // up to 4 code points of up to 4 bytes each
  fc.constantFrom('as', 'cn', 're', 'se', 'fd', 'sk', 'rd', 'cas', 'caf', '__proto__', 'constructor', 'x'.repeat(16)),
);
/** A transport header value: at most 255 bytes. */
const transportValue = fc.oneof(text(63), fc.string({ unit: 'binary-ascii', maxLength: 255 }));

const transportEntries = (minLength: number, maxLength: number) =>
  fc.uniqueArray(fc.tuple(transportKey, transportValue), { selector: ([k]) => k, minLength, maxLength });

/** Transport headers: usually a few, sometimes close to or at the limit of 128. */
export const transportHeadersArb: fc.Arbitrary<Headers> = fc
  .oneof({ arbitrary: transportEntries(0, 8), weight: 5 }, { arbitrary: transportEntries(120, 128), weight: 1 })
  .map(toHeaders);

/** Init headers (2-byte lengths, keys not limited to 16 bytes). */
export const initHeadersArb: fc.Arbitrary<Headers> = fc
  .uniqueArray(fc.tuple(text(40, 1), text(200)), { selector: ([k]) => k, maxLength: 12 })
  .map(toHeaders);

const argChunk = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 64 }), weight: 4 },
  { arbitrary: fc.uint8Array({ maxLength: 4000 }), weight: 1 },
).map((a) => Buffer.from(a));
export const argsArb: fc.Arbitrary<Buffer[]> = fc.array(argChunk, { minLength: 0, maxLength: 3 });

export const checksumArb: fc.Arbitrary<{ checksumType: ChecksumType; checksum: number }> = fc.oneof(
  fc.constant({ checksumType: ChecksumType.None, checksum: 0 }),
  fc.record({ checksumType: fc.constantFrom(ChecksumType.Crc32, ChecksumType.Farmhash32, ChecksumType.Crc32c), checksum: u32 }),
);

export const initFrameArb: fc.Arbitrary<InitFrame> = fc.record({
  type: fc.constantFrom(FrameType.InitRequest as const, FrameType.InitResponse as const),
  id: u32,
  version: u16,
  headers: initHeadersArb,
});

export const callRequestArb: fc.Arbitrary<CallRequestFrame> = fc
  .record({
    id: u32,
    flags: u8,
    ttl: u32,
    tracing: tracingArb,
    service: text(63),
    headers: transportHeadersArb,
    csum: checksumArb,
    args: argsArb,
  })
  .map(({ csum, ...rest }) => ({ type: FrameType.CallRequest as const, ...rest, ...csum }));

export const callResponseArb: fc.Arbitrary<CallResponseFrame> = fc
  .record({ id: u32, flags: u8, code: u8, tracing: tracingArb, headers: transportHeadersArb, csum: checksumArb, args: argsArb })
  .map(({ csum, ...rest }) => ({ type: FrameType.CallResponse as const, ...rest, ...csum }));

export const callContinueArb: fc.Arbitrary<CallContinueFrame> = fc
  .record({
    type: fc.constantFrom(FrameType.CallRequestContinue as const, FrameType.CallResponseContinue as const),
    id: u32,
    flags: u8,
    csum: checksumArb,
    args: argsArb,
  })
  .map(({ csum, ...rest }) => ({ ...rest, ...csum }));

export const cancelArb: fc.Arbitrary<CancelFrame> = fc.record({
  type: fc.constant(FrameType.Cancel as const),
  id: u32,
  ttl: u32,
  tracing: tracingArb,
  why: text(500),
});

export const claimArb: fc.Arbitrary<ClaimFrame> = fc.record({
  type: fc.constant(FrameType.Claim as const),
  id: u32,
  ttl: u32,
  tracing: tracingArb,
});

export const pingArb: fc.Arbitrary<PingFrame> = fc.record({
  type: fc.constantFrom(FrameType.PingRequest as const, FrameType.PingResponse as const),
  id: u32,
});

export const errorFrameArb: fc.Arbitrary<ErrorFrame> = fc.record({
  type: fc.constant(FrameType.Error as const),
  id: u32,
  code: u8,
  tracing: tracingArb,
  message: text(500),
});

/** Named per-type arbitraries, so each type gets its own property run. */
export const FRAME_ARBITRARIES: ReadonlyArray<readonly [string, fc.Arbitrary<Frame>]> = [
  ['init req/res', initFrameArb],
  ['call req', callRequestArb],
  ['call res', callResponseArb],
  ['call req/res continue', callContinueArb],
  ['cancel', cancelArb],
  ['claim', claimArb],
  ['ping req/res', pingArb],
  ['error', errorFrameArb],
];

export const frameArb: fc.Arbitrary<Frame> = fc.oneof(...FRAME_ARBITRARIES.map(([, arb]) => arb));

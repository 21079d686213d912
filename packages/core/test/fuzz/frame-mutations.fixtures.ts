/**
 * Mutated frames for fuzzing: valid frames (from frame-arbitraries) encoded, then damaged the way
 * a buggy or hostile peer would: flipped bits, overwritten bytes, truncation, trailing bytes,
 * inserted or deleted runs, a wrong size or type field, and length/count fields set to absurd
 * values (nh = 255, an arg length of 0xFFFF, a service length past the frame...).
 */
import fc from 'fast-check';
import { frameArb } from '../../src/wire/frame-arbitraries.fixtures';
import { encodeFrame } from '../../src/wire/frame-codec';
import { FrameType } from '../../src/wire/frame-type';
import { FRAME_HEADER_SIZE, type Frame } from '../../src/wire/frames';
import type { Headers } from '../../src/wire/headers';
import { TRACING_SIZE } from '../../src/wire/tracing';
import { ChecksumType } from '../../src/wire/checksum-type';

/** A length, count or enum field of an encoded frame. */
export interface Field {
  readonly offset: number;
  readonly width: 1 | 2 | 4;
  readonly name: string;
}

/**
 * Where the variable-size and enum fields of `frame` sit once encoded by `encodeFrame`: the
 * fields a decoder trusts to size what follows.
 */
export function frameFields(frame: Frame): Field[] {
  const fields: Field[] = [
    { offset: 0, width: 2, name: 'size' },
    { offset: 2, width: 1, name: 'type' },
  ];
  let at = FRAME_HEADER_SIZE;
  const field = (width: 1 | 2 | 4, name: string): void => {
    fields.push({ offset: at, width, name });
    at += width;
  };
  const headers = (h: Headers, width: 1 | 2): void => {
    field(width, 'nh');
    for (const key of Object.keys(h)) {
      field(width, 'header key length');
      at += Buffer.byteLength(key);
      field(width, 'header value length');
      at += Buffer.byteLength(h[key] as string);
    }
  };
  const checksumAndArgs = (checksumType: ChecksumType, args: readonly Uint8Array[]): void => {
    field(1, 'csumtype');
    if (checksumType !== ChecksumType.None) at += 4;
    for (const arg of args) {
      field(2, 'arg length');
      at += arg.length;
    }
  };
  switch (frame.type) {
    case FrameType.InitRequest:
    case FrameType.InitResponse:
      field(2, 'version');
      headers(frame.headers, 2);
      break;
    case FrameType.CallRequest:
      field(1, 'flags');
      field(4, 'ttl');
      at += TRACING_SIZE;
      field(1, 'service length');
      at += Buffer.byteLength(frame.service);
      headers(frame.headers, 1);
      checksumAndArgs(frame.checksumType, frame.args);
      break;
    case FrameType.CallResponse:
      field(1, 'flags');
      field(1, 'code');
      at += TRACING_SIZE;
      headers(frame.headers, 1);
      checksumAndArgs(frame.checksumType, frame.args);
      break;
    case FrameType.CallRequestContinue:
    case FrameType.CallResponseContinue:
      field(1, 'flags');
      checksumAndArgs(frame.checksumType, frame.args);
      break;
    case FrameType.Cancel:
      field(4, 'ttl');
      at += TRACING_SIZE;
      field(2, 'why length');
      break;
    case FrameType.Claim:
      field(4, 'ttl');
      break;
    case FrameType.PingRequest:
    case FrameType.PingResponse:
      break;
    case FrameType.Error:
      field(1, 'code');
      at += TRACING_SIZE;
      field(2, 'message length');
      break;
  }
  return fields;
}

/** Values a targeted field mutation writes, relative to the field's width and current value. */
export type AbsurdValue = 'zero' | 'one' | 'max' | 'max-1' | 'plus1' | 'minus1' | '129' | '255' | 'high-bit';

/** One damage to an encoded frame. Positions are taken modulo the frame's length. */
export type Mutation =
  | { readonly kind: 'flip-bits'; readonly bits: readonly number[] }
  | { readonly kind: 'set-byte'; readonly at: number; readonly value: number }
  | { readonly kind: 'truncate'; readonly at: number; readonly patchSize: boolean }
  | { readonly kind: 'extend'; readonly bytes: Uint8Array; readonly patchSize: boolean }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'size'; readonly value: number }
  | { readonly kind: 'type'; readonly value: number }
  | { readonly kind: 'field'; readonly index: number; readonly value: AbsurdValue; readonly patchSize: boolean };

const FRAME_TYPES = Object.values(FrameType).filter((v): v is FrameType => typeof v === 'number');

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip-bits' as const), bits: fc.array(fc.nat(), { minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('set-byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 0xff }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(), patchSize: fc.boolean() }),
  fc.record({ kind: fc.constant('extend' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }), patchSize: fc.boolean() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('size' as const), value: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.constantFrom(0, 1, 15, 16, 17, 0xfffe, 0xffff)) }),
  fc.record({ kind: fc.constant('type' as const), value: fc.oneof(fc.constantFrom(...FRAME_TYPES), fc.integer({ min: 0, max: 0xff })) }),
  fieldMutationArb(),
);

function fieldMutationArb(): fc.Arbitrary<Mutation> {
  return fc.record({
    kind: fc.constant('field' as const),
    index: fc.nat(),
    value: fc.constantFrom<AbsurdValue>('zero', 'one', 'max', 'max-1', 'plus1', 'minus1', '129', '255', 'high-bit'),
    patchSize: fc.boolean(),
  });
}

function readField(bytes: Buffer, f: Field): number {
  return f.width === 1 ? (bytes[f.offset] as number) : f.width === 2 ? bytes.readUInt16BE(f.offset) : bytes.readUInt32BE(f.offset);
}

function writeField(bytes: Buffer, f: Field, value: number): void {
  if (f.width === 1) bytes[f.offset] = value & 0xff;
  else if (f.width === 2) bytes.writeUInt16BE(value & 0xffff, f.offset);
  else bytes.writeUInt32BE(value >>> 0, f.offset);
}

function absurd(value: AbsurdValue, current: number, width: 1 | 2 | 4): number {
  const max = width === 1 ? 0xff : width === 2 ? 0xffff : 0xffffffff;
  switch (value) {
    case 'zero':
      return 0;
    case 'one':
      return 1;
    case 'max':
      return max;
    case 'max-1':
      return max - 1;
    case 'plus1':
      return (current + 1) % (max + 1);
    case 'minus1':
      return (current + max) % (max + 1);
    case '129':
      return 129;
    case '255':
      return 255;
    case 'high-bit':
      return width === 1 ? 0x80 : width === 2 ? 0x8000 : 0x80000000;
  }
}

function patchSize(bytes: Buffer): void {
  if (bytes.length >= 2) bytes.writeUInt16BE(bytes.length & 0xffff, 0);
}

/** Applies `mutations` in order to a copy of `bytes` (an encoded frame whose fields are `fields`). */
export function mutate(bytes: Buffer, fields: readonly Field[], mutations: readonly Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const m of mutations) {
    const len = out.length;
    switch (m.kind) {
      case 'flip-bits':
        if (len === 0) break;
        for (const bit of m.bits) {
          const at = Math.floor(bit / 8) % len;
          out[at] = (out[at] as number) ^ (1 << bit % 8);
        }
        break;
      case 'set-byte':
        if (len > 0) out[m.at % len] = m.value;
        break;
      case 'truncate':
        out = out.subarray(0, m.at % (len + 1));
        if (m.patchSize) patchSize(out);
        break;
      case 'extend':
        out = Buffer.concat([out, m.bytes]);
        if (m.patchSize) patchSize(out);
        break;
      case 'insert': {
        const at = m.at % (len + 1);
        out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
        patchSize(out);
        break;
      }
      case 'delete': {
        const at = m.at % (len + 1);
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.count)]);
        patchSize(out);
        break;
      }
      case 'size':
        if (len >= 2) out.writeUInt16BE(m.value, 0);
        break;
      case 'type':
        if (len >= 3) out[2] = m.value;
        break;
      case 'field': {
        // Fields after the first are a frame's length and count fields: the targets of interest.
        const f = fields[m.index % fields.length] as Field;
        if (f.offset + f.width > len) break;
        writeField(out, f, absurd(m.value, readField(out, f), f.width));
        if (m.patchSize && f.name !== 'size') patchSize(out);
        break;
      }
    }
    out = Buffer.from(out); // own the bytes: later mutations must not write through a view
  }
  return out;
}

/** A valid frame, its encoding and its field map. */
export interface EncodedFrame {
  readonly frame: Frame;
  readonly bytes: Buffer;
  readonly fields: readonly Field[];
}

export const encodedFrameArb: fc.Arbitrary<EncodedFrame> = frameArb.map((frame) => ({ frame, bytes: encodeFrame(frame), fields: frameFields(frame) }));

/** A valid frame damaged by one to four random mutations. */
export const mutatedFrameArb: fc.Arbitrary<{ readonly original: EncodedFrame; readonly mutations: readonly Mutation[]; readonly bytes: Buffer }> = fc
  .tuple(encodedFrameArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }))
  .map(([original, mutations]) => ({ original, mutations, bytes: mutate(original.bytes, original.fields, mutations) }));

/** A valid frame with one or two of its length/count fields set to an absurd value. */
export const absurdFieldFrameArb: fc.Arbitrary<{ readonly original: EncodedFrame; readonly mutations: readonly Mutation[]; readonly bytes: Buffer }> = fc
  .tuple(encodedFrameArb, fc.array(fieldMutationArb(), { minLength: 1, maxLength: 2 }))
  .map(([original, mutations]) => ({ original, mutations, bytes: mutate(original.bytes, original.fields, mutations) }));

import { InvalidMessageError } from '../errors/local-errors';
import { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';
import { ChecksumType, checksumValueSize, isChecksumType } from './checksum-type';
import { FrameType } from './frame-type';
import {
  FRAME_HEADER_SIZE,
  MAX_FRAME_SIZE,
  type CallContinueFrame,
  type CallRequestFrame,
  type CallResponseFrame,
  type Frame,
  type FrameChecksum,
} from './frames';
import { headersSize, readHeaders, writeHeaders } from './headers';
import { readTracing, TRACING_SIZE, writeTracing } from './tracing';

/** Call frames carry at most three arg chunks: arg1, arg2, arg3. */
const MAX_ARGS = 3;

/** Bytes the frame takes on the wire, header included. Throws if a field cannot be encoded. */
export function frameSize(frame: Frame): number {
  return FRAME_HEADER_SIZE + payloadSize(frame);
}

function argsSize(args: readonly Uint8Array[]): number {
  let size = 0;
  for (const arg of args) {
    if (arg.length > 0xffff) throw new InvalidMessageError(`arg chunk of ${arg.length} bytes exceeds a frame`);
    size += 2 + arg.length;
  }
  return size;
}

function payloadSize(frame: Frame): number {
  switch (frame.type) {
    case FrameType.InitRequest:
    case FrameType.InitResponse:
      return 2 + headersSize(frame.headers, 2);
    case FrameType.CallRequest:
      return (
        1 + 4 + TRACING_SIZE + 1 + Buffer.byteLength(frame.service) + headersSize(frame.headers, 1) +
        1 + checksumValueSize(frame.checksumType) + argsSize(frame.args)
      );
    case FrameType.CallResponse:
      return 1 + 1 + TRACING_SIZE + headersSize(frame.headers, 1) + 1 + checksumValueSize(frame.checksumType) + argsSize(frame.args);
    case FrameType.CallRequestContinue:
    case FrameType.CallResponseContinue:
      return 1 + 1 + checksumValueSize(frame.checksumType) + argsSize(frame.args);
    case FrameType.Cancel:
      return 4 + TRACING_SIZE + 2 + Buffer.byteLength(frame.why);
    case FrameType.Claim:
      return 4 + TRACING_SIZE;
    case FrameType.PingRequest:
    case FrameType.PingResponse:
      return 0;
    case FrameType.Error:
      return 1 + TRACING_SIZE + 2 + Buffer.byteLength(frame.message);
  }
}

/** Writes one arg chunk (`arg~2`) of a call frame. */
type ArgWriter = (writer: ByteWriter, arg: Uint8Array) => void;

const copyArg: ArgWriter = (writer, arg) => {
  writer.bytes2(arg);
};

function checkedSize(frame: Frame): number {
  const size = frameSize(frame);
  if (size > MAX_FRAME_SIZE) throw new InvalidMessageError(`frame of ${size} bytes exceeds ${MAX_FRAME_SIZE}`);
  if (frame.type === FrameType.CallRequest && Buffer.byteLength(frame.service) > 0xff) {
    throw new InvalidMessageError('service name longer than 255 bytes');
  }
  return size;
}

/**
 * Encodes one frame into a new buffer.
 * @throws InvalidMessageError if the frame exceeds 65535 bytes or a field does not fit its length prefix.
 */
export function encodeFrame(frame: Frame): Buffer {
  const size = checkedSize(frame);
  const writer = new ByteWriter(Buffer.allocUnsafe(size));
  writeFrame(writer, frame, size, copyArg);
  return writer.buffer;
}

/** Arg chunks at least this long are not copied by encodeFrameParts. */
const ZERO_COPY_MIN = 4096;

/**
 * Encodes a frame as buffers to write in order: arg chunks of 4 KiB or more are the caller's own
 * buffers (views, not copies) and everything else is encoded into one buffer cut around them.
 * Frames without such chunks give one buffer, as encodeFrame.
 * @throws InvalidMessageError as encodeFrame
 */
export function encodeFrameParts(frame: Frame): Buffer[] {
  if (!('args' in frame)) return [encodeFrame(frame)];
  let large = 0;
  for (const arg of frame.args) if (arg.length >= ZERO_COPY_MIN) large += arg.length;
  if (large === 0) return [encodeFrame(frame)];
  const size = checkedSize(frame);
  const writer = new ByteWriter(Buffer.allocUnsafe(size - large));
  const parts: Buffer[] = [];
  let from = 0;
  writeFrame(writer, frame, size, (w, arg) => {
    w.u16(arg.length);
    if (arg.length < ZERO_COPY_MIN) {
      w.bytes(arg);
      return;
    }
    parts.push(w.buffer.subarray(from, w.offset), Buffer.isBuffer(arg) ? arg : Buffer.from(arg.buffer, arg.byteOffset, arg.length));
    from = w.offset;
  });
  if (from < writer.offset) parts.push(writer.buffer.subarray(from, writer.offset));
  return parts;
}

function writeFrame(writer: ByteWriter, frame: Frame, size: number, writeArg: ArgWriter): void {
  // size:2 type:1 reserved:1 id:4 reserved:8
  writer.u16(size).u8(frame.type).u8(0).u32(frame.id).zeros(8);
  switch (frame.type) {
    case FrameType.InitRequest:
    case FrameType.InitResponse:
      writer.u16(frame.version);
      writeHeaders(writer, frame.headers, 2);
      break;
    case FrameType.CallRequest:
      writer.u8(frame.flags).u32(frame.ttl);
      writeTracing(writer, frame.tracing);
      writer.string1(frame.service);
      writeHeaders(writer, frame.headers, 1);
      writeChecksumAndArgs(writer, frame, writeArg);
      break;
    case FrameType.CallResponse:
      writer.u8(frame.flags).u8(frame.code);
      writeTracing(writer, frame.tracing);
      writeHeaders(writer, frame.headers, 1);
      writeChecksumAndArgs(writer, frame, writeArg);
      break;
    case FrameType.CallRequestContinue:
    case FrameType.CallResponseContinue:
      writer.u8(frame.flags);
      writeChecksumAndArgs(writer, frame, writeArg);
      break;
    case FrameType.Cancel:
      writer.u32(frame.ttl);
      writeTracing(writer, frame.tracing);
      writer.string2(frame.why);
      break;
    case FrameType.Claim:
      writer.u32(frame.ttl);
      writeTracing(writer, frame.tracing);
      break;
    case FrameType.PingRequest:
    case FrameType.PingResponse:
      break;
    case FrameType.Error:
      writer.u8(frame.code);
      writeTracing(writer, frame.tracing);
      writer.string2(frame.message);
      break;
  }
}

function writeChecksumAndArgs(writer: ByteWriter, frame: FrameChecksum & { readonly args: readonly Uint8Array[] }, writeArg: ArgWriter): void {
  if (frame.args.length > MAX_ARGS) throw new InvalidMessageError(`a frame carries at most 3 args, got ${frame.args.length}`);
  writer.u8(frame.checksumType);
  if (frame.checksumType !== ChecksumType.None) writer.u32(frame.checksum);
  for (const arg of frame.args) writeArg(writer, arg);
}

/** The fields of the 16-byte frame header. */
export interface FrameHeader {
  readonly size: number;
  readonly type: number;
  readonly id: number;
}

/** Reads the frame header at the start of `bytes` (which must hold at least 16 bytes). */
export function readFrameHeader(bytes: Buffer): FrameHeader {
  return { size: bytes.readUInt16BE(0), type: bytes[2] as number, id: bytes.readUInt32BE(4) };
}

/**
 * Decodes exactly one frame. Arg chunks and other byte runs are views into `bytes`.
 * @throws InvalidMessageError for a size that disagrees with `bytes`, an unknown type, truncated
 *   or trailing fields, bad headers (duplicates, empty or long keys) or an unknown checksum type.
 */
export function decodeFrame(bytes: Buffer): Frame {
  if (bytes.length < FRAME_HEADER_SIZE) throw new InvalidMessageError(`frame of ${bytes.length} bytes is shorter than its header`);
  const { size, type, id } = readFrameHeader(bytes);
  if (size !== bytes.length) throw new InvalidMessageError(`frame size field ${size} disagrees with ${bytes.length} bytes`);
  const reader = new ByteReader(bytes, FRAME_HEADER_SIZE, size);
  const frame = decodePayload(reader, type, id);
  if (reader.remaining !== 0) {
    throw new InvalidMessageError(`${reader.remaining} trailing bytes after ${FrameType[type] ?? type} frame`);
  }
  return frame;
}

function decodePayload(reader: ByteReader, type: number, id: number): Frame {
  switch (type) {
    case FrameType.InitRequest:
    case FrameType.InitResponse: {
      const version = reader.u16('version');
      const headers = readHeaders(reader, 2);
      return { type, id, version, headers };
    }
    case FrameType.CallRequest: {
      const flags = reader.u8('flags');
      const ttl = reader.u32('ttl');
      const tracing = readTracing(reader);
      const service = reader.string1('service');
      const headers = readHeaders(reader, 1);
      const { checksumType, checksum } = readChecksum(reader);
      const args = readArgs(reader);
      const frame: CallRequestFrame = { type, id, flags, ttl, tracing, service, headers, checksumType, checksum, args };
      return frame;
    }
    case FrameType.CallResponse: {
      const flags = reader.u8('flags');
      const code = reader.u8('code');
      const tracing = readTracing(reader);
      const headers = readHeaders(reader, 1);
      const { checksumType, checksum } = readChecksum(reader);
      const args = readArgs(reader);
      const frame: CallResponseFrame = { type, id, flags, code, tracing, headers, checksumType, checksum, args };
      return frame;
    }
    case FrameType.CallRequestContinue:
    case FrameType.CallResponseContinue: {
      const flags = reader.u8('flags');
      const { checksumType, checksum } = readChecksum(reader);
      const args = readArgs(reader);
      const frame: CallContinueFrame = { type, id, flags, checksumType, checksum, args };
      return frame;
    }
    case FrameType.Cancel: {
      const ttl = reader.u32('ttl');
      const tracing = readTracing(reader);
      const why = reader.string2('why');
      return { type, id, ttl, tracing, why };
    }
    case FrameType.Claim: {
      const ttl = reader.u32('ttl');
      const tracing = readTracing(reader);
      return { type, id, ttl, tracing };
    }
    case FrameType.PingRequest:
    case FrameType.PingResponse:
      return { type, id };
    case FrameType.Error: {
      const code = reader.u8('code');
      const tracing = readTracing(reader);
      const message = reader.string2('message');
      return { type, id, code, tracing, message };
    }
    default:
      throw new InvalidMessageError(`unknown frame type 0x${type.toString(16).padStart(2, '0')}`);
  }
}

function readChecksum(reader: ByteReader): FrameChecksum {
  const checksumType = reader.u8('csumtype');
  if (!isChecksumType(checksumType)) {
    throw new InvalidMessageError(`unknown checksum type 0x${checksumType.toString(16)}`);
  }
  const checksum = checksumType === ChecksumType.None ? 0 : reader.u32('csum');
  return { checksumType, checksum };
}

/** Arg chunks run to the end of the frame: `(arg~2){1,3}`. */
function readArgs(reader: ByteReader): Buffer[] {
  const args: Buffer[] = [];
  while (reader.remaining > 0) {
    if (args.length === MAX_ARGS) throw new InvalidMessageError('more than 3 args in a frame');
    args.push(reader.bytes2('arg'));
  }
  return args;
}

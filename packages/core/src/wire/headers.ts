import { InvalidMessageError } from '../errors/local-errors';
import type { ByteReader } from './byte-reader';
import { ByteWriter } from './byte-writer';

/** String key/value headers. Objects are created without a prototype so keys such as `__proto__` are plain data. */
export type Headers = Readonly<Record<string, string>>;

/** Transport header limits (docs/protocol.md, "Transport Headers"). */
export const MAX_TRANSPORT_HEADERS = 128;
export const MAX_TRANSPORT_HEADER_KEY_BYTES = 16;

/** Transport headers with 1-byte lengths: `nh:1 (hk~1 hv~1){nh}`. Init headers use 2-byte lengths. */
export type HeaderWidth = 1 | 2;

/**
 * Encoded forms of frozen header objects. Calls reuse the same frozen transport headers (e.g.
 * `{ as, cn, re }`) for every call, so they are encoded once; a frozen object cannot change under
 * its cached bytes.
 */
const encodedCache = new WeakMap<Headers, { readonly width: HeaderWidth; readonly bytes: Buffer }>();

function cachedEncoding(headers: Headers, width: HeaderWidth): Buffer | undefined {
  if (!Object.isFrozen(headers)) return undefined;
  const cached = encodedCache.get(headers);
  if (cached !== undefined && cached.width === width) return cached.bytes;
  const size = uncachedSize(headers, width);
  const bytes = Buffer.alloc(size);
  writeUncached(new ByteWriter(bytes), headers, width);
  encodedCache.set(headers, { width, bytes });
  return bytes;
}

/** Bytes `headers` take on the wire with the given length width. Throws if a key or value cannot be encoded. */
export function headersSize(headers: Headers, width: HeaderWidth): number {
  return cachedEncoding(headers, width)?.length ?? uncachedSize(headers, width);
}

function uncachedSize(headers: Headers, width: HeaderWidth): number {
  const max = width === 1 ? 0xff : 0xffff;
  let size = width;
  let count = 0;
  // Own keys only, as writeHeaders enumerates them: counting inherited keys too would size the frame
  // larger than the bytes written, and the unwritten tail of its allocUnsafe buffer would go out
  // as stale memory.
  for (const key of Object.keys(headers)) {
    const keyBytes = Buffer.byteLength(key);
    const valueBytes = Buffer.byteLength(headers[key] as string);
    if (width === 1 && (keyBytes === 0 || keyBytes > MAX_TRANSPORT_HEADER_KEY_BYTES)) {
      throw new InvalidMessageError(`transport header key "${key}" must be 1 to 16 bytes`);
    }
    if (keyBytes > max || valueBytes > max) {
      throw new InvalidMessageError(`header "${key}" does not fit a ${width}-byte length`);
    }
    size += 2 * width + keyBytes + valueBytes;
    count++;
  }
  if (count > (width === 1 ? MAX_TRANSPORT_HEADERS : 0xffff)) {
    throw new InvalidMessageError(`too many headers: ${count}`);
  }
  return size;
}

export function writeHeaders(writer: ByteWriter, headers: Headers, width: HeaderWidth): void {
  const cached = cachedEncoding(headers, width);
  if (cached !== undefined) {
    writer.bytes(cached);
    return;
  }
  writeUncached(writer, headers, width);
}

function writeUncached(writer: ByteWriter, headers: Headers, width: HeaderWidth): void {
  const keys = Object.keys(headers);
  if (width === 1) writer.u8(keys.length);
  else writer.u16(keys.length);
  for (const key of keys) {
    const k = Buffer.from(key);
    const v = Buffer.from(headers[key] as string);
    if (width === 1) writer.bytes1(k).bytes1(v);
    else writer.bytes2(k).bytes2(v);
  }
}

/**
 * Reads headers, rejecting what the spec calls parse errors: duplicate keys, empty keys and, for
 * transport headers, more than 128 headers or keys over 16 bytes.
 */
export function readHeaders(reader: ByteReader, width: HeaderWidth): Headers {
  if (width === 1) {
    const cached = readCachedTransportHeaders(reader);
    if (cached !== undefined) return cached;
  }
  return parseHeaders(reader, width);
}

/** Transport header blocks up to this many bytes are looked up in the decode cache. */
const DECODE_CACHE_MAX_BLOCK = 96;
/** Distinct blocks kept; peers send a handful (`as`, `cn`, `re` per caller), so this bounds memory, not hits. */
const DECODE_CACHE_MAX_ENTRIES = 512;
const decodeCache = new Map<string, Headers>();

/**
 * Calls repeat the same transport headers (`{ as, cn, re }`), so decoded blocks are kept, frozen,
 * keyed by their bytes: a hit costs one short string instead of an object and its keys and values.
 */
function readCachedTransportHeaders(reader: ByteReader): Headers | undefined {
  const { buffer, offset, end } = reader;
  if (offset >= end) return undefined;
  // Walk the length prefixes to find the block's extent without decoding anything.
  const count = buffer[offset] as number;
  let cursor = offset + 1;
  for (let i = 0; i < 2 * count; i++) {
    if (cursor >= end) return undefined;
    cursor += 1 + (buffer[cursor] as number);
  }
  if (cursor > end || cursor - offset > DECODE_CACHE_MAX_BLOCK) return undefined;
  const key = buffer.toString('latin1', offset, cursor);
  let headers = decodeCache.get(key);
  if (headers === undefined) {
    headers = Object.freeze(parseHeaders(reader, 1));
    if (decodeCache.size >= DECODE_CACHE_MAX_ENTRIES) decodeCache.clear();
    decodeCache.set(key, headers);
    return headers;
  }
  reader.offset = cursor;
  return headers;
}

function parseHeaders(reader: ByteReader, width: HeaderWidth): Headers {
  const count = width === 1 ? reader.u8('nh') : reader.u16('nh');
  if (width === 1 && count > MAX_TRANSPORT_HEADERS) {
    throw new InvalidMessageError(`too many transport headers: ${count} > ${MAX_TRANSPORT_HEADERS}`);
  }
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < count; i++) {
    const key = width === 1 ? reader.string1('header key') : reader.string2('header key');
    const value = width === 1 ? reader.string1('header value') : reader.string2('header value');
    if (key.length === 0) throw new InvalidMessageError('empty header key');
    if (width === 1 && Buffer.byteLength(key) > MAX_TRANSPORT_HEADER_KEY_BYTES) {
      throw new InvalidMessageError(`transport header key "${key}" is longer than 16 bytes`);
    }
    if (key in headers) throw new InvalidMessageError(`duplicate header key "${key}"`);
    headers[key] = value;
  }
  return headers;
}

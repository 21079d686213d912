import { ThriftDecodeError, ThriftEncodeError, type ThriftHeaders } from './thrift-errors';

// Application headers of the thrift scheme (uber/tchannel docs/thrift.md), in arg2 of requests and
// responses alike:
//
//   nh:2 (k~2 v~2){nh}
//
// nh is the big-endian header count; each key and value is a UTF-8 string after its big-endian
// 2-byte length. No headers is `00 00`, never an empty arg2: tchannel-go fails to parse an empty
// one. Pure functions: Buffers in, values out, a typed error for anything else.

/** `00 00`: no headers. */
const EMPTY_HEADERS = Buffer.from([0x00, 0x00]);

/** Largest header count and key/value byte length a 2-byte length can carry. */
const MAX_UINT16 = 0xffff;

/** `fatal`: a key or value that is not UTF-8 is an error, not silently U+FFFD. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Encodes application headers as arg2: `nh:2 (k~2 v~2){nh}`, `00 00` when there are none.
 * @throws ThriftEncodeError if a value is not a string (callers without types can pass anything),
 *   a key or value is longer than 65535 bytes, or there are more than 65535 headers.
 */
export function encodeThriftHeaders(headers: Readonly<ThriftHeaders> | undefined): Buffer {
  if (headers === undefined) return EMPTY_HEADERS;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new ThriftEncodeError(`thrift headers must be an object of strings, got ${describeType(headers)}`, { arg: 'arg2' });
  }
  const entries = Object.entries(headers);
  if (entries.length === 0) return EMPTY_HEADERS;
  if (entries.length > MAX_UINT16) {
    throw new ThriftEncodeError(`thrift headers: ${entries.length} headers; at most ${MAX_UINT16} fit nh:2`, { arg: 'arg2' });
  }
  const encoded: Buffer[] = [];
  let size = 2;
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new ThriftEncodeError(`thrift header ${JSON.stringify(key)} must be a string, got ${describeType(value)}`, { arg: 'arg2' });
    }
    for (const text of [key, value]) {
      const bytes = Buffer.from(text, 'utf8');
      if (bytes.length > MAX_UINT16) {
        throw new ThriftEncodeError(`thrift header ${JSON.stringify(key.slice(0, 40))}: ${bytes.length} bytes; at most ${MAX_UINT16} fit a ~2 length`, {
          arg: 'arg2',
        });
      }
      encoded.push(bytes);
      size += 2 + bytes.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  let offset = out.writeUInt16BE(entries.length, 0);
  for (const bytes of encoded) {
    offset = out.writeUInt16BE(bytes.length, offset);
    offset += bytes.copy(out, offset);
  }
  return out;
}

/**
 * Decodes arg2 into a null-prototype object of string headers, so a `__proto__` key is plain data.
 * An empty arg2 means no headers (lenient, as tchannel-node is); a repeated key keeps its last value.
 * @throws ThriftDecodeError if arg2 is truncated, has bytes after the last header, or a key or
 *   value is not UTF-8.
 */
export function decodeThriftHeaders(arg2: Buffer): ThriftHeaders {
  const headers = Object.create(null) as ThriftHeaders;
  if (arg2.length === 0) return headers;
  if (arg2.length < 2) throw truncated(arg2, 'the header count');
  const count = arg2.readUInt16BE(0);
  let offset = 2;
  const readString = (what: string): string => {
    if (offset + 2 > arg2.length) throw truncated(arg2, `the length of ${what}`);
    const length = arg2.readUInt16BE(offset);
    offset += 2;
    if (offset + length > arg2.length) throw truncated(arg2, `${what} (${length} bytes)`);
    const bytes = arg2.subarray(offset, offset + length);
    offset += length;
    try {
      return utf8.decode(bytes);
    } catch (err) {
      throw new ThriftDecodeError(`thrift headers (arg2): ${what} is not valid UTF-8`, { arg: 'arg2', cause: err });
    }
  };
  for (let i = 0; i < count; i++) {
    const key = readString(`key ${i + 1} of ${count}`);
    headers[key] = readString(`the value of header ${JSON.stringify(key)}`);
  }
  if (offset !== arg2.length) {
    throw new ThriftDecodeError(`thrift headers (arg2): ${arg2.length - offset} bytes after the last of ${count} headers`, { arg: 'arg2' });
  }
  return headers;
}

function truncated(arg2: Buffer, what: string): ThriftDecodeError {
  return new ThriftDecodeError(`thrift headers (arg2) end after ${arg2.length} bytes, before ${what}`, { arg: 'arg2' });
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

import { JsonDecodeError, JsonEncodeError, nullProtoRecord, type JsonHeaders } from './json-errors';

// The json scheme's args (uber/tchannel docs/json.md):
//   arg2  a JSON object of string headers: `{"k":"v",...}`, `{}` when there are none
//   arg3  any JSON value
// Pure functions: Buffers in, values out, a typed error for anything else.

/** `{}`: what arg2 carries when there are no headers (tchannel-go fails to parse an empty arg2). */
const EMPTY_HEADERS = Buffer.from('{}');

/** `fatal`: invalid UTF-8 is an error, not silently U+FFFD. A leading BOM is dropped. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Encodes application headers as arg2: a JSON object, `{}` when there are none.
 * @throws JsonEncodeError if a value is not a string (callers without types can pass anything).
 */
export function encodeJsonHeaders(headers: Readonly<JsonHeaders> | undefined): Buffer {
  if (headers === undefined) return EMPTY_HEADERS;
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) {
    throw new JsonEncodeError(`json headers must be an object of strings, got ${describeType(headers)}`, { arg: 'arg2' });
  }
  const entries = Object.entries(headers);
  if (entries.length === 0) return EMPTY_HEADERS;
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new JsonEncodeError(`json header ${JSON.stringify(key)} must be a string, got ${describeType(value)}`, { arg: 'arg2' });
    }
  }
  return Buffer.from(JSON.stringify(headers));
}

/**
 * Encodes a body as arg3 with JSON.stringify; `undefined` (and anything JSON.stringify drops,
 * such as a function) is sent as `null`, so arg3 is always valid JSON.
 * @throws JsonEncodeError if the value cannot be serialized (BigInt, a cycle, a throwing toJSON).
 */
export function encodeJsonBody(body: unknown): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new JsonEncodeError(`json body cannot be serialized: ${reason}`, { arg: 'arg3', cause: err });
  }
  return Buffer.from(text ?? 'null');
}

/**
 * Decodes arg2 into a null-prototype object of string headers, so a `__proto__` or `constructor`
 * key is plain data and merging the result elsewhere cannot reach Object.prototype.
 *
 * Lenient as peers are: an empty arg2, `null`, and surrounding whitespace (tchannel-go appends
 * `\n` to what it encodes) all mean no headers.
 * @throws JsonDecodeError if arg2 is not UTF-8, not JSON, not an object, or has a non-string value.
 */
export function decodeJsonHeaders(arg2: Buffer): JsonHeaders {
  const text = decodeUtf8(arg2, 'arg2').trim();
  if (text === '' || text === 'null') return nullProtoRecord();
  const value = parse(text, 'arg2');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JsonDecodeError(`json headers (arg2) must be an object, got ${describeType(value)}`, { arg: 'arg2' });
  }
  const headers = nullProtoRecord();
  // JSON.parse defines `__proto__` as an own data property; Object.entries sees it like any key.
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== 'string') {
      throw new JsonDecodeError(`json header ${JSON.stringify(key)} (arg2) must be a string, got ${describeType(item)}`, { arg: 'arg2' });
    }
    headers[key] = item;
  }
  return headers;
}

/**
 * Decodes arg3 with JSON.parse. An empty (or all-whitespace) arg3 is `null`: tchannel-node sends
 * it for an undefined value. JSON.parse defines a `__proto__` key as an own data property, so
 * decoding alone never changes a prototype.
 * @throws JsonDecodeError if arg3 is not UTF-8 or not JSON.
 */
export function decodeJsonBody(arg3: Buffer): unknown {
  const text = decodeUtf8(arg3, 'arg3');
  if (text.trim() === '') return null;
  return parse(text, 'arg3');
}

function decodeUtf8(bytes: Buffer, arg: 'arg2' | 'arg3'): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw new JsonDecodeError(`json ${arg} is not valid UTF-8`, { arg, cause: err });
  }
}

function parse(text: string, arg: 'arg2' | 'arg3'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new JsonDecodeError(`json ${arg} is not valid JSON (${reason}): ${preview(text)}`, { arg, cause: err });
  }
}

/** The start of an offending text, quoted, for error messages. */
function preview(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

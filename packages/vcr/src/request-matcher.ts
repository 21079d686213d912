import { CassetteArgScheme, type CassetteRequest } from './interaction';
import { VcrError } from './vcr-errors';

/** A request field two requests may be compared on (tchannel-python's matcher names). */
export type MatchField = 'serviceName' | 'endpoint' | 'headers' | 'body' | 'argScheme' | 'hostPort' | 'transportHeaders';

/** Every field a request can be matched on. */
export const MATCH_FIELDS: readonly MatchField[] = Object.freeze(['serviceName', 'endpoint', 'headers', 'body', 'argScheme', 'hostPort', 'transportHeaders']);

/** The fields matched by default, as tchannel-python's `DEFAULT_MATCHERS`. */
export const DEFAULT_MATCH_ON: readonly MatchField[] = Object.freeze(['serviceName', 'endpoint', 'headers', 'body', 'argScheme']);

/** Whether a recorded request answers a call. */
export type RequestMatcher = (call: CassetteRequest, recorded: CassetteRequest) => boolean;

/** Application header keys with this prefix carry tracing context (json and thrift): never matched. */
export const TRACING_HEADER_PREFIX = '$tracing$';

/**
 * A matcher comparing `fields`:
 * - `headers` (arg2): for json and thrift requests, the header maps less `$tracing$` keys, in any
 *   order (json: a JSON object; thrift: `nh:2 (k~2 v~2)`); raw arg2, or arg2 that does not parse
 *   as its scheme says, compares byte for byte.
 * - `body` (arg3): for two json requests, as JSON values (object keys in any order, any spacing:
 *   tchannel-python writes `{"key": "a"}` where JSON.stringify writes `{"key":"a"}`; numbers compare
 *   as doubles); otherwise, or when it is not JSON, byte for byte.
 * - `transportHeaders` as a set of pairs; the others by equality.
 * @throws VcrError for a field name not in MATCH_FIELDS
 */
export function createRequestMatcher(fields: readonly MatchField[] = DEFAULT_MATCH_ON): RequestMatcher {
  const checks = fields.map((field) => {
    if (!MATCH_FIELDS.includes(field)) throw new VcrError(`unknown match field ${JSON.stringify(field)}: use ${MATCH_FIELDS.join(', ')}`);
    return FIELD_CHECKS[field];
  });
  return (call, recorded) => checks.every((check) => check(call, recorded));
}

const FIELD_CHECKS: Readonly<Record<MatchField, RequestMatcher>> = {
  serviceName: (a, b) => a.serviceName === b.serviceName,
  endpoint: (a, b) => a.endpoint === b.endpoint,
  headers: (a, b) => headersKey(a) === headersKey(b),
  body: (a, b) => (a.argScheme === CassetteArgScheme.Json && b.argScheme === CassetteArgScheme.Json ? jsonBodyKey(a) === jsonBodyKey(b) : a.body.equals(b.body)),
  argScheme: (a, b) => a.argScheme === b.argScheme,
  hostPort: (a, b) => a.hostPort === b.hostPort,
  transportHeaders: (a, b) => transportHeadersKey(a) === transportHeadersKey(b),
};

/** Header keys computed once per request: a cassette compares every call against every unplayed interaction. */
const headersKeys = new WeakMap<CassetteRequest, string>();

/** A string equal for two requests whose arg2 match: `map:` and sorted entries, or `bytes:` and the bytes. */
export function headersKey(request: CassetteRequest): string {
  let key = headersKeys.get(request);
  if (key === undefined) {
    const entries =
      request.argScheme === CassetteArgScheme.Json ? jsonHeaderEntries(request.headers) : request.argScheme === CassetteArgScheme.Thrift ? thriftHeaderEntries(request.headers) : undefined;
    key = entries === undefined ? `bytes:${request.headers.toString('base64')}` : `map:${JSON.stringify(withoutTracing(entries))}`;
    headersKeys.set(request, key);
  }
  return key;
}

const jsonBodyKeys = new WeakMap<CassetteRequest, string>();

/** A string equal for two json bodies holding the same JSON value: `json:` and a canonical form, or `bytes:`. */
function jsonBodyKey(request: CassetteRequest): string {
  let key = jsonBodyKeys.get(request);
  if (key === undefined) {
    const text = request.body.toString('utf8').trim();
    try {
      // The json scheme reads an empty arg3 as null.
      key = `json:${JSON.stringify(canonicalJson(text === '' ? null : JSON.parse(text)))}`;
    } catch {
      key = `bytes:${request.body.toString('base64')}`;
    }
    jsonBodyKeys.set(request, key);
  }
  return key;
}

/** `value` with every object's keys sorted, so that key order does not count. */
function canonicalJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalJson);
  if (typeof value !== 'object' || value === null) return value;
  const sorted: Array<[string, unknown]> = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Pairs, not an object: an object would put integer-like keys first and treat `__proto__` specially.
  return { pairs: sorted.map(([key, item]) => [key, canonicalJson(item)]) };
}

type Entries = Array<[string, string]>;

function withoutTracing(entries: Entries): Entries {
  return entries.filter(([key]) => !key.startsWith(TRACING_HEADER_PREFIX)).sort(byKeyThenValue);
}

/** A total order on pairs, so two maps in different orders give the same key. */
function byKeyThenValue([keyA, valueA]: [string, string], [keyB, valueB]: [string, string]): number {
  if (keyA !== keyB) return keyA < keyB ? -1 : 1;
  return valueA < valueB ? -1 : valueA > valueB ? 1 : 0;
}

/**
 * json arg2 as key/value pairs (values as their JSON text, so any JSON value compares exactly), or
 * undefined when it is not a JSON object. Empty, whitespace and `null` are no headers, as the json
 * scheme reads them.
 */
function jsonHeaderEntries(arg2: Buffer): Entries | undefined {
  const text = arg2.toString('utf8').trim();
  if (text === '' || text === 'null') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  return Object.entries(parsed).map(([key, value]): [string, string] => [key, JSON.stringify(value)]);
}

/**
 * thrift arg2 `nh:2 (k~2 v~2){nh}` as key/value pairs (latin1, so distinct bytes stay distinct), or
 * undefined when it does not parse to the last byte. Empty arg2 is no headers.
 */
function thriftHeaderEntries(arg2: Buffer): Entries | undefined {
  if (arg2.length === 0) return [];
  if (arg2.length < 2) return undefined;
  const count = arg2.readUInt16BE(0);
  const entries: Entries = [];
  let offset = 2;
  const next = (): string | undefined => {
    if (offset + 2 > arg2.length) return undefined;
    const length = arg2.readUInt16BE(offset);
    if (offset + 2 + length > arg2.length) return undefined;
    const value = arg2.toString('latin1', offset + 2, offset + 2 + length);
    offset += 2 + length;
    return value;
  };
  for (let i = 0; i < count; i++) {
    const key = next();
    const value = key === undefined ? undefined : next();
    if (key === undefined || value === undefined) return undefined;
    entries.push([key, value]);
  }
  return offset === arg2.length ? entries : undefined;
}

function transportHeadersKey(request: CassetteRequest): string {
  const pairs: Entries = request.transportHeaders.map(({ key, value }) => [key, value]);
  return JSON.stringify(pairs.sort(byKeyThenValue));
}

import * as yaml from 'js-yaml';
import { CassetteFormatError } from './vcr-errors';
import {
  isUtf8,
  type CassetteArgScheme,
  type CassetteRequest,
  type CassetteResponse,
  type Interaction,
  type TransportHeader,
} from './interaction';

/** The cassette format version this package reads and writes (tchannel-python's `VERSION`). */
export const CASSETTE_VERSION = 1;

/**
 * Python 2's PyYAML tags a `unicode` value `!!python/unicode 'text'` and a non-ASCII UTF-8 `str`
 * `!!python/str "text"`; both are plain text here. Only these two scalar tags are added: other
 * python/* tags (`!!python/object/apply`...) stay unknown and fail to load, as `!!js/*` tags do.
 */
const pythonText = (tag: string): yaml.Type =>
  new yaml.Type(tag, {
    kind: 'scalar',
    construct: (data: unknown): string => (typeof data === 'string' ? data : ''),
  });

/**
 * js-yaml 4's DEFAULT_SCHEMA is data only (strings, numbers, mappings, `!!binary`, timestamps...):
 * no tag constructs functions or regexps. Extended only with the two Python text tags.
 */
const CASSETTE_SCHEMA = yaml.DEFAULT_SCHEMA.extend([pythonText('tag:yaml.org,2002:python/unicode'), pythonText('tag:yaml.org,2002:python/str')]);

/**
 * Reads a cassette file's text (format version 1):
 * ```yaml
 * version: 1
 * interactions:
 * - request:  {serviceName, endpoint, headers, body, hostPort, knownPeers, argScheme, transportHeaders: [{key, value}]}
 *   response: {code, headers, body}
 * ```
 * Byte fields may be strings (their UTF-8 bytes) or `!!binary`. An empty document is an empty
 * cassette (as tchannel-python reads an empty file). Unknown keys are ignored.
 * @throws CassetteFormatError for broken YAML, a tag outside the safe schema, another version or
 *   a value of the wrong shape, naming where
 */
export function parseCassette(text: string, path: string): Interaction[] {
  let document: unknown;
  try {
    document = yaml.load(text, { schema: CASSETTE_SCHEMA, filename: path });
  } catch (err) {
    const reason = err instanceof yaml.YAMLException ? `YAML: ${err.message}` : `YAML: ${String(err)}`;
    throw new CassetteFormatError(path, reason, { cause: err });
  }
  if (document === undefined || document === null) return [];
  const reader = new ShapeReader(path);
  const root = reader.mapping(document, 'the document');
  const version = root('version');
  // tchannel-python reads `int(data['version'])`, so "1" is version 1 too.
  if (version === undefined) reader.fail('version: missing');
  if (version !== CASSETTE_VERSION && version !== String(CASSETTE_VERSION)) {
    reader.fail(`unsupported version ${kindOf(version) === 'number' || kindOf(version) === 'string' ? String(version) : kindOf(version)} (this package reads version ${CASSETTE_VERSION})`);
  }
  const interactions = reader.list(root('interactions'), 'interactions');
  return interactions.map((value, i) => {
    const where = `interactions[${i}]`;
    const interaction = reader.mapping(value, where);
    return {
      request: readRequest(reader, interaction('request'), `${where}.request`),
      response: readResponse(reader, interaction('response'), `${where}.response`),
    };
  });
}

function readRequest(reader: ShapeReader, value: unknown, where: string): CassetteRequest {
  const request = reader.mapping(value, where);
  const field = (key: string): [unknown, string] => [request(key), `${where}.${key}`];
  return {
    serviceName: reader.text(...field('serviceName')),
    endpoint: reader.text(...field('endpoint')),
    headers: reader.bytes(...field('headers'), EMPTY),
    body: reader.bytes(...field('body')),
    hostPort: reader.text(...field('hostPort'), ''),
    knownPeers: reader.optionalList(...field('knownPeers')).map((peer, i) => reader.text(peer, `${where}.knownPeers[${i}]`)),
    argScheme: reader.argScheme(...field('argScheme')),
    transportHeaders: reader.optionalList(...field('transportHeaders')).map((header, i): TransportHeader => {
      const at = `${where}.transportHeaders[${i}]`;
      const entry = reader.mapping(header, at);
      return { key: reader.text(entry('key'), `${at}.key`), value: reader.text(entry('value'), `${at}.value`) };
    }),
  };
}

function readResponse(reader: ShapeReader, value: unknown, where: string): CassetteResponse {
  const response = reader.mapping(value, where);
  return {
    code: reader.code(response('code'), `${where}.code`),
    headers: reader.bytes(response('headers'), `${where}.headers`, EMPTY),
    body: reader.bytes(response('body'), `${where}.body`),
  };
}

const EMPTY = Buffer.alloc(0);

/** Reads a mapping's value for a key; undefined when absent. */
type Fields = (key: string) => unknown;

/** Checks parsed YAML values against the expected shapes, failing with the path of the first mismatch. */
class ShapeReader {
  constructor(private readonly path: string) {}

  fail(reason: string): never {
    throw new CassetteFormatError(this.path, reason);
  }

  /** A mapping, as a reader of its own keys (js-yaml makes a `__proto__` key an own property, never a prototype). */
  mapping(value: unknown, where: string): Fields {
    if (kindOf(value) !== 'mapping') this.fail(`${where}: expected a mapping, got ${kindOf(value)}`);
    const mapping = value as Readonly<Record<string, unknown>>;
    return (key) => (Object.hasOwn(mapping, key) ? mapping[key] : undefined);
  }

  list(value: unknown, where: string): readonly unknown[] {
    if (!Array.isArray(value)) this.fail(`${where}: ${value === undefined ? 'missing' : `expected a list, got ${kindOf(value)}`}`);
    return value as unknown[];
  }

  /** A list that may be absent or null (an empty list). */
  optionalList(value: unknown, where: string): readonly unknown[] {
    return value === undefined || value === null ? [] : this.list(value, where);
  }

  /** A string, or `!!binary` holding UTF-8 (Python 3 writes byte fields such as hostPort that way). */
  text(value: unknown, where: string, absent?: string): string {
    if (typeof value === 'string') return value;
    if (value instanceof Uint8Array && isUtf8(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
    if (value === undefined && absent !== undefined) return absent;
    return this.fail(`${where}: ${value === undefined ? 'missing' : `expected a string, got ${kindOf(value)}`}`);
  }

  /** Bytes: a string (its UTF-8 bytes) or `!!binary`. */
  bytes(value: unknown, where: string, absent?: Buffer): Buffer {
    if (typeof value === 'string') return Buffer.from(value, 'utf8');
    if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (value === undefined && absent !== undefined) return absent;
    return this.fail(`${where}: ${value === undefined ? 'missing' : `expected a string or !!binary, got ${kindOf(value)}`}`);
  }

  argScheme(value: unknown, where: string): CassetteArgScheme {
    if (value === undefined) return 0;
    if (value === 0 || value === 1 || value === 2) return value;
    return this.fail(`${where}: expected 0 (raw), 1 (json) or 2 (thrift), got ${describeValue(value)}`);
  }

  /** A call res code: an integer 0..255. */
  code(value: unknown, where: string): number {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xff) return value;
    return this.fail(`${where}: ${value === undefined ? 'missing' : `expected a call res code 0..255, got ${describeValue(value)}`}`);
  }
}

function describeValue(value: unknown): string {
  return typeof value === 'number' ? String(value) : kindOf(value);
}

/** A parsed YAML value's kind, in YAML's words. */
function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Uint8Array) return '!!binary';
  if (value instanceof Date) return 'a timestamp';
  if (typeof value === 'object') return Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null ? 'mapping' : 'an object';
  return typeof value;
}

/**
 * A cassette file's text for `interactions`. Bytes that are valid UTF-8 are written as strings
 * (readable diffs), anything else as `!!binary`. Keys keep the order of the format's description.
 */
export function serializeCassette(interactions: readonly Interaction[]): string {
  const document = {
    version: CASSETTE_VERSION,
    interactions: interactions.map(({ request, response }) => ({
      request: {
        serviceName: request.serviceName,
        endpoint: request.endpoint,
        headers: bytesValue(request.headers),
        body: bytesValue(request.body),
        hostPort: request.hostPort,
        knownPeers: [...request.knownPeers],
        argScheme: request.argScheme,
        transportHeaders: request.transportHeaders.map(({ key, value }) => ({ key, value })),
      },
      response: { code: response.code, headers: bytesValue(response.headers), body: bytesValue(response.body) },
    })),
  };
  // noRefs: identical buffers are written twice rather than as anchors and aliases.
  return yaml.dump(document, { schema: CASSETTE_SCHEMA, noRefs: true, lineWidth: -1 });
}

function bytesValue(bytes: Buffer): string | Buffer {
  return isUtf8(bytes) ? bytes.toString('utf8') : bytes;
}

import fc from 'fast-check';
import { parseCassette, serializeCassette } from './cassette-yaml';
import { CassetteArgScheme, type CassetteRequest, type Interaction } from './interaction';
import { CassetteFormatError } from './vcr-errors';

const PATH = '/tmp/cassette.yaml';

function interaction(overrides: Partial<CassetteRequest> = {}, response: Partial<Interaction['response']> = {}): Interaction {
  return {
    request: {
      serviceName: 'kv',
      endpoint: 'get',
      headers: Buffer.from('{}'),
      body: Buffer.from('{"key":"a"}'),
      hostPort: '127.0.0.1:4040',
      knownPeers: [],
      argScheme: CassetteArgScheme.Json,
      transportHeaders: [{ key: 'sk', value: 'shard-1' }],
      ...overrides,
    },
    response: { code: 0, headers: Buffer.from('{}'), body: Buffer.from('{"value":"A"}'), ...response },
  };
}

/** Interactions as plain data, for toEqual across Buffer views. */
function plain(interactions: readonly Interaction[]): unknown {
  return interactions.map(({ request, response }) => ({
    request: { ...request, headers: request.headers.toString('hex'), body: request.body.toString('hex') },
    response: { ...response, headers: response.headers.toString('hex'), body: response.body.toString('hex') },
  }));
}

/** Strings YAML is likely to mangle: indicators, implicit types, line breaks, BOM, NUL. */
const TRICKY = [
  '', ' ', ' lead', 'trail ', 'a\nb', 'a\r\nb', 'a\rb', 'x\n', '\n', '\n\n', 'a\tb', '\u0085', '\u2028\u2029', '\uFEFFbom',
  '\0', 'null', '~', 'true', 'yes', 'no', '1', '0x1f', '1e3', '.inf', '2001-12-14', '- x', '? x', ': x', '# x', '&a', '*a',
  '!x', '|', '>', "'", '"', '%', '@', '`', '{}', '[]', '---', '...', 'é€😀', '\u001b[0m',
];

describe('serializeCassette / parseCassette', () => {
  test('round-trips every byte string exactly, as text or !!binary', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }).map((array) => Buffer.from(array)),
      fc.string({ unit: 'binary', maxLength: 40 }).map((text) => Buffer.from(text)),
      fc.constantFrom(...TRICKY).map((text) => Buffer.from(text)),
    );
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom(...TRICKY));
    const interactionArb = fc.record({
      request: fc.record({
        serviceName: text,
        endpoint: text,
        headers: bytes,
        body: bytes,
        hostPort: text,
        knownPeers: fc.array(text, { maxLength: 2 }),
        argScheme: fc.constantFrom(CassetteArgScheme.Raw, CassetteArgScheme.Json, CassetteArgScheme.Thrift),
        transportHeaders: fc.array(fc.record({ key: text, value: text }), { maxLength: 2 }),
      }),
      response: fc.record({ code: fc.integer({ min: 0, max: 255 }), headers: bytes, body: bytes }),
    });
    fc.assert(
      fc.property(fc.array(interactionArb, { maxLength: 3 }), (interactions) => {
        expect(plain(parseCassette(serializeCassette(interactions), PATH))).toEqual(plain(interactions));
      }),
      { numRuns: 300 },
    );
  });

  test('writes UTF-8 bytes as strings and other bytes as !!binary', () => {
    const text = serializeCassette([interaction({ body: Buffer.from([0xff, 0x00, 0x01]) }, { body: Buffer.from('héllo') })]);
    expect(text).toMatch(/^version: 1\n/);
    expect(text).toContain('body: !!binary /wAB');
    expect(text).toContain('body: héllo');
    expect(text).toContain("headers: '{}'");
    expect(text).toContain('argScheme: 1');
  });

  test('reads a cassette written by tchannel-python (sorted keys, !!binary, !!python/unicode)', () => {
    const text = [
      'interactions:',
      '- request:',
      '    argScheme: 1',
      `    body: '{"key": "a"}'`,
      "    endpoint: !!python/unicode 'get'",
      `    headers: '{"$tracing$uber-trace-id": "abc:def:0:1", "k": "v"}'`,
      '    hostPort: 127.0.0.1:4040',
      '    knownPeers: []',
      "    serviceName: !!python/unicode 'kv'",
      '    transportHeaders:',
      '    - key: cn',
      '      value: kv-client',
      '  response:',
      '    body: !!binary |',
      '      AAEC/w==',
      '    code: 0',
      "    headers: !!python/str '{}'",
      "version: '1'",
      '',
    ].join('\n');
    const [read] = parseCassette(text, PATH);
    expect(read?.request).toMatchObject({ serviceName: 'kv', endpoint: 'get', hostPort: '127.0.0.1:4040', argScheme: 1, transportHeaders: [{ key: 'cn', value: 'kv-client' }] });
    expect(read?.request.body.toString()).toBe('{"key": "a"}');
    expect(read?.response.body).toEqual(Buffer.from([0, 1, 2, 0xff]));
    expect(read?.response.headers.toString()).toBe('{}');
  });

  test('fills optional fields with the defaults of the format', () => {
    const [read] = parseCassette('version: 1\ninteractions:\n- request: {serviceName: kv, endpoint: e, body: b}\n  response: {code: 1, body: x}\n', PATH);
    expect(read?.request).toMatchObject({ hostPort: '', knownPeers: [], argScheme: CassetteArgScheme.Raw, transportHeaders: [] });
    expect(read?.request.headers.length).toBe(0);
    expect(read?.response).toMatchObject({ code: 1 });
  });

  test('an empty file is an empty cassette', () => {
    expect(parseCassette('', PATH)).toEqual([]);
    expect(parseCassette('# nothing yet\n', PATH)).toEqual([]);
  });

  const valid = 'version: 1\ninteractions:\n- request: {serviceName: kv, endpoint: e, body: b}\n  response: {code: 0, body: x}\n';
  test.each([
    ['broken YAML', 'version: 1\ninteractions: [\n', /YAML: /],
    ['a scalar document', 'hello', /the document: expected a mapping, got string/],
    ['version 2', valid.replace('version: 1', 'version: 2'), /unsupported version 2/],
    ['no version', valid.replace('version: 1\n', ''), /version: missing/],
    ['no interactions', 'version: 1\n', /interactions: missing/],
    ['interactions not a list', 'version: 1\ninteractions: {}\n', /interactions: expected a list, got mapping/],
    ['an interaction without response', 'version: 1\ninteractions:\n- request: {serviceName: kv, endpoint: e, body: b}\n', /interactions\[0\]\.response: expected a mapping, got nothing/],
    ['a request without body', valid.replace(', body: b}', '}'), /interactions\[0\]\.request\.body: missing/],
    ['a request without serviceName', valid.replace('serviceName: kv, ', ''), /interactions\[0\]\.request\.serviceName: missing/],
    ['a numeric body', valid.replace('body: b', 'body: 12'), /request\.body: expected a string or !!binary, got number/],
    ['a timestamp endpoint', valid.replace('endpoint: e', 'endpoint: 2001-12-14'), /request\.endpoint: expected a string, got a timestamp/],
    ['a bad argScheme', valid.replace('body: b}', 'body: b, argScheme: 7}'), /argScheme: expected 0 \(raw\), 1 \(json\) or 2 \(thrift\), got 7/],
    ['a bad code', valid.replace('code: 0', 'code: ok'), /response\.code: expected a call res code 0\.\.255, got string/],
    ['a negative code', valid.replace('code: 0', 'code: -1'), /response\.code: expected a call res code 0\.\.255, got -1/],
    ['a transport header without value', valid.replace('body: b}', 'body: b, transportHeaders: [{key: k}]}'), /transportHeaders\[0\]\.value: missing/],
    ['!!js/function', valid.replace('body: x', 'body: !!js/function "function () { return 1 }"'), /unknown tag !<tag:yaml.org,2002:js\/function>/],
    ['!!js/undefined', valid.replace('body: x', 'body: !!js/undefined ""'), /unknown tag/],
    ['!!python/object/apply', valid.replace('body: x', 'body: !!python/object/apply:os.system ["true"]'), /unknown tag/],
    ['two documents', `${valid}---\n${valid}`, /YAML: .*single document/],
  ])('rejects %s with CassetteFormatError', (_name, text, reason) => {
    let error: unknown;
    try {
      parseCassette(text, PATH);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CassetteFormatError);
    const formatError = error as CassetteFormatError;
    expect(formatError.path).toBe(PATH);
    expect(formatError.reason).toMatch(reason);
    expect(formatError.message).toContain(PATH);
  });

  test('any text either parses or fails with CassetteFormatError', () => {
    const yamlish = fc.array(fc.constantFrom('version: 1\n', 'interactions:\n', '- ', 'request: ', 'response: ', '{', '}', '[', ']', 'body: ', '!!binary ', '!!js/regexp /x/', '&a ', '*a ', '<<: *a\n', '"', "'", '\n  ', 'x', '1', ': ', ', '), { maxLength: 30 });
    fc.assert(
      fc.property(fc.oneof(yamlish.map((parts) => parts.join('')), fc.string({ maxLength: 60 })), (text) => {
        try {
          parseCassette(text, PATH);
        } catch (err) {
          expect(err).toBeInstanceOf(CassetteFormatError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

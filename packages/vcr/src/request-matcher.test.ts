import { CassetteArgScheme, type CassetteRequest } from './interaction';
import { createRequestMatcher, headersKey } from './request-matcher';
import { VcrError } from './vcr-errors';

function request(overrides: Partial<CassetteRequest> = {}): CassetteRequest {
  return {
    serviceName: 'kv',
    endpoint: 'get',
    headers: Buffer.alloc(0),
    body: Buffer.from('body'),
    hostPort: '',
    knownPeers: [],
    argScheme: CassetteArgScheme.Raw,
    transportHeaders: [],
    ...overrides,
  };
}

/** thrift arg2: `nh:2 (k~2 v~2){nh}`. */
function thriftHeaders(entries: ReadonlyArray<readonly [string, string]>): Buffer {
  const parts = [Buffer.from([entries.length >> 8, entries.length & 0xff])];
  for (const [key, value] of entries) {
    for (const text of [key, value]) {
      const bytes = Buffer.from(text);
      parts.push(Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes);
    }
  }
  return Buffer.concat(parts);
}

const json = (text: string): CassetteRequest => request({ argScheme: CassetteArgScheme.Json, headers: Buffer.from(text) });
const thrift = (entries: ReadonlyArray<readonly [string, string]>): CassetteRequest => request({ argScheme: CassetteArgScheme.Thrift, headers: thriftHeaders(entries) });

describe('createRequestMatcher', () => {
  const matches = createRequestMatcher();

  test('matches on service, endpoint, headers, body and scheme by default', () => {
    expect(matches(request(), request({ hostPort: '10.0.0.1:1', knownPeers: ['x'], transportHeaders: [{ key: 'sk', value: 'a' }] }))).toBe(true);
    for (const differing of [{ serviceName: 'other' }, { endpoint: 'put' }, { body: Buffer.from('Body') }, { headers: Buffer.from('h') }, { argScheme: CassetteArgScheme.Json }]) {
      expect(matches(request(), request(differing))).toBe(false);
    }
  });

  test('json headers: ignores $tracing$ keys and key order, compares the rest', () => {
    expect(matches(json('{"k":"v","$tracing$uber-trace-id":"1:2:0:1"}'), json('{ "$tracing$uber-trace-id": "9:9:0:0", "k": "v" }\n'))).toBe(true);
    expect(matches(json('{"a":"1","b":"2"}'), json('{"b":"2","a":"1"}'))).toBe(true);
    expect(matches(json('{"$tracing$x":"1"}'), json(''))).toBe(true);
    expect(matches(json('null'), json('{}'))).toBe(true);
    expect(matches(json('{"k":"v"}'), json('{"k":"w"}'))).toBe(false);
    expect(matches(json('{"k":"v"}'), json('{"k":"v","extra":"1"}'))).toBe(false);
    // Not a JSON object: compared as bytes.
    expect(matches(json('{"k":'), json('{"k":'))).toBe(true);
    expect(matches(json('{"k":'), json('{"k": '))).toBe(false);
  });

  test('thrift headers: ignores $tracing$ keys and order, compares the rest', () => {
    expect(matches(thrift([['k', 'v'], ['$tracing$span', 'a']]), thrift([['$tracing$span', 'b'], ['k', 'v']]))).toBe(true);
    expect(matches(thrift([['$tracing$span', 'a']]), request({ argScheme: CassetteArgScheme.Thrift }))).toBe(true);
    expect(matches(thrift([['k', 'v']]), thrift([['k', 'w']]))).toBe(false);
    expect(matches(thrift([['k', 'v']]), thrift([]))).toBe(false);
    // Trailing bytes: not a header map, compared as bytes.
    const broken = Buffer.concat([thriftHeaders([['k', 'v']]), Buffer.from([0])]);
    expect(headersKey(request({ argScheme: CassetteArgScheme.Thrift, headers: broken }))).toMatch(/^bytes:/);
  });

  test('json bodies compare as JSON values, other bodies as bytes', () => {
    const body = (text: string, argScheme: CassetteArgScheme = CassetteArgScheme.Json): CassetteRequest => request({ argScheme, body: Buffer.from(text) });
    expect(matches(body('{"key": "a", "n": [1, {"y": 2, "x": 1}]}'), body('{"n":[1,{"x":1,"y":2}],"key":"a"}'))).toBe(true);
    expect(matches(body(''), body('null'))).toBe(true);
    expect(matches(body('{"a":1}'), body('{"a":2}'))).toBe(false);
    expect(matches(body('{"a":1}'), body('{"pairs":[["a",1]]}'))).toBe(false);
    expect(matches(body('[1,2]'), body('[2,1]'))).toBe(false);
    expect(matches(body('{"a":'), body('{"a":'))).toBe(true);
    expect(matches(body('{"a":'), body('{"a": '))).toBe(false);
    expect(matches(body('{"a": 1}', CassetteArgScheme.Raw), body('{"a":1}', CassetteArgScheme.Raw))).toBe(false);
  });

  test('raw headers compare byte for byte, $tracing$ or not', () => {
    const raw = (text: string): CassetteRequest => request({ headers: Buffer.from(text) });
    expect(matches(raw('{"$tracing$x":"1"}'), raw('{"$tracing$x":"1"}'))).toBe(true);
    expect(matches(raw('{"$tracing$x":"1"}'), raw('{"$tracing$x":"2"}'))).toBe(false);
  });

  test('matchOn chooses the fields, hostPort and transportHeaders included', () => {
    const byEndpoint = createRequestMatcher(['endpoint']);
    expect(byEndpoint(request(), request({ serviceName: 'other', body: Buffer.from('x') }))).toBe(true);
    const byTransport = createRequestMatcher(['transportHeaders', 'hostPort']);
    const a = request({ hostPort: 'h:1', transportHeaders: [{ key: 'sk', value: '1' }, { key: 'rd', value: 'x' }] });
    expect(byTransport(a, request({ hostPort: 'h:1', transportHeaders: [{ key: 'rd', value: 'x' }, { key: 'sk', value: '1' }] }))).toBe(true);
    expect(byTransport(a, request({ hostPort: 'h:2', transportHeaders: a.transportHeaders }))).toBe(false);
    expect(createRequestMatcher([])(request(), request({ endpoint: 'x' }))).toBe(true);
  });

  test('rejects an unknown field name', () => {
    expect(() => createRequestMatcher(['method' as never])).toThrow(VcrError);
  });
});

import fc from 'fast-check';
import { decodeThriftHeaders, encodeThriftHeaders } from './app-headers';
import { ThriftDecodeError, ThriftEncodeError, type ThriftHeaders } from './thrift-errors';
import { hex } from '../test/golden';

// Golden vectors of `nh:2 (k~2 v~2){nh}` (uber/tchannel docs/thrift.md, Arguments).
const VECTORS: Array<[string, ThriftHeaders, Buffer]> = [
  ['no headers', {}, hex('0000 // nh = 0')],
  [
    'one header',
    { k: 'v' },
    hex(`
      0001     // nh = 1
      0001 6b  // k~2 "k"
      0001 76  // v~2 "v"
    `),
  ],
  [
    'two headers, an empty value',
    { ab: 'xyz', e: '' },
    hex(`
      0002         // nh = 2
      0002 6162    // k~2 "ab"
      0003 78797a  // v~2 "xyz"
      0001 65      // k~2 "e"
      0000         // v~2 ""
    `),
  ],
  [
    'UTF-8 key and value',
    { 'ü': '✓' },
    hex(`
      0001         // nh = 1
      0002 c3bc    // k~2 "ü"
      0003 e29c93  // v~2 "✓"
    `),
  ],
];

describe('golden bytes', () => {
  test.each(VECTORS)('%s: encode', (_name, headers, bytes) => {
    expect(encodeThriftHeaders(headers).toString('hex')).toBe(bytes.toString('hex'));
  });

  test.each(VECTORS)('%s: decode', (_name, headers, bytes) => {
    expect({ ...decodeThriftHeaders(bytes) }).toEqual(headers);
  });

  test('no headers is `00 00`, never an empty arg2 (tchannel-go fails on an empty one)', () => {
    expect(encodeThriftHeaders(undefined)).toEqual(hex('0000'));
    expect(encodeThriftHeaders({})).toEqual(hex('0000'));
  });
});

describe('decoding', () => {
  test('an empty arg2 is no headers, as tchannel-node reads it', () => {
    expect(Object.keys(decodeThriftHeaders(Buffer.alloc(0)))).toEqual([]);
  });

  test('the result has no prototype: `__proto__` is a plain key', () => {
    const headers = decodeThriftHeaders(encodeThriftHeaders(JSON.parse('{"__proto__":"x","constructor":"y"}') as ThriftHeaders));
    expect(Object.getPrototypeOf(headers)).toBeNull();
    expect(headers['__proto__']).toBe('x');
    expect(headers['constructor']).toBe('y');
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  test('a repeated key keeps its last value', () => {
    expect({ ...decodeThriftHeaders(hex('0002 0001 6b 0001 31 0001 6b 0001 32')) }).toEqual({ k: '2' });
  });

  test('every truncation of a valid arg2 is a ThriftDecodeError', () => {
    const bytes = encodeThriftHeaders({ key: 'value', 'ü': '' });
    for (let end = 1; end < bytes.length; end++) {
      expect(() => decodeThriftHeaders(bytes.subarray(0, end))).toThrow(ThriftDecodeError);
    }
  });

  test.each<[string, Buffer, RegExp]>([
    ['bytes after the last header', hex('0000 00'), /1 bytes after the last of 0 headers/],
    ['a count with too few headers', hex('0002 0001 6b 0001 76'), /before the length of key 2 of 2/],
    ['a length past the end', hex('0001 0005 6b'), /before key 1 of 1 \(5 bytes\)/],
    ['invalid UTF-8', hex('0001 0001 ff 0000'), /not valid UTF-8/],
  ])('%s', (_name, bytes, message) => {
    const err = captureError(() => decodeThriftHeaders(bytes));
    expect(err).toBeInstanceOf(ThriftDecodeError);
    expect((err as ThriftDecodeError).arg).toBe('arg2');
    expect((err as Error).message).toMatch(message);
  });
});

describe('encoding', () => {
  test.each<[string, unknown]>([
    ['a number value', { n: 1 }],
    ['a null value', { n: null }],
    ['an array', ['a']],
    ['null', null],
  ])('%s is a ThriftEncodeError', (_name, headers) => {
    const err = captureError(() => encodeThriftHeaders(headers as ThriftHeaders));
    expect(err).toBeInstanceOf(ThriftEncodeError);
    expect((err as ThriftEncodeError).arg).toBe('arg2');
  });

  test('a value over 65535 bytes is a ThriftEncodeError; 65535 fits', () => {
    expect(() => encodeThriftHeaders({ k: 'x'.repeat(0x10000) })).toThrow(ThriftEncodeError);
    expect(decodeThriftHeaders(encodeThriftHeaders({ k: 'x'.repeat(0xffff) }))['k']).toHaveLength(0xffff);
  });
});

test('property: decode(encode(headers)) equals headers', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' })), (headers) => {
      expect({ ...decodeThriftHeaders(encodeThriftHeaders(headers)) }).toEqual({ ...headers });
    }),
  );
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

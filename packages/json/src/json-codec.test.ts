import { TChannelError } from '@tchannel/core';
import { decodeJsonBody, decodeJsonHeaders, encodeJsonBody, encodeJsonHeaders } from './json-codec';
import { JsonDecodeError, JsonEncodeError } from './json-errors';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

describe('encodeJsonHeaders', () => {
  test.each([
    ['absent', undefined],
    ['empty', {}],
  ])('%s headers are written as {}', (_name, headers) => {
    expect(encodeJsonHeaders(headers).toString()).toBe('{}');
  });

  test('string headers are a JSON object', () => {
    expect(encodeJsonHeaders({ a: 'b', 'ü': '✓' }).toString()).toBe('{"a":"b","ü":"✓"}');
  });

  test('a non-string value is a JsonEncodeError about arg2', () => {
    const headers = { n: 1 } as unknown as Record<string, string>;
    const err = captured(() => encodeJsonHeaders(headers));
    expect(err).toBeInstanceOf(JsonEncodeError);
    expect(err).toBeInstanceOf(TChannelError);
    expect((err as JsonEncodeError).arg).toBe('arg2');
    expect((err as Error).message).toMatch(/"n" must be a string, got number/);
    expect(() => encodeJsonHeaders(['x'] as unknown as Record<string, string>)).toThrow(JsonEncodeError);
  });
});

describe('encodeJsonBody', () => {
  test.each<[string, unknown, string]>([
    ['an object', { a: [1, { b: null }] }, '{"a":[1,{"b":null}]}'],
    ['an array', [1, 'two'], '[1,"two"]'],
    ['a string', 'hi', '"hi"'],
    ['a number', -1.5e-7, '-1.5e-7'],
    ['null', null, 'null'],
    ['undefined', undefined, 'null'],
    ['a function', () => 1, 'null'],
  ])('%s', (_name, value, expected) => {
    expect(encodeJsonBody(value).toString()).toBe(expected);
  });

  test('an unserializable value is a JsonEncodeError about arg3, with the cause', () => {
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    for (const value of [cycle, 10n]) {
      const err = captured(() => encodeJsonBody(value));
      expect(err).toBeInstanceOf(JsonEncodeError);
      expect((err as JsonEncodeError).arg).toBe('arg3');
      expect((err as JsonEncodeError).cause).toBeInstanceOf(TypeError);
    }
  });
});

describe('decodeJsonHeaders', () => {
  test.each(['', 'null', '  ', '\n', ' null\n', '{}', '{}\n', '\t{ }\r\n'])('%j means no headers', (text) => {
    const headers = decodeJsonHeaders(bytes(text));
    expect(Object.keys(headers)).toEqual([]);
    expect(Object.getPrototypeOf(headers)).toBeNull();
  });

  test("tchannel-go's trailing newline and a UTF-8 BOM are accepted", () => {
    expect({ ...decodeJsonHeaders(bytes('{"a":"b"}\n')) }).toEqual({ a: 'b' });
    expect({ ...decodeJsonHeaders(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('{"a":"b"}')])) }).toEqual({ a: 'b' });
  });

  test.each<[string, RegExp]>([
    ['{', /not valid JSON/],
    ['{"a":1}', /"a" \(arg2\) must be a string, got number/],
    ['{"a":null}', /must be a string, got null/],
    ['{"a":{"b":"c"}}', /must be a string, got object/],
    ['["a"]', /must be an object, got an array/],
    ['"a"', /must be an object, got string/],
    ['1', /must be an object, got number/],
  ])('%j is a JsonDecodeError', (text, message) => {
    const err = captured(() => decodeJsonHeaders(bytes(text)));
    expect(err).toBeInstanceOf(JsonDecodeError);
    expect((err as JsonDecodeError).arg).toBe('arg2');
    expect((err as Error).message).toMatch(message);
  });

  test('invalid UTF-8 is a JsonDecodeError, not U+FFFD', () => {
    expect(() => decodeJsonHeaders(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x22, 0x22, 0x7d]))).toThrow(/not valid UTF-8/);
  });

  test('keys that name Object.prototype members are plain data', () => {
    const headers = decodeJsonHeaders(bytes('{"__proto__":"x","constructor":"y","toString":"z","hasOwnProperty":"w"}'));
    expect(Object.getPrototypeOf(headers)).toBeNull();
    expect(headers['__proto__']).toBe('x');
    expect(headers['constructor']).toBe('y');
    expect(headers['toString']).toBe('z');
    expect(Object.keys(headers).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'toString']);
  });
});

describe('decodeJsonBody', () => {
  test.each<[string, unknown]>([
    ['{"a":[1,{"b":null}]}', { a: [1, { b: null }] }],
    ['[]', []],
    ['"ünï©ødé 🚀"', 'ünï©ødé 🚀'],
    ['-0.5', -0.5],
    ['true', true],
    ['null', null],
    ['null\n', null],
    ['', null],
    [' \n', null],
  ])('%j', (text, expected) => {
    expect(decodeJsonBody(bytes(text))).toEqual(expected);
  });

  test('invalid JSON is a JsonDecodeError about arg3 that quotes the start of the text', () => {
    const err = captured(() => decodeJsonBody(bytes(`not json ${'x'.repeat(100)}`)));
    expect(err).toBeInstanceOf(JsonDecodeError);
    expect((err as JsonDecodeError).arg).toBe('arg3');
    expect((err as JsonDecodeError).cause).toBeInstanceOf(SyntaxError);
    expect((err as Error).message).toMatch(/not valid JSON .*"not json x+…"$/);
  });
});

test('encode then decode is the identity for JSON values', () => {
  const values: unknown[] = [{ nested: { deep: [1, 2, { k: 'v' }] } }, ['a', 1, null, true], 'ü🚀', 0, 1e21, null, { '': '' }];
  for (const value of values) expect(decodeJsonBody(encodeJsonBody(value))).toEqual(value);
  const headers = { a: 'b', '': '', 'ключ': 'значение 🚀', quote: '"\\\n' };
  expect({ ...decodeJsonHeaders(encodeJsonHeaders(headers)) }).toEqual(headers);
});

function captured(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

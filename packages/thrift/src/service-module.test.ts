import { KeyValue, ttypes } from '../test/keyvalue-handler';
import BaseService = require('../test/gen/keyvalue/BaseService');
import Meta = require('./gen/meta/Meta');
import { BufferUnderrunError, MemoryTransport } from './memory-transport';
import { decodeCall, decodeResult, describeService, encodeArgs, type ServiceDescription } from './service-module';
import { hex } from '../test/golden';

function method(service: ServiceDescription, name: string) {
  const found = service.methods.get(name);
  if (found === undefined) throw new Error(`no method ${name}`);
  return found;
}

describe('describeService', () => {
  test('methods from the generated Client, inherited ones included, with argument counts and oneway', () => {
    const service = describeService(KeyValue);
    expect(service.name).toBe('KeyValue');
    expect(Object.fromEntries([...service.methods].map(([name, m]) => [name, [m.argCount, m.oneway]]))).toEqual({
      get: [1, false],
      put: [2, false],
      add: [2, false],
      clear: [0, false],
      transform: [4, false],
      notify: [1, true],
      isHealthy: [0, false],
      echo: [1, false],
    });
    expect(describeService(BaseService).name).toBe('BaseService');
    expect(describeService(Meta).name).toBe('Meta');
  });

  test('is cached per module and name', () => {
    expect(describeService(KeyValue)).toBe(describeService(KeyValue));
    expect(describeService(KeyValue, 'X').name).toBe('X');
  });
});

describe('codec over the generated code, without the message envelope', () => {
  const service = describeService(KeyValue);

  test('encodeArgs writes the bare _args struct', () => {
    expect(encodeArgs(service, method(service, 'get'), ['ab']).toString('hex')).toBe(
      hex(`
        0b 0001 00000002 6162  // 1: key = "ab"
        00                     // stop
      `).toString('hex'),
    );
    expect(encodeArgs(service, method(service, 'clear'), []).toString('hex')).toBe('00');
  });

  test('decodeResult: success, declared exception, missing value, void', () => {
    expect(decodeResult(service, method(service, 'get'), hex('0b 0000 00000001 76 00'))).toEqual({ kind: 'success', value: 'v' });
    const exception = decodeResult(service, method(service, 'get'), hex('0c 0001 0b 0001 00000001 6b 00 00'));
    expect(exception.kind).toBe('exception');
    expect(exception.kind === 'exception' && exception.error).toBeInstanceOf(ttypes.KeyNotFound);
    expect(decodeResult(service, method(service, 'get'), hex('00'))).toEqual({ kind: 'missing' });
    expect(decodeResult(service, method(service, 'clear'), hex('00'))).toEqual({ kind: 'success', value: undefined });
  });

  test('decodeResult throws on truncated input and on bytes after the struct', () => {
    expect(() => decodeResult(service, method(service, 'get'), hex('0b 0000 00000005 76'))).toThrow(BufferUnderrunError);
    expect(() => decodeResult(service, method(service, 'get'), hex('00 00'))).toThrow(/1 bytes after the end/);
  });

  test('decodeCall reads the arguments and writes the _result struct for a value or a declared exception', () => {
    const call = decodeCall(service, method(service, 'put'), hex('0b 0001 00000001 6b  0b 0002 00000001 76  00'));
    expect(call.args).toEqual(['k', 'v']);
    expect(call.answer({ ok: true, value: undefined })).toEqual({ declared: true, arg3: hex('00') });

    const get = decodeCall(service, method(service, 'get'), hex('0b 0001 00000001 6b 00'));
    const answer = get.answer({ ok: false, error: new ttypes.KeyNotFound({ key: 'k' }) });
    expect(answer).toEqual({ declared: true, arg3: hex('0c 0001 0b 0001 00000001 6b 00 00') });
  });

  test('decodeCall: an undeclared error is reported as not declared', () => {
    const call = decodeCall(service, method(service, 'add'), hex('00'));
    expect(call.args).toEqual([null, null]);
    expect(call.answer({ ok: false, error: new Error('x') }).declared).toBe(false);
  });
});

describe('MemoryTransport', () => {
  test('reads big-endian numbers and copies of bytes; collects writes', () => {
    const input = hex('ff 0102 fffffffe 3ff0000000000000 616263');
    const t = new MemoryTransport(input);
    expect([t.readByte(), t.readI16(), t.readI32(), t.readDouble(), t.readString(3)]).toEqual([-1, 258, -2, 1, 'abc']);
    expect(t.remaining).toBe(0);
    expect(() => t.readByte()).toThrow(BufferUnderrunError);
    t.write(Buffer.from('x'));
    t.write('y');
    expect(t.writtenBytes().toString()).toBe('xy');
  });

  test('a negative or huge length is an underrun, not an allocation', () => {
    const t = new MemoryTransport(hex('00'));
    expect(() => t.read(-1)).toThrow(BufferUnderrunError);
    expect(() => t.read(0x7fffffff)).toThrow(BufferUnderrunError);
  });
});

import { encodeJsonBody } from '@tchannel/json';
import { advertiseRequestBody, readAdvertiseRequest, readAdvertiseResponse } from './hyperbahn-wire';

describe('ad/unad body', () => {
  test('encodes byte for byte as tchannel-go does: serviceName, then cost', () => {
    expect(encodeJsonBody(advertiseRequestBody('kv', 0)).toString()).toBe('{"services":[{"serviceName":"kv","cost":0}]}');
  });

  test('reads a body as a router would, whatever the key order (tchannel-node sends cost first)', () => {
    expect(readAdvertiseRequest(JSON.parse('{"services":[{"cost":0,"serviceName":"kv"}]}'))).toEqual({
      services: [{ serviceName: 'kv', cost: 0 }],
    });
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['no services', {}],
    ['services not an array', { services: {} }],
    ['a service without a name', { services: [{ cost: 0 }] }],
    ['a service without a cost', { services: [{ serviceName: 'kv' }] }],
    ['a non-object service', { services: ['kv'] }],
  ])('rejects %s', (_name, body) => {
    expect(readAdvertiseRequest(body)).toBeUndefined();
  });
});

describe('router answer', () => {
  test('reads connectionCount', () => {
    expect(readAdvertiseResponse({ connectionCount: 4 })).toEqual({ connectionCount: 4 });
    expect(readAdvertiseResponse({ connectionCount: 0, extra: true })).toEqual({ connectionCount: 0 });
  });

  test.each<[string, unknown]>([
    ['null', null],
    ['an array', [1]],
    ['no count', {}],
    ['a string count', { connectionCount: '4' }],
    ['a negative count', { connectionCount: -1 }],
    ['a fractional count', { connectionCount: 1.5 }],
  ])('rejects %s', (_name, body) => {
    expect(readAdvertiseResponse(body)).toBeUndefined();
  });
});

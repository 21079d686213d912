import { parseOptions } from '../src/cli';

describe('parseOptions', () => {
  it('has the documented defaults', () => {
    const o = parseOptions([]);
    expect(o).toMatchObject({
      durationMs: 3000,
      warmupMs: 1000,
      repeat: 3,
      only: ['ours', 'node', 'grpc', 'net'],
      scenarios: ['latency', 'throughput', 'large', 'connections'],
      pin: 'split',
    });
  });

  it('reads flags in both spellings, with aliases, in canonical order', () => {
    const o = parseOptions(['--duration=1', '--repeat', '1', '--only=net,tchannel-node', '--scenarios', '3,latency', '--warmup=0']);
    expect(o).toMatchObject({ durationMs: 1000, repeat: 1, warmupMs: 0, only: ['node', 'net'], scenarios: ['latency', 'large'] });
  });

  it('refuses bad values and answers --help with null', () => {
    expect(() => parseOptions(['--repeat', '0'])).toThrow('--repeat');
    expect(() => parseOptions(['--only', 'thrift'])).toThrow('unknown "thrift"');
    expect(() => parseOptions(['--pin', 'both'])).toThrow('--pin');
    expect(() => parseOptions(['--bogus'])).toThrow();
    expect(parseOptions(['-h'])).toBeNull();
  });
});

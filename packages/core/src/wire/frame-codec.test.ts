import fc from 'fast-check';
import { InvalidMessageError } from '../errors/local-errors';
import { ChecksumType } from './checksum-type';
import { FRAME_ARBITRARIES } from './frame-arbitraries.fixtures';
import { decodeFrame, encodeFrame, encodeFrameParts, frameSize, readFrameHeader } from './frame-codec';
import { FrameType } from './frame-type';
import { ascii, FRAME_VECTORS, frameWithPayload, headers, TRACING, TRACING_BYTES, wire, zeros } from './frame-vectors.fixtures';
import type { CallFrame, CallRequestFrame, Frame } from './frames';

/** Runs `fn`, expecting it to throw; returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw, but none happened');
}

function expectInvalidMessage(fn: () => unknown, reason: RegExp): void {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(InvalidMessageError);
  expect((err as Error).message).toMatch(reason);
}

const isCallFrame = (frame: Frame): frame is CallFrame => 'args' in frame;

describe('golden frames (docs/protocol.md layouts)', () => {
  it('cover every frame type', () => {
    const types = new Set(FRAME_VECTORS.map((v) => v.frame.type));
    const all = Object.values(FrameType).filter((v): v is FrameType => typeof v === 'number');
    expect([...types].sort()).toEqual([...all].sort());
  });

  it('cover every checksum type in call req', () => {
    const types = new Set(FRAME_VECTORS.flatMap((v) => (v.frame.type === FrameType.CallRequest ? [v.frame.checksumType] : [])));
    expect(types).toEqual(new Set([ChecksumType.None, ChecksumType.Crc32, ChecksumType.Farmhash32, ChecksumType.Crc32c]));
  });

  describe.each(FRAME_VECTORS.map((v) => [v.name, v] as const))('%s', (_name, vector) => {
    it('encodes to the golden bytes', () => {
      expect(encodeFrame(vector.frame).toString('hex')).toBe(vector.bytes.toString('hex'));
      expect(frameSize(vector.frame)).toBe(vector.bytes.length);
    });

    it('decodes from the golden bytes', () => {
      const decoded = decodeFrame(vector.bytes);
      expect(decoded).toEqual(vector.frame);
      if ('headers' in decoded) expect(Object.getPrototypeOf(decoded.headers)).toBeNull();
      if (isCallFrame(decoded)) {
        for (const arg of decoded.args) {
          expect(Buffer.isBuffer(arg)).toBe(true);
          // Views into the received bytes, not copies.
          expect(arg.buffer).toBe(vector.bytes.buffer);
        }
      }
    });

    it('has a header readFrameHeader reads', () => {
      expect(readFrameHeader(vector.bytes)).toEqual({ size: vector.bytes.length, type: vector.frame.type, id: vector.frame.id });
    });

    it('decodes from a Buffer that is a view into a larger pooled buffer', () => {
      const pool = Buffer.alloc(vector.bytes.length + 20, 0xee);
      vector.bytes.copy(pool, 7);
      expect(decodeFrame(pool.subarray(7, 7 + vector.bytes.length))).toEqual(vector.frame);
    });

    it('rejects every truncation with InvalidMessageError (call frames: except at arg boundaries)', () => {
      const { bytes, frame } = vector;
      const argCounts: number[] = [];
      for (let len = 0; len < bytes.length; len++) {
        // Unpatched: the size field disagrees with the byte count.
        expectInvalidMessage(() => decodeFrame(bytes.subarray(0, len)), /shorter than its header|disagrees/);
        if (len < 16) continue;
        // Patched: a frame whose payload ends early.
        const cut = Buffer.from(bytes.subarray(0, len));
        cut.writeUInt16BE(len, 0);
        if (!isCallFrame(frame)) {
          expectInvalidMessage(() => decodeFrame(cut), /truncated/);
          continue;
        }
        let decoded: Frame;
        try {
          decoded = decodeFrame(cut);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidMessageError);
          expect((err as Error).message).toMatch(/truncated/);
          continue;
        }
        // A cut exactly at an arg boundary is a valid frame carrying fewer arg chunks.
        const args = (decoded as CallFrame).args;
        expect(decoded).toEqual({ ...frame, args: frame.args.slice(0, args.length) });
        argCounts.push(args.length);
      }
      if (isCallFrame(frame)) expect(argCounts).toEqual(frame.args.map((_, i) => i));
    });
  });
});

/** flags:1 ttl:4 tracing:25 service~1 = "svc" */
const CALL_REQ_PREFIX = [
  0x00, // flags:1
  0x00, 0x00, 0x03, 0xe8, // ttl:4 = 1000
  ...TRACING_BYTES, // tracing:25
  0x03, ...ascii('svc'), // service~1
];
/** csumtype:1 = none, arg1~2 = "echo" */
const NO_CSUM_ECHO = [
  0x00, // csumtype:1 = none
  0x00, 0x04, ...ascii('echo'), // arg1~2
];
/** nh:1 = n and n distinct 2-byte keys k00.. with empty values. */
function manyHeaders(n: number): number[] {
  const out = [n & 0xff];
  for (let i = 0; i < n; i++) out.push(0x03, ...ascii(`k${String(i).padStart(2, '0')}`.slice(-3)), 0x00);
  return out;
}

describe('decodeFrame rejects malformed frames with InvalidMessageError', () => {
  const cases: ReadonlyArray<readonly [string, Buffer, RegExp]> = [
    ['empty input', Buffer.alloc(0), /shorter than its header/],
    ['15 bytes (less than a frame header)', wire([0x00, 0x0f, 0xd0, ...zeros(12)]), /shorter than its header/],
    ['size field larger than the bytes', wire([0x00, 0x11, 0xd0, 0x00, ...zeros(4), ...zeros(8)]), /disagrees/],
    ['size field smaller than the bytes', wire([0x00, 0x10, 0xd0, 0x00, ...zeros(4), ...zeros(8), 0x00]), /disagrees/],
    ['size field below 16', wire([0x00, 0x0f, 0xd0, 0x00, ...zeros(4), ...zeros(8)]), /disagrees/],
    ['size field 0', wire([0x00, 0x00, 0xd0, 0x00, ...zeros(4), ...zeros(8)]), /disagrees/],
    ...[0x00, 0x05, 0x12, 0x15, 0x20, 0xc2, 0xd2, 0xfe].map(
      (type) => [`unknown frame type 0x${type.toString(16)}`, frameWithPayload(type, 1, []), /unknown frame type/] as const,
    ),
    ['unknown frame type with a body', frameWithPayload(0x05, 1, [0x01, 0x02, 0x03]), /unknown frame type/],
    // Truncated fields.
    ...[FrameType.InitRequest, FrameType.InitResponse, FrameType.CallRequest, FrameType.CallResponse, FrameType.CallRequestContinue, FrameType.CallResponseContinue, FrameType.Cancel, FrameType.Claim, FrameType.Error].map(
      (type) => [`${FrameType[type]} with no body`, frameWithPayload(type, 1, []), /truncated/] as const,
    ),
    ['init req: version only', frameWithPayload(FrameType.InitRequest, 1, [0x00, 0x02]), /truncated/],
    ['init req: nh:2 = 1, no headers follow', frameWithPayload(FrameType.InitRequest, 1, [0x00, 0x02, 0x00, 0x01]), /truncated/],
    [
      'init res: header value shorter than its length',
      frameWithPayload(FrameType.InitResponse, 1, [
        0x00, 0x02, // version:2
        0x00, 0x01, // nh:2 = 1
        0x00, 0x01, ...ascii('a'), // key~2
        0x00, 0x05, ...ascii('ab'), // value~2 says 5, has 2
      ]),
      /truncated/,
    ],
    ['call req: ttl cut short', frameWithPayload(FrameType.CallRequest, 1, [0x00, 0x00, 0x00]), /truncated/],
    ['call req: tracing cut short', frameWithPayload(FrameType.CallRequest, 1, [0x00, 0x00, 0x00, 0x03, 0xe8, ...TRACING_BYTES.slice(0, 24)]), /truncated/],
    [
      'call req: service longer than the frame',
      frameWithPayload(FrameType.CallRequest, 1, [0x00, 0x00, 0x00, 0x03, 0xe8, ...TRACING_BYTES, 0x09, ...ascii('svc')]),
      /truncated/,
    ],
    ['call req: no nh', frameWithPayload(FrameType.CallRequest, 1, CALL_REQ_PREFIX), /truncated/],
    ['call req: no csumtype', frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, 0x00]), /truncated/],
    [
      'call req: header value cut short',
      frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, 0x01, 0x02, ...ascii('as'), 0x03, ...ascii('ra')]),
      /truncated/,
    ],
    [
      'call req: csum cut short',
      frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, 0x00, 0x03, 0xdd, 0xf8, 0x56]),
      /truncated/,
    ],
    ['call res: code missing', frameWithPayload(FrameType.CallResponse, 1, [0x00]), /truncated/],
    ['call req continue: csum cut short', frameWithPayload(FrameType.CallRequestContinue, 1, [0x00, 0x01, 0x1f, 0x50]), /truncated/],
    ['call res continue: half an arg length', frameWithPayload(FrameType.CallResponseContinue, 1, [0x00, 0x00, 0x00]), /truncated/],
    [
      'call res continue: arg shorter than its length',
      frameWithPayload(FrameType.CallResponseContinue, 1, [0x00, 0x00, 0x00, 0x05, ...ascii('he')]),
      /truncated/,
    ],
    [
      'call req continue: second arg shorter than its length',
      frameWithPayload(FrameType.CallRequestContinue, 1, [0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x01]),
      /truncated/,
    ],
    ['cancel: why cut short', frameWithPayload(FrameType.Cancel, 1, [0x00, 0x00, 0x01, 0xf4, ...TRACING_BYTES, 0x00, 0x07, ...ascii('time')]), /truncated/],
    ['claim: tracing cut short', frameWithPayload(FrameType.Claim, 1, [0x00, 0x00, 0x01, 0xf4, ...TRACING_BYTES.slice(0, 10)]), /truncated/],
    ['error: message length missing', frameWithPayload(FrameType.Error, 1, [0x03, ...TRACING_BYTES]), /truncated/],
    ['error: message cut short', frameWithPayload(FrameType.Error, 1, [0x03, ...TRACING_BYTES, 0x00, 0x0b, ...ascii('server')]), /truncated/],
    // Trailing bytes.
    ['ping req with a body', frameWithPayload(FrameType.PingRequest, 1, [0x00]), /trailing/],
    ['ping res with a body', frameWithPayload(FrameType.PingResponse, 1, [0x01, 0x02]), /trailing/],
    ['claim with a trailing byte', frameWithPayload(FrameType.Claim, 1, [0x00, 0x00, 0x01, 0xf4, ...TRACING_BYTES, 0x00]), /trailing/],
    ['cancel with a trailing byte', frameWithPayload(FrameType.Cancel, 1, [0x00, 0x00, 0x01, 0xf4, ...TRACING_BYTES, 0x00, 0x00, 0x00]), /trailing/],
    ['error with a trailing byte', frameWithPayload(FrameType.Error, 1, [0x03, ...TRACING_BYTES, 0x00, 0x01, ...ascii('x'), 0x00]), /trailing/],
    ['init req with a trailing byte', frameWithPayload(FrameType.InitRequest, 1, [0x00, 0x02, 0x00, 0x00, 0x00]), /trailing/],
    // Checksum types.
    ...[0x04, 0x10, 0xff].map(
      (csumtype) =>
        [
          `call req with checksum type 0x${csumtype.toString(16)}`,
          frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, 0x00, csumtype, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
          /unknown checksum type/,
        ] as const,
    ),
    [
      'call res with checksum type 0x04',
      frameWithPayload(FrameType.CallResponse, 1, [0x00, 0x00, ...TRACING_BYTES, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00]),
      /unknown checksum type/,
    ],
    ['call req continue with checksum type 0x04', frameWithPayload(FrameType.CallRequestContinue, 1, [0x00, 0x04, 0x00, 0x00]), /unknown checksum type/],
    ['call res continue with checksum type 0x05', frameWithPayload(FrameType.CallResponseContinue, 1, [0x00, 0x05, 0x00, 0x00]), /unknown checksum type/],
    // Header rules.
    [
      'duplicate transport header keys',
      frameWithPayload(FrameType.CallRequest, 1, [
        ...CALL_REQ_PREFIX,
        0x02, // nh:1 = 2
        0x02, ...ascii('as'), 0x03, ...ascii('raw'), // as=raw
        0x02, ...ascii('as'), 0x04, ...ascii('json'), // as=json again
        ...NO_CSUM_ECHO,
      ]),
      /duplicate/,
    ],
    [
      'duplicate transport header keys in call res (same value)',
      frameWithPayload(FrameType.CallResponse, 1, [
        0x00, 0x00, ...TRACING_BYTES, // flags:1 code:1 tracing:25
        0x02, // nh:1 = 2
        0x02, ...ascii('as'), 0x03, ...ascii('raw'),
        0x02, ...ascii('as'), 0x03, ...ascii('raw'),
        ...NO_CSUM_ECHO,
      ]),
      /duplicate/,
    ],
    [
      'duplicate init header keys',
      frameWithPayload(FrameType.InitRequest, 1, [
        0x00, 0x02, // version:2
        0x00, 0x02, // nh:2 = 2
        0x00, 0x09, ...ascii('host_port'), 0x00, 0x09, ...ascii('0.0.0.0:0'),
        0x00, 0x09, ...ascii('host_port'), 0x00, 0x09, ...ascii('1.2.3.4:5'),
      ]),
      /duplicate/,
    ],
    [
      'duplicate "__proto__" keys',
      frameWithPayload(FrameType.CallRequest, 1, [
        ...CALL_REQ_PREFIX,
        0x02, // nh:1 = 2
        0x09, ...ascii('__proto__'), 0x00,
        0x09, ...ascii('__proto__'), 0x00,
        ...NO_CSUM_ECHO,
      ]),
      /duplicate/,
    ],
    [
      'empty transport header key',
      frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, 0x01, 0x00, 0x01, ...ascii('x'), ...NO_CSUM_ECHO]),
      /empty header key/,
    ],
    [
      'empty init header key',
      frameWithPayload(FrameType.InitResponse, 1, [0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, ...ascii('x')]),
      /empty header key/,
    ],
    [
      'transport header key of 17 bytes',
      frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, 0x01, 0x11, ...ascii('abcdefghijklmnopq'), 0x00, ...NO_CSUM_ECHO]),
      /longer than 16/,
    ],
    [
      'transport header key of 9 characters but 17 UTF-8 bytes',
      frameWithPayload(FrameType.CallResponse, 1, [
        0x00, 0x00, ...TRACING_BYTES,
        0x01, // nh:1 = 1
        0x11, ...[0xc3, 0xa9, 0xc3, 0xa9, 0xc3, 0xa9, 0xc3, 0xa9, 0xc3, 0xa9, 0xc3, 0xa9, 0xc3, 0xa9, 0xc3, 0xa9], ...ascii('a'), // hk~1 = "éééééééé" + "a"
        0x00, // hv~1 = ""
        ...NO_CSUM_ECHO,
      ]),
      /longer than 16/,
    ],
    ['nh = 129 (with 129 valid headers)', frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, ...manyHeaders(129), ...NO_CSUM_ECHO]), /too many/],
    ['nh = 255', frameWithPayload(FrameType.CallResponse, 1, [0x00, 0x00, ...TRACING_BYTES, 0xff]), /too many/],
    // Arg count.
    [
      'call req with four args',
      frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, 0x00, ...NO_CSUM_ECHO, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
      /more than 3 args/,
    ],
    [
      'call res with four args',
      frameWithPayload(FrameType.CallResponse, 1, [0x00, 0x00, ...TRACING_BYTES, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x61]),
      /more than 3 args/,
    ],
    [
      'call req continue with four args',
      frameWithPayload(FrameType.CallRequestContinue, 1, [0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]),
      /more than 3 args/,
    ],
    [
      'call res continue with four args (crc32c)',
      frameWithPayload(FrameType.CallResponseContinue, 1, [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x61]),
      /more than 3 args/,
    ],
  ];

  it.each(cases)('%s', (_name, bytes, reason) => {
    expectInvalidMessage(() => decodeFrame(bytes), reason);
  });

  it('accepts the limits themselves: 128 headers, 16-byte keys (in bytes), long init keys', () => {
    const max = decodeFrame(frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, ...manyHeaders(128), ...NO_CSUM_ECHO])) as CallRequestFrame;
    expect(Object.keys(max.headers)).toHaveLength(128);

    const key16 = 'é'.repeat(8); // 16 UTF-8 bytes
    const frame = decodeFrame(
      frameWithPayload(FrameType.CallRequest, 1, [...CALL_REQ_PREFIX, 0x01, 0x10, ...Buffer.from(key16), 0x02, ...ascii('ok'), ...NO_CSUM_ECHO]),
    ) as CallRequestFrame;
    expect(frame.headers).toEqual({ [key16]: 'ok' });

    const longKey = 'tchannel_language_version';
    expect(decodeFrame(frameWithPayload(FrameType.InitRequest, 1, [0x00, 0x02, 0x00, 0x01, 0x00, 0x19, ...ascii(longKey), 0x00, 0x00]))).toEqual({
      type: FrameType.InitRequest,
      id: 1,
      version: 2,
      headers: { [longKey]: '' },
    });
  });

  it('keeps "__proto__" and "constructor" as plain header keys', () => {
    const frame = decodeFrame(
      frameWithPayload(FrameType.CallRequest, 1, [
        ...CALL_REQ_PREFIX,
        0x02,
        0x09, ...ascii('__proto__'), 0x01, ...ascii('p'),
        0x0b, ...ascii('constructor'), 0x01, ...ascii('c'),
        ...NO_CSUM_ECHO,
      ]),
    ) as CallRequestFrame;
    expect(Object.keys(frame.headers)).toEqual(['__proto__', 'constructor']);
    expect(frame.headers['__proto__']).toBe('p');
    expect(Object.getPrototypeOf(frame.headers)).toBeNull();
  });

  it('never throws anything but InvalidMessageError on arbitrary payloads', () => {
    const knownAndUnknownTypes = fc.oneof(
      fc.constantFrom(...Object.values(FrameType).filter((v): v is FrameType => typeof v === 'number')),
      fc.integer({ min: 0, max: 0xff }),
    );
    fc.assert(
      fc.property(knownAndUnknownTypes, fc.uint8Array({ maxLength: 200 }), (type, payload) => {
        try {
          decodeFrame(frameWithPayload(type, 1, [...payload]));
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidMessageError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but InvalidMessageError on mutated golden frames', () => {
    const vectorIndex = fc.integer({ min: 0, max: FRAME_VECTORS.length - 1 });
    const edit = fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 0xff }) });
    fc.assert(
      fc.property(vectorIndex, fc.array(edit, { minLength: 1, maxLength: 4 }), fc.boolean(), (index, edits, patchSize) => {
        const bytes = Buffer.from((FRAME_VECTORS[index] as (typeof FRAME_VECTORS)[number]).bytes);
        for (const { at, value } of edits) bytes[at % bytes.length] = value;
        if (patchSize) bytes.writeUInt16BE(bytes.length, 0);
        try {
          decodeFrame(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidMessageError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('encodeFrame rejects frames it cannot encode with InvalidMessageError', () => {
  const call: CallRequestFrame = {
    type: FrameType.CallRequest,
    id: 1,
    flags: 0,
    ttl: 1000,
    tracing: TRACING,
    service: 'svc',
    headers: headers({ as: 'raw' }),
    checksumType: ChecksumType.None,
    checksum: 0,
    args: [Buffer.from('echo')],
  };
  const cases: ReadonlyArray<readonly [string, Frame, RegExp]> = [
    ['four args', { ...call, args: [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0)] }, /at most 3 args/],
    ['an empty transport header key', { ...call, headers: { '': 'x' } }, /1 to 16 bytes/],
    ['a 17-byte transport header key', { ...call, headers: { abcdefghijklmnopq: 'x' } }, /1 to 16 bytes/],
    ['a 256-byte transport header value', { ...call, headers: { as: 'x'.repeat(256) } }, /does not fit/],
    ['129 transport headers', { ...call, headers: Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`k${i}`, ''])) }, /too many headers/],
    ['a 256-byte service', { ...call, service: 's'.repeat(256) }, /service name/],
    ['an arg chunk over 65535 bytes', { ...call, args: [Buffer.alloc(0x10000)] }, /exceeds a frame/],
    ['a frame over 65535 bytes', { ...call, args: [Buffer.alloc(30000), Buffer.alloc(30000), Buffer.alloc(6000)] }, /exceeds 65535/],
    ['an error message over 65535 bytes', { type: FrameType.Error, id: 1, code: 1, tracing: TRACING, message: 'x'.repeat(0xfff0) }, /exceeds 65535/],
  ];

  it.each(cases)('%s', (_name, frame, reason) => {
    expectInvalidMessage(() => encodeFrame(frame), reason);
  });

  it('encodes own header keys only, and sizes the frame by the same keys (inherited keys are not sent)', () => {
    // Regression: headersSize counted inherited keys (for...in) while writeHeaders wrote own keys,
    // so the frame's unwritten tail carried stale memory and peers saw trailing bytes.
    const inherited = Object.assign(Object.create({ re: 'c', fd: 'x' }) as Record<string, string>, { as: 'raw', cn: 'caller' });
    for (const frame of [
      { ...call, headers: inherited },
      { type: FrameType.InitRequest, id: 1, version: 2, headers: inherited } as const,
    ]) {
      const bytes = encodeFrame(frame);
      expect(bytes.length).toBe(frameSize(frame));
      expect(bytes.readUInt16BE(0)).toBe(bytes.length);
      expect((decodeFrame(bytes) as { headers: object }).headers).toEqual({ as: 'raw', cn: 'caller' });
    }
  });

  it('encodes a frame of exactly 65535 bytes', () => {
    // header 16 + flags 1 + ttl 4 + tracing 25 + service~1 4 + nh and as=raw 8 + csumtype 1 = 59 bytes before
    // the args, whose three length prefixes take 6.
    const frame: CallRequestFrame = { ...call, args: [Buffer.alloc(0), Buffer.alloc(0), Buffer.alloc(0xffff - 59 - 6)] };
    const bytes = encodeFrame(frame);
    expect(bytes.length).toBe(0xffff);
    expect(decodeFrame(bytes)).toEqual(frame);
  });
});

describe('properties', () => {
  describe.each(FRAME_ARBITRARIES.map(([name, arb]) => [name, arb] as const))('%s', (_name, arb) => {
    it('decodeFrame(encodeFrame(f)) deep-equals f, and re-encoding is byte-identical', () => {
      fc.assert(
        fc.property(arb, (frame) => {
          const bytes = encodeFrame(frame);
          expect(bytes.length).toBe(frameSize(frame));
          expect(bytes.readUInt16BE(0)).toBe(bytes.length);
          const decoded = decodeFrame(bytes);
          expect(decoded).toEqual(frame);
          expect(encodeFrame(decoded).equals(bytes)).toBe(true);
        }),
        { numRuns: 150 },
      );
    });
  });
});

describe('encodeFrameParts (zero-copy large args)', () => {
  const tracing = { spanId: 1n, parentId: 2n, traceId: 3n, flags: 1 };
  test('parts concatenate to encodeFrame’s bytes; large arg chunks are the caller’s buffers', () => {
    const big = Buffer.alloc(20_000, 7);
    const frame = {
      type: FrameType.CallRequest,
      id: 9,
      flags: 0,
      ttl: 100,
      tracing,
      service: 'svc',
      headers: { as: 'raw' },
      checksumType: ChecksumType.Crc32c,
      checksum: 0x01020304,
      args: [Buffer.from('echo'), big, Buffer.alloc(5000, 1)],
    } as const;
    const parts = encodeFrameParts(frame);
    expect(Buffer.concat(parts).equals(encodeFrame(frame))).toBe(true);
    expect(parts).toContain(big);
    expect(parts.length).toBe(4);
  });

  test('frames without large args are one buffer', () => {
    const parts = encodeFrameParts({ type: FrameType.PingRequest, id: 1 });
    expect(parts).toHaveLength(1);
  });
});

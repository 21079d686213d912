import { ChecksumType } from './checksum-type';
import { FrameType } from './frame-type';
import type { Frame } from './frames';
import type { Headers } from './headers';
import type { Tracing } from './tracing';

/**
 * Golden frames for tests, written by hand from the layouts in uber/tchannel docs/protocol.md.
 * The bytes are never produced by our encoder: each vector spells its frame field by field, with
 * the spec's field name and value in a comment. Checksums are real values over the args (crc32 and
 * crc32c from the vectors in /work/shared/WIRE-NOTES.md, the rest computed with zlib.crc32 and
 * tchannel-node's farmhash).
 *
 * Test-only: `*.fixtures.ts` files are excluded from the build (tsconfig.build.json).
 */

export interface FrameVector {
  readonly name: string;
  readonly frame: Frame;
  readonly bytes: Buffer;
}

/** Concatenates annotated byte parts into a Buffer; throws on anything that is not a byte. */
export function wire(parts: readonly number[]): Buffer {
  for (const b of parts) {
    if (!Number.isInteger(b) || b < 0 || b > 0xff) throw new RangeError(`not a byte: ${b}`);
  }
  return Buffer.from(parts);
}

/** The bytes of an ASCII string (UTF-8 of non-ASCII text is spelled out in hex instead). */
export function ascii(text: string): number[] {
  return [...text].map((ch) => {
    const code = ch.charCodeAt(0);
    if (code > 0x7f) throw new RangeError(`not ASCII: ${ch}`);
    return code;
  });
}

export function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

/** Headers as the decoder makes them: no prototype, keys in wire order. */
export function headers(entries: Record<string, string>): Headers {
  return Object.assign(Object.create(null) as Record<string, string>, entries);
}

export const TRACING: Tracing = {
  spanId: 0x0102030405060708n,
  parentId: 0x1112131415161718n,
  traceId: 0xf1f2f3f4f5f6f7f8n,
  flags: 0x01,
};

/** tracing:25 for TRACING. */
const TRACING_BYTES = [
  0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, // spanid:8
  0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, // parentid:8
  0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, // traceid:8 (top bit set: ids are unsigned 64-bit)
  0x01, // traceflags:1 = enabled
];

export const ZERO_TRACING: Tracing = { spanId: 0n, parentId: 0n, traceId: 0n, flags: 0 };

/** The transport headers of the call req vectors, in wire order. */
const CALL_HEADERS = { as: 'raw', cn: 'caller', re: 'c' };

/** nh:1 (hk~1 hv~1){nh} for CALL_HEADERS: 23 bytes. */
const CALL_HEADER_BYTES = [
  0x03, // nh:1 = 3
  0x02, ...ascii('as'), // hk~1
  0x03, ...ascii('raw'), // hv~1
  0x02, ...ascii('cn'), // hk~1
  0x06, ...ascii('caller'), // hv~1
  0x02, ...ascii('re'), // hk~1
  0x01, ...ascii('c'), // hv~1
];

/** arg1~2 arg2~2 arg3~2 for ["echo", "", "hello"]: 15 bytes. */
const ECHO_HELLO_ARGS = [
  0x00, 0x04, ...ascii('echo'), // arg1~2 = "echo"
  0x00, 0x00, // arg2~2 = ""
  0x00, 0x05, ...ascii('hello'), // arg3~2 = "hello"
];

const arg = (text: string): Buffer => Buffer.from(text, 'latin1');
const ECHO_HELLO = [arg('echo'), arg(''), arg('hello')];

export const FRAME_VECTORS: readonly FrameVector[] = [
  {
    name: 'init req (client-only host_port, all five headers)',
    frame: {
      type: FrameType.InitRequest,
      id: 1,
      version: 2,
      headers: headers({
        host_port: '0.0.0.0:0',
        process_name: 'bench[1234]',
        tchannel_language: 'node',
        tchannel_language_version: 'v20.11.0',
        tchannel_version: '0.1.0',
      }),
    },
    bytes: wire([
      0x00, 0x9c, // size:2 = 156
      0x01, // type:1 = init req
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x01, // id:4 = 1
      ...zeros(8), // reserved:8
      0x00, 0x02, // version:2 = 2
      0x00, 0x05, // nh:2 = 5
      0x00, 0x09, ...ascii('host_port'), // key~2
      0x00, 0x09, ...ascii('0.0.0.0:0'), // value~2
      0x00, 0x0c, ...ascii('process_name'), // key~2
      0x00, 0x0b, ...ascii('bench[1234]'), // value~2
      0x00, 0x11, ...ascii('tchannel_language'), // key~2
      0x00, 0x04, ...ascii('node'), // value~2
      0x00, 0x19, ...ascii('tchannel_language_version'), // key~2
      0x00, 0x08, ...ascii('v20.11.0'), // value~2
      0x00, 0x10, ...ascii('tchannel_version'), // key~2
      0x00, 0x05, ...ascii('0.1.0'), // value~2
    ]),
  },
  {
    name: 'init res (UTF-8 process_name)',
    frame: {
      type: FrameType.InitResponse,
      id: 1,
      version: 2,
      headers: headers({
        host_port: '10.0.0.2:21300',
        process_name: '\u00e9cho[7]',
        tchannel_language: 'node',
        tchannel_language_version: 'v20.11.0',
        tchannel_version: '0.1.0',
      }),
    },
    bytes: wire([
      0x00, 0x9e, // size:2 = 158
      0x02, // type:1 = init res
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x01, // id:4 = 1
      ...zeros(8), // reserved:8
      0x00, 0x02, // version:2 = 2
      0x00, 0x05, // nh:2 = 5
      0x00, 0x09, ...ascii('host_port'), // key~2
      0x00, 0x0e, ...ascii('10.0.0.2:21300'), // value~2
      0x00, 0x0c, ...ascii('process_name'), // key~2
      0x00, 0x08, 0xc3, 0xa9, ...ascii('cho[7]'), // value~2 = "écho[7]" (é is c3 a9)
      0x00, 0x11, ...ascii('tchannel_language'), // key~2
      0x00, 0x04, ...ascii('node'), // value~2
      0x00, 0x19, ...ascii('tchannel_language_version'), // key~2
      0x00, 0x08, ...ascii('v20.11.0'), // value~2
      0x00, 0x10, ...ascii('tchannel_version'), // key~2
      0x00, 0x05, ...ascii('0.1.0'), // value~2
    ]),
  },
  {
    name: 'call req, crc32c',
    frame: {
      type: FrameType.CallRequest,
      id: 2,
      flags: 0,
      ttl: 1000,
      tracing: TRACING,
      service: 'svc',
      headers: headers(CALL_HEADERS),
      checksumType: ChecksumType.Crc32c,
      checksum: 0xddf85610,
      args: ECHO_HELLO,
    },
    bytes: wire([
      0x00, 0x5d, // size:2 = 93
      0x03, // type:1 = call req
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x02, // id:4 = 2
      ...zeros(8), // reserved:8
      0x00, // flags:1 = 0
      0x00, 0x00, 0x03, 0xe8, // ttl:4 = 1000
      ...TRACING_BYTES, // tracing:25
      0x03, ...ascii('svc'), // service~1
      ...CALL_HEADER_BYTES, // nh:1 (hk~1 hv~1){nh}: as=raw cn=caller re=c
      0x03, // csumtype:1 = crc32c
      0xdd, 0xf8, 0x56, 0x10, // csum:4 = crc32c("echohello")
      ...ECHO_HELLO_ARGS, // arg1~2 arg2~2 arg3~2
    ]),
  },
  {
    name: 'call req, crc32',
    frame: {
      type: FrameType.CallRequest,
      id: 3,
      flags: 0,
      ttl: 1000,
      tracing: TRACING,
      service: 'svc',
      headers: headers(CALL_HEADERS),
      checksumType: ChecksumType.Crc32,
      checksum: 0x1f50998b,
      args: ECHO_HELLO,
    },
    bytes: wire([
      0x00, 0x5d, // size:2 = 93
      0x03, // type:1 = call req
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x03, // id:4 = 3
      ...zeros(8), // reserved:8
      0x00, // flags:1 = 0
      0x00, 0x00, 0x03, 0xe8, // ttl:4 = 1000
      ...TRACING_BYTES, // tracing:25
      0x03, ...ascii('svc'), // service~1
      ...CALL_HEADER_BYTES, // nh:1 (hk~1 hv~1){nh}
      0x01, // csumtype:1 = crc32
      0x1f, 0x50, 0x99, 0x8b, // csum:4 = crc32("echohello")
      ...ECHO_HELLO_ARGS, // arg1~2 arg2~2 arg3~2
    ]),
  },
  {
    name: 'call req, farmhash, streaming flag',
    frame: {
      type: FrameType.CallRequest,
      id: 4,
      flags: 0x02,
      ttl: 1000,
      tracing: TRACING,
      service: 'svc',
      headers: headers(CALL_HEADERS),
      checksumType: ChecksumType.Farmhash32,
      checksum: 0x79969366,
      args: ECHO_HELLO,
    },
    bytes: wire([
      0x00, 0x5d, // size:2 = 93
      0x03, // type:1 = call req
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x04, // id:4 = 4
      ...zeros(8), // reserved:8
      0x02, // flags:1 = streaming
      0x00, 0x00, 0x03, 0xe8, // ttl:4 = 1000
      ...TRACING_BYTES, // tracing:25
      0x03, ...ascii('svc'), // service~1
      ...CALL_HEADER_BYTES, // nh:1 (hk~1 hv~1){nh}
      0x02, // csumtype:1 = farmhash
      0x79, 0x96, 0x93, 0x66, // csum:4 = fingerprint32("hello") (tchannel-node: last chunk only)
      ...ECHO_HELLO_ARGS, // arg1~2 arg2~2 arg3~2
    ]),
  },
  {
    name: 'call req, no checksum',
    frame: {
      type: FrameType.CallRequest,
      id: 5,
      flags: 0,
      ttl: 1000,
      tracing: TRACING,
      service: 'svc',
      headers: headers(CALL_HEADERS),
      checksumType: ChecksumType.None,
      checksum: 0,
      args: ECHO_HELLO,
    },
    bytes: wire([
      0x00, 0x59, // size:2 = 89
      0x03, // type:1 = call req
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x05, // id:4 = 5
      ...zeros(8), // reserved:8
      0x00, // flags:1 = 0
      0x00, 0x00, 0x03, 0xe8, // ttl:4 = 1000
      ...TRACING_BYTES, // tracing:25
      0x03, ...ascii('svc'), // service~1
      ...CALL_HEADER_BYTES, // nh:1 (hk~1 hv~1){nh}
      0x00, // csumtype:1 = none (no csum:4)
      ...ECHO_HELLO_ARGS, // arg1~2 arg2~2 arg3~2
    ]),
  },
  {
    name: 'call req, first of two fragments (arg1 incomplete)',
    frame: {
      type: FrameType.CallRequest,
      id: 6,
      flags: 0x01,
      ttl: 1000,
      tracing: TRACING,
      service: 'svc',
      headers: headers(CALL_HEADERS),
      checksumType: ChecksumType.Crc32,
      checksum: 0x17043032,
      args: [arg('echo')],
    },
    bytes: wire([
      0x00, 0x54, // size:2 = 84
      0x03, // type:1 = call req
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x06, // id:4 = 6
      ...zeros(8), // reserved:8
      0x01, // flags:1 = more fragments
      0x00, 0x00, 0x03, 0xe8, // ttl:4 = 1000
      ...TRACING_BYTES, // tracing:25
      0x03, ...ascii('svc'), // service~1
      ...CALL_HEADER_BYTES, // nh:1 (hk~1 hv~1){nh}
      0x01, // csumtype:1 = crc32
      0x17, 0x04, 0x30, 0x32, // csum:4 = crc32("echo")
      0x00, 0x04, ...ascii('echo'), // arg1~2 = "echo" (continues)
    ]),
  },
  {
    name: 'call req continue (ends arg1 with a zero-length chunk)',
    frame: {
      type: FrameType.CallRequestContinue,
      id: 6,
      flags: 0,
      checksumType: ChecksumType.Crc32,
      checksum: 0x1f50998b,
      args: [arg(''), arg(''), arg('hello')],
    },
    bytes: wire([
      0x00, 0x21, // size:2 = 33
      0x13, // type:1 = call req continue
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x06, // id:4 = 6
      ...zeros(8), // reserved:8
      0x00, // flags:1 = last fragment
      0x01, // csumtype:1 = crc32
      0x1f, 0x50, 0x99, 0x8b, // csum:4 = crc32 seeded with crc32("echo") = crc32("echohello")
      0x00, 0x00, // arg1~2 = "" (arg1 ends)
      0x00, 0x00, // arg2~2 = ""
      0x00, 0x05, ...ascii('hello'), // arg3~2 = "hello"
    ]),
  },
  {
    name: 'call res, code 0 (ok)',
    frame: {
      type: FrameType.CallResponse,
      id: 2,
      flags: 0,
      code: 0,
      tracing: TRACING,
      headers: headers({ as: 'raw' }),
      checksumType: ChecksumType.Crc32c,
      checksum: 0xddf85610,
      args: ECHO_HELLO,
    },
    bytes: wire([
      0x00, 0x47, // size:2 = 71
      0x04, // type:1 = call res
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x02, // id:4 = 2
      ...zeros(8), // reserved:8
      0x00, // flags:1 = 0
      0x00, // code:1 = ok
      ...TRACING_BYTES, // tracing:25
      0x01, // nh:1 = 1
      0x02, ...ascii('as'), // hk~1
      0x03, ...ascii('raw'), // hv~1
      0x03, // csumtype:1 = crc32c
      0xdd, 0xf8, 0x56, 0x10, // csum:4 = crc32c("echohello")
      ...ECHO_HELLO_ARGS, // arg1~2 arg2~2 arg3~2
    ]),
  },
  {
    name: 'call res, code 1 (application error)',
    frame: {
      type: FrameType.CallResponse,
      id: 3,
      flags: 0,
      code: 1,
      tracing: TRACING,
      headers: headers({ as: 'raw' }),
      checksumType: ChecksumType.Crc32,
      checksum: 0x7e4f785d,
      args: [arg('echo'), arg(''), arg('oops')],
    },
    bytes: wire([
      0x00, 0x46, // size:2 = 70
      0x04, // type:1 = call res
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x03, // id:4 = 3
      ...zeros(8), // reserved:8
      0x00, // flags:1 = 0
      0x01, // code:1 = error
      ...TRACING_BYTES, // tracing:25
      0x01, // nh:1 = 1
      0x02, ...ascii('as'), // hk~1
      0x03, ...ascii('raw'), // hv~1
      0x01, // csumtype:1 = crc32
      0x7e, 0x4f, 0x78, 0x5d, // csum:4 = crc32("echooops")
      0x00, 0x04, ...ascii('echo'), // arg1~2 = "echo"
      0x00, 0x00, // arg2~2 = ""
      0x00, 0x04, ...ascii('oops'), // arg3~2 = "oops"
    ]),
  },
  {
    name: 'call res continue (after a call res carrying "echo", "")',
    frame: {
      type: FrameType.CallResponseContinue,
      id: 7,
      flags: 0,
      checksumType: ChecksumType.Crc32c,
      checksum: 0xddf85610,
      args: [arg(''), arg('hello')],
    },
    bytes: wire([
      0x00, 0x1f, // size:2 = 31
      0x14, // type:1 = call res continue
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x07, // id:4 = 7
      ...zeros(8), // reserved:8
      0x00, // flags:1 = last fragment
      0x03, // csumtype:1 = crc32c
      0xdd, 0xf8, 0x56, 0x10, // csum:4 = crc32c seeded with crc32c("echo") = crc32c("echohello")
      0x00, 0x00, // arg2~2 = "" (arg2 ends)
      0x00, 0x05, ...ascii('hello'), // arg3~2 = "hello"
    ]),
  },
  {
    name: 'cancel',
    frame: { type: FrameType.Cancel, id: 2, ttl: 500, tracing: TRACING, why: 'timeout' },
    bytes: wire([
      0x00, 0x36, // size:2 = 54
      0xc0, // type:1 = cancel
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x02, // id:4 = 2
      ...zeros(8), // reserved:8
      0x00, 0x00, 0x01, 0xf4, // ttl:4 = 500
      ...TRACING_BYTES, // tracing:25
      0x00, 0x07, ...ascii('timeout'), // why~2
    ]),
  },
  {
    name: 'claim',
    frame: { type: FrameType.Claim, id: 2, ttl: 1000, tracing: TRACING },
    bytes: wire([
      0x00, 0x2d, // size:2 = 45
      0xc1, // type:1 = claim
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x02, // id:4 = 2
      ...zeros(8), // reserved:8
      0x00, 0x00, 0x03, 0xe8, // ttl:4 = 1000
      ...TRACING_BYTES, // tracing:25
    ]),
  },
  {
    name: 'ping req',
    frame: { type: FrameType.PingRequest, id: 8 },
    bytes: wire([
      0x00, 0x10, // size:2 = 16 (no body)
      0xd0, // type:1 = ping req
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x08, // id:4 = 8
      ...zeros(8), // reserved:8
    ]),
  },
  {
    name: 'ping res',
    frame: { type: FrameType.PingResponse, id: 8 },
    bytes: wire([
      0x00, 0x10, // size:2 = 16 (no body)
      0xd1, // type:1 = ping res
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x08, // id:4 = 8
      ...zeros(8), // reserved:8
    ]),
  },
  {
    name: 'error busy, for a message',
    frame: { type: FrameType.Error, id: 2, code: 0x03, tracing: TRACING, message: 'server busy' },
    bytes: wire([
      0x00, 0x37, // size:2 = 55
      0xff, // type:1 = error
      0x00, // reserved:1
      0x00, 0x00, 0x00, 0x02, // id:4 = 2
      ...zeros(8), // reserved:8
      0x03, // code:1 = busy
      ...TRACING_BYTES, // tracing:25
      0x00, 0x0b, ...ascii('server busy'), // message~2
    ]),
  },
  {
    name: 'error fatal, for no message (id 0xFFFFFFFF, empty span)',
    frame: { type: FrameType.Error, id: 0xffffffff, code: 0xff, tracing: ZERO_TRACING, message: 'expected init req' },
    bytes: wire([
      0x00, 0x3d, // size:2 = 61
      0xff, // type:1 = error
      0x00, // reserved:1
      0xff, 0xff, 0xff, 0xff, // id:4 = 0xFFFFFFFF (no message)
      ...zeros(8), // reserved:8
      0xff, // code:1 = fatal protocol error
      ...zeros(25), // tracing:25 = empty span
      0x00, 0x11, ...ascii('expected init req'), // message~2
    ]),
  },
];

/** Prefixes `payload` with a frame header whose size matches; for hand-built malformed frames. */
export function frameWithPayload(type: number, id: number, payload: readonly number[]): Buffer {
  const size = 16 + payload.length;
  return wire([
    size >> 8, size & 0xff, // size:2
    type, // type:1
    0x00, // reserved:1
    (id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff, // id:4
    ...zeros(8), // reserved:8
    ...payload,
  ]);
}

export { TRACING_BYTES, CALL_HEADER_BYTES, ECHO_HELLO_ARGS };

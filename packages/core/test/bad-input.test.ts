/**
 * What a listening TChannel does with bytes that break the protocol, sent by a raw socket. Each
 * case checks the exact answer (error frame, code, id, close or not) and then that the server
 * still serves a well-behaved TChannel client on a new connection. The server runs in this jest
 * process, so a crash (an uncaught exception in its socket handling) fails the run.
 */
import { TChannel } from '../src/channel/channel';
import { ChecksumType } from '../src/wire/checksum-type';
import { ErrorCode } from '../src/wire/error-code';
import { CallFlags } from '../src/wire/flags';
import { encodeFrame } from '../src/wire/frame-codec';
import { FrameType } from '../src/wire/frame-type';
import { NO_MESSAGE_ID, type Frame } from '../src/wire/frames';
import { EMPTY_TRACING } from '../src/wire/tracing';
import {
  callRequest,
  callRequestBytesWithHeaderPairs,
  callRequestContinue,
  frameBytes,
  initHeaders,
  initRequest,
  RawSocketClient,
} from './raw-socket-client.fixtures';

const INIT_TIMEOUT_MS = 300;

let server: TChannel;
let hostport: string;
const raws: RawSocketClient[] = [];

beforeAll(async () => {
  server = new TChannel({ name: 'svc', initTimeout: INIT_TIMEOUT_MS });
  server.register('echo', (req) => ({ arg2: req.arg2, arg3: req.arg3 }));
  hostport = await server.listen({ host: '127.0.0.1', port: 0 });
});

afterEach(async () => {
  await Promise.all(raws.splice(0).map((raw) => raw.destroy()));
});

afterAll(async () => {
  await server.close();
});

async function rawConnect(): Promise<RawSocketClient> {
  const raw = await RawSocketClient.connect(hostport);
  raws.push(raw);
  return raw;
}

async function rawReady(): Promise<RawSocketClient> {
  const raw = await rawConnect();
  await raw.handshake();
  return raw;
}

/** The server answered with exactly one fatal error frame (id 0xFFFFFFFF) and closed the socket. */
async function expectFatalThenClose(raw: RawSocketClient, framesBefore: number): Promise<void> {
  await raw.waitForClose();
  expect(raw.decodeErrors).toEqual([]);
  const answer = raw.frames.slice(framesBefore);
  expect(answer).toHaveLength(1);
  expect(answer[0]).toMatchObject({ type: FrameType.Error, id: NO_MESSAGE_ID, code: ErrorCode.FatalProtocolError });
}

/** Waits for the answer to message `id` and checks it is a bad request error frame for that id. */
async function expectBadRequest(raw: RawSocketClient, id: number, message?: RegExp): Promise<void> {
  const frame = await raw.waitForFrame((f) => f.id === id);
  expect(frame).toMatchObject({ type: FrameType.Error, id, code: ErrorCode.BadRequest });
  if (message !== undefined) expect((frame as { message: string }).message).toMatch(message);
}

/** The connection still works: a valid call on it gets its echo response, and it stays open. */
async function expectCallWorks(raw: RawSocketClient, id: number): Promise<void> {
  raw.send(callRequest({ id, args: ['echo', `h${id}`, `b${id}`] }));
  const frame = await raw.waitForFrame((f) => f.id === id);
  expect(frame).toMatchObject({ type: FrameType.CallResponse, id, code: 0, flags: 0, checksumType: ChecksumType.Crc32c });
  if (frame.type !== FrameType.CallResponse) return;
  expect(frame.headers['as']).toBe('raw');
  expect(frame.args.map(String)).toEqual(['', `h${id}`, `b${id}`]);
  expect(raw.closed).toBe(false);
}

/** A new connection from a real TChannel client is served: the bad peer cost nothing but its own connection. */
async function expectServerStillServes(): Promise<void> {
  expect(server.isListening).toBe(true);
  const client = new TChannel({ name: 'good-client' });
  try {
    const res = await client.call({ scheme: 'raw', service: 'svc', arg1: 'echo', arg2: 'head', arg3: 'body', hostport, timeout: 2000 });
    expect(res.code).toBe(0);
    expect(res.arg2.toString()).toBe('head');
    expect(res.arg3.toString()).toBe('body');
  } finally {
    await client.close();
  }
}

const framesWithId = (raw: RawSocketClient, id: number): Frame[] => raw.frames.filter((f) => f.id === id);

describe('bad input from a raw socket', () => {
  describe('1. garbage instead of init req', () => {
    test('bytes whose size field is below 16: fatal error, then close', async () => {
      const raw = await rawConnect();
      raw.send(Buffer.from([0x00, 0x03, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01]));
      await expectFatalThenClose(raw, 0);
      await expectServerStillServes();
    });

    test('a frame-sized run of random bytes: fatal error, then close', async () => {
      const raw = await rawConnect();
      // Deterministic noise; only the size field is made to match its length.
      const noise = Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 151 + 89) & 0xff));
      noise.writeUInt16BE(noise.length, 0);
      raw.send(noise);
      await expectFatalThenClose(raw, 0);
      await expectServerStillServes();
    });

    test('an HTTP request (its size field claims 18245 bytes): fatal error once the init timeout passes, then close', async () => {
      const raw = await rawConnect();
      raw.send(Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'));
      await expectFatalThenClose(raw, 0);
      await expectServerStillServes();
    });
  });

  describe('2. truncated frames', () => {
    test('a valid call req cut short, then the socket ends: the server closes without answering', async () => {
      const raw = await rawReady();
      const bytes = encodeFrame(callRequest({ id: 2 }));
      raw.send(bytes.subarray(0, bytes.length - 5));
      raw.end();
      await raw.waitForClose();
      expect(raw.framesAfterInit).toEqual([]);
      await expectServerStillServes();
    });

    test('a call req whose size (20) is too small for its fields: bad request for its id, connection usable', async () => {
      const raw = await rawReady();
      const valid = encodeFrame(callRequest({ id: 3 }));
      const truncated = Buffer.from(valid.subarray(0, 20));
      truncated.writeUInt16BE(20, 0);
      raw.send(truncated);
      await expectBadRequest(raw, 3, /truncated frame/);
      await expectCallWorks(raw, 4);
      expect(raw.framesAfterInit).toHaveLength(2);
      await expectServerStillServes();
    });

    test('a call req whose size claims bytes past its three args: bad request for its id, connection usable', async () => {
      const raw = await rawReady();
      const valid = encodeFrame(callRequest({ id: 25 }));
      const padded = Buffer.concat([valid, Buffer.from([0x00, 0x01, 0x7a])]);
      padded.writeUInt16BE(padded.length, 0);
      raw.send(padded);
      await expectBadRequest(raw, 25, /more than 3 args/);
      await expectCallWorks(raw, 26);
      expect(raw.framesAfterInit).toHaveLength(2);
      await expectServerStillServes();
    });
  });

  test.each([0, 1, 15])('3. a frame whose size field is %i (below 16): fatal error, then close', async (size) => {
    const raw = await rawReady();
    const bytes = Buffer.alloc(16);
    bytes.writeUInt16BE(size, 0);
    bytes[2] = FrameType.PingRequest;
    raw.send(bytes);
    await expectFatalThenClose(raw, 1);
    await expectServerStillServes();
  });

  test('4. an unknown frame type (0x55) after init: fatal error, then close', async () => {
    const raw = await rawReady();
    raw.send(frameBytes(0x55, 5, Buffer.from('what is this')));
    await expectFatalThenClose(raw, 1);
    await expectServerStillServes();
  });

  test('5. a call req before init req: fatal error (no init res), then close', async () => {
    const raw = await rawConnect();
    raw.send(callRequest({ id: 1 }));
    await expectFatalThenClose(raw, 0);
    await expectServerStillServes();
  });

  test('6. a second init req after the handshake: fatal error, then close', async () => {
    const raw = await rawReady();
    raw.send(initRequest(2));
    await expectFatalThenClose(raw, 1);
    await expectServerStillServes();
  });

  test('7. duplicate transport header keys: bad request for that id, connection usable', async () => {
    const raw = await rawReady();
    raw.send(
      callRequestBytesWithHeaderPairs(7, [
        ['as', 'raw'],
        ['cn', 'raw-socket-client'],
        ['as', 'json'],
      ]),
    );
    await expectBadRequest(raw, 7, /duplicate header key "as"/);
    await expectCallWorks(raw, 8);
    expect(raw.framesAfterInit).toHaveLength(2);
    await expectServerStillServes();
  });

  test('8. a crc32c checksum mismatch: bad request for that id, connection usable', async () => {
    const raw = await rawReady();
    const good = callRequest({ id: 9, checksumType: ChecksumType.Crc32c });
    raw.send(callRequest({ id: 9, checksumType: ChecksumType.Crc32c, checksum: (good.checksum ^ 0x1) >>> 0 }));
    await expectBadRequest(raw, 9, /checksum mismatch/);
    await expectCallWorks(raw, 10);
    expect(raw.framesAfterInit).toHaveLength(2);
    await expectServerStillServes();
  });

  describe('9. arg1 over 16 KiB', () => {
    test('in a single call req frame: bad request for that id, connection usable', async () => {
      const raw = await rawReady();
      raw.send(callRequest({ id: 11, args: [Buffer.alloc(16 * 1024 + 1, 0x61), 'h', 'b'] }));
      await expectBadRequest(raw, 11, /arg1 .* exceeds 16 KiB/);
      await expectCallWorks(raw, 12);
      await expectServerStillServes();
    });

    test('across a call req and a continue frame: bad request for that id, later fragments ignored, connection usable', async () => {
      const raw = await rawReady();
      const first = callRequest({ id: 13, flags: CallFlags.MoreFragments, args: [Buffer.alloc(10_000, 0x61)] });
      raw.send(first);
      raw.send(callRequestContinue({ id: 13, flags: CallFlags.MoreFragments, args: [Buffer.alloc(7_000, 0x61)], prior: first.checksum }));
      await expectBadRequest(raw, 13, /arg1 .* exceeds 16 KiB/);
      // The rest of the refused message is dropped without a second answer.
      raw.send(callRequestContinue({ id: 13, args: [Buffer.alloc(0), 'h', 'b'] }));
      await expectCallWorks(raw, 14);
      expect(framesWithId(raw, 13)).toHaveLength(1);
      await expectServerStillServes();
    });

    test('exactly 16 KiB is accepted (and reaches the dispatcher, which has no such endpoint)', async () => {
      const raw = await rawReady();
      raw.send(callRequest({ id: 15, args: [Buffer.alloc(16 * 1024, 0x61), 'h', 'b'] }));
      await expectBadRequest(raw, 15, /no handler for service "svc"/);
      await expectServerStillServes();
    });
  });

  test('10. ttl 0: bad request for that id, connection usable', async () => {
    const raw = await rawReady();
    raw.send(callRequest({ id: 16, ttl: 0 }));
    await expectBadRequest(raw, 16, /ttl 0/);
    await expectCallWorks(raw, 17);
    expect(raw.framesAfterInit).toHaveLength(2);
    await expectServerStillServes();
  });

  describe('11. bad init req', () => {
    test.each<[string, ReturnType<typeof initRequest>]>([
      ['an unsupported version (3)', initRequest(1, initHeaders(), 3)],
      ['no host_port header', initRequest(1, withoutHeader('host_port'))],
      ['no process_name header', initRequest(1, withoutHeader('process_name'))],
    ])('%s: fatal error (no init res), then close', async (_name, init) => {
      const raw = await rawConnect();
      raw.send(init);
      await expectFatalThenClose(raw, 0);
      await expectServerStillServes();
    });
  });

  test('12. a call req continue for an unknown id is ignored; the connection stays usable', async () => {
    const raw = await rawReady();
    raw.send(callRequestContinue({ id: 18, args: ['x', 'y'] }));
    raw.send({ type: FrameType.PingRequest, id: 19 });
    await raw.waitForFrame((f) => f.id === 19);
    await expectCallWorks(raw, 20);
    expect(raw.framesAfterInit.map((f) => [f.type, f.id])).toEqual([
      [FrameType.PingResponse, 19],
      [FrameType.CallResponse, 20],
    ]);
    await expectServerStillServes();
  });

  test('13. a socket that sends nothing is closed after the init timeout, without a word', async () => {
    const startedAt = performance.now();
    const raw = await rawConnect();
    await raw.waitForClose();
    const elapsed = (raw.closedAt as number) - startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(INIT_TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(INIT_TIMEOUT_MS + 1000);
    // The acceptor must not send data before an init req arrives (docs/protocol.md, message flow).
    expect(raw.frames).toEqual([]);
    await expectServerStillServes();
  });

  describe('14. a fatal error frame from the client closes that connection only', () => {
    test.each([
      ['id 0xFFFFFFFF, code fatal', NO_MESSAGE_ID],
      ['an unknown message id, code fatal', 21],
    ])('%s', async (_name, id) => {
      const bystander = await rawReady();
      const raw = await rawReady();
      raw.send({ type: FrameType.Error, id, code: ErrorCode.FatalProtocolError, tracing: EMPTY_TRACING, message: 'client gives up' });
      await raw.waitForClose();
      expect(raw.framesAfterInit).toEqual([]);
      // The other connection is untouched.
      bystander.send({ type: FrameType.PingRequest, id: 22 });
      await bystander.waitForFrame((f) => f.type === FrameType.PingResponse && f.id === 22);
      await expectCallWorks(bystander, 23);
      await expectServerStillServes();
    });
  });

  test('15. ping req after init: ping res with the same id', async () => {
    const raw = await rawReady();
    raw.send({ type: FrameType.PingRequest, id: 0x12345678 });
    const frame = await raw.waitForFrame((f) => f.id === 0x12345678);
    expect(frame).toEqual({ type: FrameType.PingResponse, id: 0x12345678 });
    expect(raw.framesAfterInit).toHaveLength(1);
    await expectCallWorks(raw, 24);
    await expectServerStillServes();
  });
});

function withoutHeader(name: string): Record<string, string> {
  const headers: Record<string, string> = { ...initHeaders() };
  delete headers[name];
  return headers;
}

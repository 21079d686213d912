import { FrameReader, HEADER_BYTES, writeHeader } from '../src/impls/net-framing';

function message(id: number, payload: Buffer): Buffer {
  const msg = Buffer.alloc(HEADER_BYTES + payload.length);
  writeHeader(msg, id, payload.length);
  payload.copy(msg, HEADER_BYTES);
  return msg;
}

describe('FrameReader', () => {
  const msgs = [message(1, Buffer.from('hello')), message(2, Buffer.alloc(0)), message(3, Buffer.alloc(70_000, 7))];
  const stream = Buffer.concat(msgs);

  it.each([1, 3, 15, 16, 17, 1000, 65_536, stream.length])('splits a stream cut every %i bytes', (step) => {
    const got: Buffer[] = [];
    const reader = new FrameReader((f) => got.push(Buffer.from(f)));
    for (let i = 0; i < stream.length; i += step) reader.push(stream.subarray(i, i + step));
    expect(got.map((f) => f.length)).toEqual(msgs.map((m) => m.length));
    expect(got.every((f, i) => f.equals(msgs[i] as Buffer))).toBe(true);
    expect(got.map((f) => f.readUInt32BE(4))).toEqual([1, 2, 3]);
  });

  it('rejects a length shorter than the header', () => {
    const reader = new FrameReader(() => undefined);
    const bad = Buffer.alloc(16);
    bad.writeUInt32BE(8, 0);
    expect(() => reader.push(bad)).toThrow('bad frame length 8');
  });
});

// Framing for the bare `net` ceiling: a 16-byte header per message, like a TChannel frame header.
//   bytes 0-3  total message length, header included (uint32 BE)
//   bytes 4-7  message id (uint32 BE), echoed back so pipelined responses can be matched
//   bytes 8-15 reserved, zero
// followed by the payload (arg2 then arg3, no per-arg lengths).

export const HEADER_BYTES = 16;

/** Writes a header for `payloadBytes` of payload at the start of `target`. */
export function writeHeader(target: Buffer, id: number, payloadBytes: number): void {
  target.writeUInt32BE(HEADER_BYTES + payloadBytes, 0);
  target.writeUInt32BE(id >>> 0, 4);
  target.fill(0, 8, HEADER_BYTES);
}

/** Splits a byte stream into whole messages; each one is handed over header included. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly onFrame: (frame: Buffer) => void) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      let head = this.chunks[0] as Buffer;
      if (head.length < 4) {
        head = this.merge(this.buffered);
      }
      const length = head.readUInt32BE(0);
      if (length < HEADER_BYTES) throw new Error(`bad frame length ${length}`);
      if (this.buffered < length) return;
      if (head.length < length) head = this.merge(length);
      const frame = head.length === length ? head : head.subarray(0, length);
      if (head.length === length) this.chunks.shift();
      else this.chunks[0] = head.subarray(length);
      this.buffered -= length;
      this.onFrame(frame);
    }
  }

  /** Joins leading chunks until the first one holds at least `bytes` bytes; returns it. */
  private merge(bytes: number): Buffer {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < bytes) {
      const c = this.chunks.shift() as Buffer;
      parts.push(c);
      got += c.length;
    }
    const joined = Buffer.concat(parts, got);
    this.chunks.unshift(joined);
    return joined;
  }
}

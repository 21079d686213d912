/**
 * A chainable writer into a buffer sized up front by the codec (frames are at most 64 KiB, and
 * every codec knows its size before writing, so there is no growth path).
 */
export class ByteWriter {
  offset = 0;

  constructor(readonly buffer: Buffer) {}

  u8(value: number): this {
    this.buffer[this.offset++] = value;
    return this;
  }

  u16(value: number): this {
    this.buffer.writeUInt16BE(value, this.offset);
    this.offset += 2;
    return this;
  }

  u32(value: number): this {
    this.buffer.writeUInt32BE(value >>> 0, this.offset);
    this.offset += 4;
    return this;
  }

  u64(value: bigint): this {
    this.buffer.writeBigUInt64BE(value, this.offset);
    this.offset += 8;
    return this;
  }

  zeros(n: number): this {
    this.buffer.fill(0, this.offset, this.offset + n);
    this.offset += n;
    return this;
  }

  bytes(value: Uint8Array): this {
    this.buffer.set(value, this.offset);
    this.offset += value.length;
    return this;
  }

  /** `field~1` */
  bytes1(value: Uint8Array): this {
    return this.u8(value.length).bytes(value);
  }

  /** `field~2` */
  bytes2(value: Uint8Array): this {
    return this.u16(value.length).bytes(value);
  }

  /** `field~1` of a string as UTF-8, written in place (the codec sized it with Buffer.byteLength). */
  string1(value: string): this {
    const length = this.buffer.write(value, this.offset + 1, 'utf8');
    this.buffer[this.offset] = length;
    this.offset += 1 + length;
    return this;
  }

  /** `field~2` of a string as UTF-8, written in place. */
  string2(value: string): this {
    const length = this.buffer.write(value, this.offset + 2, 'utf8');
    this.buffer.writeUInt16BE(length, this.offset);
    this.offset += 2 + length;
    return this;
  }
}

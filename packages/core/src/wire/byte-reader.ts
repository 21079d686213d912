import { InvalidMessageError } from '../errors/local-errors';

/**
 * A cursor over one frame's bytes. Every read checks the bytes are there and throws
 * InvalidMessageError otherwise, so codecs never repeat bounds checks after each field.
 * Byte runs are returned as `subarray` views: no copies of arg bytes.
 */
export class ByteReader {
  offset: number;

  constructor(
    readonly buffer: Buffer,
    offset = 0,
    readonly end = buffer.length,
  ) {
    this.offset = offset;
  }

  /** Bytes left before the end. */
  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.end) {
      throw new InvalidMessageError(`truncated frame: ${what} needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(what = 'uint8'): number {
    this.need(1, what);
    return this.buffer[this.offset++] as number;
  }

  u16(what = 'uint16'): number {
    this.need(2, what);
    const value = this.buffer.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }

  u32(what = 'uint32'): number {
    this.need(4, what);
    const value = this.buffer.readUInt32BE(this.offset);
    this.offset += 4;
    return value;
  }

  u64(what = 'uint64'): bigint {
    this.need(8, what);
    const value = this.buffer.readBigUInt64BE(this.offset);
    this.offset += 8;
    return value;
  }

  bytes(n: number, what = 'bytes'): Buffer {
    this.need(n, what);
    const view = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return view;
  }

  /** `field~1` */
  bytes1(what: string): Buffer {
    return this.bytes(this.u8(`${what} length`), what);
  }

  /** `field~2` */
  bytes2(what: string): Buffer {
    return this.bytes(this.u16(`${what} length`), what);
  }

  /** `field~1` as UTF-8 */
  string1(what: string): string {
    const n = this.u8(`${what} length`);
    this.need(n, what);
    const value = this.buffer.toString('utf8', this.offset, this.offset + n);
    this.offset += n;
    return value;
  }

  /** `field~2` as UTF-8 */
  string2(what: string): string {
    const n = this.u16(`${what} length`);
    this.need(n, what);
    const value = this.buffer.toString('utf8', this.offset, this.offset + n);
    this.offset += n;
    return value;
  }
}

import { TBinaryProtocol, type TTransport, type Thrift } from 'thrift';

/** A read past the end of the bytes a MemoryTransport holds. */
export class BufferUnderrunError extends Error {
  override name = 'BufferUnderrunError';
}

/**
 * A Thrift transport over memory: reads from the bytes it was given, collects what is written.
 * The thrift scheme's arg3 is one whole struct in one arg, so neither framing
 * (TFramedTransport) nor socket buffering (TBufferedTransport) applies.
 */
export class MemoryTransport implements TTransport {
  private readonly input: Buffer;
  private position = 0;
  private readonly written: Buffer[] = [];

  constructor(input: Buffer = Buffer.alloc(0)) {
    this.input = input;
  }

  /** Bytes not read yet. */
  get remaining(): number {
    return this.input.length - this.position;
  }

  /** Everything written so far, as one Buffer. */
  writtenBytes(): Buffer {
    return Buffer.concat(this.written);
  }

  read(len: number): Buffer {
    return this.take(len);
  }

  readByte(): number {
    return this.take(1).readInt8(0);
  }

  readI16(): number {
    return this.take(2).readInt16BE(0);
  }

  readI32(): number {
    return this.take(4).readInt32BE(0);
  }

  readDouble(): number {
    return this.take(8).readDoubleBE(0);
  }

  /** TBinaryProtocol reads the length itself and passes it here. */
  readString(len?: number): string {
    return this.take(len ?? this.remaining).toString('utf8');
  }

  ensureAvailable(len: number): void {
    if (len > this.remaining) throw this.underrun(len);
  }

  write(buf: Buffer | string): void {
    this.written.push(typeof buf === 'string' ? Buffer.from(buf, 'utf8') : buf);
  }

  flush(): void {}

  isOpen(): boolean {
    return true;
  }

  open(): boolean {
    return true;
  }

  close(): boolean {
    return true;
  }

  setCurrSeqId(): void {}

  commitPosition(): void {}

  rollbackPosition(): void {}

  /** A copy of the next `len` bytes (a copy: generated code keeps `binary` values). */
  private take(len: number): Buffer {
    if (!Number.isInteger(len) || len < 0) throw new BufferUnderrunError(`invalid length ${len}`);
    if (len > this.remaining) throw this.underrun(len);
    const bytes = Buffer.from(this.input.subarray(this.position, this.position + len));
    this.position += len;
    return bytes;
  }

  private underrun(len: number): BufferUnderrunError {
    return new BufferUnderrunError(`needs ${len} bytes at offset ${this.position} of ${this.input.length}`);
  }
}

/**
 * TBinaryProtocol without the message envelope: arg3 of the thrift scheme is the bare `_args` or
 * `_result` struct, while the generated Client and Processor always write a message header
 * around it. Here writing a message header only records its type (the generated Processor marks an
 * undeclared handler error with an EXCEPTION message).
 */
export class BareBinaryProtocol extends TBinaryProtocol {
  /** The type of the last message header the generated code wrote. */
  messageType: Thrift.MessageType | undefined;

  override writeMessageBegin(_name: string, type: Thrift.MessageType): void {
    this.messageType = type;
  }

  override writeMessageEnd(): void {}
}

import type { Readable } from 'node:stream';
import type { ResponseHead } from '../connection/connection';
import type { ChecksumType } from '../wire/checksum-type';
import type { Headers } from '../wire/headers';
import type { Tracing } from '../wire/tracing';

const ARG2 = 1;
const ARG3 = 2;

/**
 * The response of a streamed call, available from its first frame. Read each arg either whole
 * (`getHeaderBytes`, `getBodyBytes`) or as a stream of chunks as they arrive (`getHeaderStream`,
 * `getBodyStream`: Readables that are also async iterables). If the call fails later (error
 * frame, timeout, lost connection), the streams error and the promises reject.
 */
export class StreamingCallResponse {
  /** Call res code: 0 ok, non-zero an application error. */
  readonly code: number;
  /** Transport headers of the response. */
  readonly headers: Headers;
  readonly checksumType: ChecksumType;

  constructor(
    private readonly head: ResponseHead,
    /** The peer that answered. */
    readonly hostPort: string,
    /** The span this call used. */
    readonly tracing: Tracing,
  ) {
    this.code = head.code;
    this.headers = head.headers;
    this.checksumType = head.checksumType;
  }

  getHeaderBytes(): Promise<Buffer> {
    return this.head.args.arg(ARG2);
  }

  getBodyBytes(): Promise<Buffer> {
    return this.head.args.arg(ARG3);
  }

  getHeaderStream(): Readable {
    return this.head.args.stream(ARG2);
  }

  getBodyStream(): Readable {
    return this.head.args.stream(ARG3);
  }
}

import { ErrorCode, TChannelError, type TChannelErrorOptions } from '@tchannel/core';

/** Which arg of a thrift call a codec error is about. */
export type ThriftArg = 'arg2' | 'arg3';

/** Application headers of the thrift scheme (arg2): string keys, string values. */
export type ThriftHeaders = Record<string, string>;

/** Options of ThriftDecodeError and ThriftEncodeError. */
export interface ThriftCodecErrorOptions extends TChannelErrorOptions {
  /** The arg concerned: arg2 (application headers) or arg3 (the Thrift struct). */
  readonly arg: ThriftArg;
}

/**
 * Bytes received as a thrift arg that cannot be decoded: a malformed `nh:2 (k~2 v~2)` header
 * block, or an arg3 that is not the method's TBinaryProtocol `_result` struct. A caller sees it
 * when a response cannot be decoded; a server answers an undecodable request with
 * BadRequestError instead.
 */
export class ThriftDecodeError extends TChannelError {
  static override readonly kind: string = 'ThriftDecodeError';
  /** arg2 (headers) or arg3 (struct). */
  readonly arg: ThriftArg;

  constructor(message: string, options: ThriftCodecErrorOptions) {
    super(message, options);
    this.arg = options.arg;
  }
}

/**
 * A value that cannot be sent as a thrift arg: a non-string application header, a header over
 * 65535 bytes, or arguments the generated code cannot write (a value of the wrong type, too many
 * arguments). Thrown before anything is sent.
 */
export class ThriftEncodeError extends TChannelError {
  static override readonly kind: string = 'ThriftEncodeError';
  /** arg2 (headers) or arg3 (struct). */
  readonly arg: ThriftArg;

  constructor(message: string, options: ThriftCodecErrorOptions) {
    super(message, options);
    this.arg = options.arg;
  }
}

/**
 * A `oneway` Thrift method was called (or a client method generated for one): TChannel's thrift
 * scheme has no one-way calls, every call is answered. Nothing is sent. Servers do not register
 * `oneway` methods, so such calls from other implementations get bad request.
 */
export class OneWayNotSupportedError extends TChannelError {
  static override readonly kind: string = 'OneWayNotSupportedError';

  constructor(message: string, options: TChannelErrorOptions = {}) {
    super(message, { code: ErrorCode.BadRequest, ...options });
  }
}

/**
 * A successful response (call res code 0) to a non-void method whose `_result` struct has no
 * value: neither field 0 (success) nor a declared exception is set.
 */
export class ValueExpectedError extends TChannelError {
  static override readonly kind: string = 'ValueExpectedError';
}

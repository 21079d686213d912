import { ErrorCode } from '../wire/error-code';
import { TChannelError, type TChannelErrorOptions } from './tchannel-error';

/** Context a protocol error may carry about the call it ended. */
export interface ProtocolErrorOptions extends TChannelErrorOptions {
  /** The message id of the call, when the error is about one. */
  readonly id?: number;
  /** The service called, for messages that help. */
  readonly service?: string;
  /** The endpoint (arg1) called. */
  readonly endpoint?: string;
  /** The peer host:port. */
  readonly peer?: string;
}

/**
 * An error at the protocol level: received as an error frame from a peer, or raised locally for a
 * condition that the protocol names (a timeout, a broken connection). `code` is the spec's code.
 */
export class ProtocolError extends TChannelError {
  static override readonly kind: string = 'ProtocolError';
  readonly id: number | undefined;
  readonly service: string | undefined;
  readonly endpoint: string | undefined;
  readonly peer: string | undefined;

  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, options);
    this.id = options.id;
    this.service = options.service;
    this.endpoint = options.endpoint;
    this.peer = options.peer;
  }
}

function codeOf(code: ErrorCode, options: ProtocolErrorOptions): ProtocolErrorOptions {
  return { ...options, code };
}

/** 0x01: no response within the ttl (locally or reported by the peer). */
export class TimeoutError extends ProtocolError {
  static override readonly kind: string = 'TimeoutError';
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, codeOf(ErrorCode.Timeout, options));
  }
}

/** 0x02: the call was cancelled. */
export class CancelledError extends ProtocolError {
  static override readonly kind: string = 'CancelledError';
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, codeOf(ErrorCode.Cancelled, options));
  }
}

/** 0x03: the peer is too busy; safe to retry on another peer. */
export class BusyError extends ProtocolError {
  static override readonly kind: string = 'BusyError';
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, codeOf(ErrorCode.Busy, options));
  }
}

/** 0x04: the peer declined the call; safe to retry on another peer. */
export class DeclinedError extends ProtocolError {
  static override readonly kind: string = 'DeclinedError';
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, codeOf(ErrorCode.Declined, options));
  }
}

/** 0x05: the call failed unexpectedly; it may have had effects. */
export class UnexpectedError extends ProtocolError {
  static override readonly kind: string = 'UnexpectedError';
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, codeOf(ErrorCode.UnexpectedError, options));
  }
}

/** 0x06: the request can never succeed as sent (unknown endpoint, malformed args...). */
export class BadRequestError extends ProtocolError {
  static override readonly kind: string = 'BadRequestError';
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, codeOf(ErrorCode.BadRequest, options));
  }
}

/** 0x07: the connection failed (reset, closed, refused) while the call was outstanding. */
export class NetworkError extends ProtocolError {
  static override readonly kind: string = 'NetworkError';
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, codeOf(ErrorCode.NetworkError, options));
  }
}

/** 0x08: a relay refused to forward to an unhealthy node. */
export class UnhealthyError extends ProtocolError {
  static override readonly kind: string = 'UnhealthyError';
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, codeOf(ErrorCode.Unhealthy, options));
  }
}

/** 0xFF: the connection is unusable and is closed. */
export class FatalProtocolError extends ProtocolError {
  static override readonly kind: string = 'FatalProtocolError';
  constructor(message: string, options: ProtocolErrorOptions = {}) {
    super(message, codeOf(ErrorCode.FatalProtocolError, options));
  }
}

type ProtocolErrorClass = new (message: string, options?: ProtocolErrorOptions) => ProtocolError;

const CLASS_BY_CODE: ReadonlyMap<number, ProtocolErrorClass> = new Map<number, ProtocolErrorClass>([
  [ErrorCode.Timeout, TimeoutError],
  [ErrorCode.Cancelled, CancelledError],
  [ErrorCode.Busy, BusyError],
  [ErrorCode.Declined, DeclinedError],
  [ErrorCode.UnexpectedError, UnexpectedError],
  [ErrorCode.BadRequest, BadRequestError],
  [ErrorCode.NetworkError, NetworkError],
  [ErrorCode.Unhealthy, UnhealthyError],
  [ErrorCode.FatalProtocolError, FatalProtocolError],
]);

/**
 * The error for an error frame's code. Codes the spec does not define (including 0x00, "invalid")
 * become a plain ProtocolError that keeps the code the peer sent.
 */
export function protocolErrorFor(code: number, message: string, options: ProtocolErrorOptions = {}): ProtocolError {
  const ErrorClass = CLASS_BY_CODE.get(code);
  if (ErrorClass !== undefined) return new ErrorClass(message, options);
  return new ProtocolError(`${message} (unknown error code 0x${code.toString(16)})`, {
    ...options,
    code: code as ErrorCode,
  });
}

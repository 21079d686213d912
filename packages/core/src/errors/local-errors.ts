import { ErrorCode } from '../wire/error-code';
import { TChannelError, type TChannelErrorOptions } from './tchannel-error';

/**
 * A frame or message that breaks the protocol's rules (bad sizes, duplicate header keys, a call
 * before init...). `code` says how it is answered: FatalProtocolError closes the connection,
 * BadRequest answers only the message concerned.
 */
export class InvalidMessageError extends TChannelError {
  static override readonly kind: string = 'InvalidMessageError';
  constructor(message: string, options: TChannelErrorOptions = {}) {
    super(message, { code: ErrorCode.FatalProtocolError, ...options });
  }
}

/** A frame's checksum does not match its args, or its checksum type is unknown or changed. */
export class InvalidChecksumError extends InvalidMessageError {
  static override readonly kind: string = 'InvalidChecksumError';
  constructor(message: string, options: TChannelErrorOptions = {}) {
    super(message, { code: ErrorCode.BadRequest, ...options });
  }
}

/** An endpoint name (arg1) that is empty or too long. */
export class InvalidEndpointError extends TChannelError {
  static override readonly kind: string = 'InvalidEndpointError';
  constructor(message: string, options: TChannelErrorOptions = {}) {
    super(message, { code: ErrorCode.BadRequest, ...options });
  }
}

/** An error frame carried a code the protocol does not define. */
export class InvalidErrorCodeError extends TChannelError {
  static override readonly kind: string = 'InvalidErrorCodeError';
  readonly receivedCode: number;
  constructor(receivedCode: number, options: TChannelErrorOptions = {}) {
    super(`invalid error code 0x${receivedCode.toString(16)}`, { code: ErrorCode.FatalProtocolError, ...options });
    this.receivedCode = receivedCode;
  }
}

/** Reading from the network failed. */
export class ReadError extends TChannelError {
  static override readonly kind: string = 'ReadError';
  constructor(message: string, options: TChannelErrorOptions = {}) {
    super(message, { code: ErrorCode.NetworkError, ...options });
  }
}

/** Misuse of a streamed request or response (writing after flush, replacing a stream in use...). */
export class StreamingError extends TChannelError {
  static override readonly kind: string = 'StreamingError';
}

/** No peer can take the call: none known, or all unreachable or already tried. */
export class NoAvailablePeerError extends TChannelError {
  static override readonly kind: string = 'NoAvailablePeerError';
  constructor(message: string, options: TChannelErrorOptions = {}) {
    super(message, { code: ErrorCode.Declined, ...options });
  }
}

/** `listen()` on a channel that already listens. */
export class AlreadyListeningError extends TChannelError {
  static override readonly kind: string = 'AlreadyListeningError';
}

/** An argument exceeds a configured or protocol limit (arg1 > 16 KiB, buffered args over the cap). */
export class ArgTooLargeError extends InvalidMessageError {
  static override readonly kind: string = 'ArgTooLargeError';
  constructor(message: string, options: TChannelErrorOptions = {}) {
    super(message, { code: ErrorCode.BadRequest, ...options });
  }
}

/** The channel was closed before or while the operation ran. */
export class ChannelClosedError extends TChannelError {
  static override readonly kind: string = 'ChannelClosedError';
  constructor(message: string, options: TChannelErrorOptions = {}) {
    super(message, { code: ErrorCode.Declined, ...options });
  }
}

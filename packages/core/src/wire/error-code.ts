/**
 * Error frame codes (docs/protocol.md, error frame "code:1").
 */
export enum ErrorCode {
  /** Not a valid code; never sent. */
  Invalid = 0x00,
  /** No response within the ttl. */
  Timeout = 0x01,
  /** The call was cancelled by a cancel frame. */
  Cancelled = 0x02,
  /** The node is overloaded; safe to retry elsewhere. */
  Busy = 0x03,
  /** Declined for reasons other than load; safe to retry elsewhere. */
  Declined = 0x04,
  /** Unexpected failure; the work may have happened, retry only if idempotent. */
  UnexpectedError = 0x05,
  /** The args will never be accepted; do not retry. */
  BadRequest = 0x06,
  /** A socket-level failure. */
  NetworkError = 0x07,
  /** A relay refused to forward to an unhealthy node. */
  Unhealthy = 0x08,
  /** The connection is unusable and will be closed; sent with id 0xFFFFFFFF. */
  FatalProtocolError = 0xff,
}

/** Whether `value` is an error code the spec defines. */
export function isErrorCode(value: number): value is ErrorCode {
  return ErrorCode[value] !== undefined;
}

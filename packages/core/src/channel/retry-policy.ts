import { ErrorCode } from '../wire/error-code';
import { TChannelError } from '../errors/tchannel-error';

/**
 * Retry flags, as the `re` transport header carries them (docs/protocol.md, "re -- Retry Flags"):
 * 'c' connection errors, 't' timeouts, 'n' never.
 */
export type RetryOn = 'c' | 't' | 'ct' | 'tc' | 'n';

/** Retry on connection errors unless told otherwise, as every reference implementation does. */
export const DEFAULT_RETRY_ON: RetryOn = 'c';
/** Extra attempts after the first, as tchannel-python. */
export const DEFAULT_RETRY_LIMIT = 4;

/**
 * Whether a failed attempt may be retried on another peer:
 * - busy and declined: always, unless 'n' (the peer did no work and says so);
 * - network errors and connection failures: under 'c';
 * - timeouts: under 't';
 * - unexpected (0x05): never. The spec says the work may have happened and only idempotent calls
 *   may retry it; we cannot know a call is idempotent, so we do not (tchannel-node and python do
 *   retry it under 'c'; that surprises users whose calls have side effects).
 * - anything else (bad request, cancelled, application errors): never.
 */
export function shouldRetry(error: unknown, retryOn: RetryOn): boolean {
  if (retryOn === 'n' || !(error instanceof TChannelError)) return false;
  switch (error.code) {
    case ErrorCode.Busy:
    case ErrorCode.Declined:
      return true;
    case ErrorCode.NetworkError:
      return retryOn.includes('c');
    case ErrorCode.Timeout:
      return retryOn.includes('t');
    default:
      return false;
  }
}

/** Validates a user-supplied retry flag string. */
export function isRetryOn(value: string): value is RetryOn {
  return value === 'c' || value === 't' || value === 'ct' || value === 'tc' || value === 'n';
}

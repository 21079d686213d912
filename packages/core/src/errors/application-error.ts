import { ErrorCode } from '../wire/error-code';
import { TChannelError } from './tchannel-error';

/**
 * The remote handler answered with a call res whose code is not OK (code 1): an application-level
 * failure, not a protocol one. `body` is the scheme-decoded arg3 when a scheme decoded it,
 * otherwise the raw bytes.
 */
export class TChannelApplicationError<TBody = Buffer, THeaders = Buffer> extends TChannelError {
  static override readonly kind: string = 'TChannelApplicationError';
  /** The call res code the peer sent (1 for every current implementation). */
  readonly responseCode: number;
  /** Decoded arg2 of the failed response. */
  readonly headers: THeaders;
  /** Decoded arg3 of the failed response. */
  readonly body: TBody;

  constructor(message: string, responseCode: number, headers: THeaders, body: TBody) {
    super(message, { code: ErrorCode.UnexpectedError });
    this.responseCode = responseCode;
    this.headers = headers;
    this.body = body;
  }
}

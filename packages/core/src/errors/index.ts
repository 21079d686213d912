export { TChannelError, type TChannelErrorOptions } from './tchannel-error';
export {
  ProtocolError,
  TimeoutError,
  CancelledError,
  BusyError,
  DeclinedError,
  UnexpectedError,
  BadRequestError,
  NetworkError,
  UnhealthyError,
  FatalProtocolError,
  protocolErrorFor,
  type ProtocolErrorOptions,
} from './protocol-errors';
export {
  InvalidMessageError,
  InvalidChecksumError,
  InvalidEndpointError,
  InvalidErrorCodeError,
  ReadError,
  StreamingError,
  NoAvailablePeerError,
  AlreadyListeningError,
  ArgTooLargeError,
  ChannelClosedError,
} from './local-errors';
export { TChannelApplicationError } from './application-error';

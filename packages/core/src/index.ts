/**
 * @tchannel/core: TChannel protocol v2 framing, connections, the channel, errors, the request
 * dispatcher and the arg scheme registry. Scheme packages (@tchannel/raw, json, thrift) build on it.
 */
export { TChannel, type TChannelOptions } from './channel/channel';
export { type CallOptions, type CallResponseResult, type StreamingCallOptions } from './channel/call-options';
export { StreamingCallResponse } from './channel/streaming-call-response';
export {
  type OutgoingCall,
  type OutgoingInterceptor,
  type OutgoingNext,
  type IncomingInterceptor,
  type IncomingNext,
} from './channel/interceptors';
export { type RetryOn, shouldRetry, DEFAULT_RETRY_LIMIT, DEFAULT_RETRY_ON } from './channel/retry-policy';
export { parseHostPort, type HostPort } from './channel/host-port';
export * from './dispatch/index';
export * from './errors/index';
export * from './scheme/index';
export * from './wire/index';
export * from './message/index';
export { IncomingArgs, ARG_STREAM_HIGH_WATER_MARK } from './message/incoming-args';
export * from './checksum/index';
export {
  Connection,
  type ConnectionOptions,
  type CallResponse,
  type OutboundCallStart,
  type ResponseHead,
  type StreamingRequest,
} from './connection/connection';
export { OutgoingMessage, WRITE_HIGH_WATER_MARK } from './connection/outgoing-message';
export { InboundCall, type CallResult } from './connection/inbound-call';
export { EPHEMERAL_HOST_PORT, InitHeader, type PeerIdentity } from './connection/init-headers';
export {
  TChannelSyncClient,
  SyncClientOperation,
  SyncFuture,
  type TChannelSyncClientOptions,
  type SyncRequestOptions,
  type SyncArg,
  type SyncResponse,
} from './sync/index';
